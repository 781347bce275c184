import type { Clock } from '../../core/clock';
import type { Logger } from '../../core/logger';
import type { MembershipView } from '../coordination/types';
import { OwnerTable } from './rendezvous';

interface View {
  version: number;
  owners: OwnerTable;
}

export interface HandoverOptions {
  self: string;
  /**
   * Longest wait for the other members to announce a view before this node
   * runs the keys it gained in it anyway (a member that is in the view but
   * dead, or cut off, never announces).
   */
  timeoutMs: number;
  clock: Clock;
  logger: Logger;
  /**
   * The handover of the current view completed later than `apply` (every
   * member announced it, or the wait ran out).
   */
  onReady: () => void;
}

/** Views applied in a row without one completing, past which nothing counts as kept any more. */
const MAX_PENDING_VIEWS = 32;
/** Recent views remembered for checking what other nodes stamped. */
const HISTORY = 8;

/**
 * Which keys this node may run, view by view. The owner of a key in a view
 * is its rendezvous owner among the view's members. A node runs a key only
 * while it owns it in its current view and either
 *  - the view is complete: every other member of it announced this very
 *    version (each node announces a view once it has stopped running what it
 *    lost in it and what was running there has finished), or the wait for
 *    that ran out; or
 *  - the node has owned the key without a break since the last complete view
 *    (kept keys keep running through a change that does not move them).
 * Nobody else can run such a key in between: a gained key waits for this
 * node's announcement of exactly the view that moves it, and this node only
 * announces views it applied, after dropping what it lost in them.
 */
export class Handover {
  private view: View = { version: 0, owners: new OwnerTable([]) };
  /** The last complete view, and the views applied after it (the current one last). */
  private lastComplete: View | null = null;
  private since: View[] = [];
  private readonly announced = new Map<string, number>();
  private readonly history = new Map<number, OwnerTable>();
  private timer: unknown = null;

  constructor(private readonly options: HandoverOptions) {}

  get version(): number {
    return this.view.version;
  }

  get members(): readonly string[] {
    return this.view.owners.nodeIds;
  }

  /** True once the current view's handover completed. */
  get complete(): boolean {
    return this.lastComplete === this.view;
  }

  /** The other members whose announcement of the current view has not come yet. */
  waitingFor(): string[] {
    if (this.complete) return [];
    return this.members.filter(
      (id) => id !== this.options.self && this.announced.get(id) !== this.view.version,
    );
  }

  ownerOf(key: string): string | undefined {
    return this.view.owners.ownerOf(key);
  }

  /** The owner of `key` in a recent view `version`; null when that view is not known here. */
  ownerAt(version: number, key: string): string | undefined | null {
    const owners = this.history.get(version);
    return owners ? owners.ownerOf(key) : null;
  }

  serves(key: string): boolean {
    const { self } = this.options;
    if (this.view.owners.ownerOf(key) !== self) return false;
    if (this.complete) return true;
    if (this.lastComplete?.owners.ownerOf(key) !== self) return false;
    return this.since.every((view) => view.owners.ownerOf(key) === self);
  }

  /** A new membership view (a lower version than before means ZooKeeper's data was reset). */
  apply(membership: MembershipView): void {
    if (membership.version === this.view.version) return;
    // Lower: ZooKeeper's data was reset and numbers versions anew (0 is "no view", not a reset).
    if (membership.version !== 0 && membership.version < this.view.version) this.history.clear();
    const view = { version: membership.version, owners: new OwnerTable(membership.nodeIds) };
    this.view = view;
    this.history.set(view.version, view.owners);
    for (const old of this.history.keys()) if (this.history.size > HISTORY) this.history.delete(old);
    this.since.push(view);
    if (this.since.length > MAX_PENDING_VIEWS) {
      this.lastComplete = null;
      this.since = [view];
    }
    const live = new Set(membership.nodeIds);
    for (const peer of [...this.announced.keys()]) if (!live.has(peer)) this.announced.delete(peer);
    this.clearTimer();
    if (this.waitingFor().length === 0) return this.finish('announced', false);
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = null;
      if (this.view !== view) return;
      this.options.logger.warn(
        { event: 'handover_timeout', version: view.version, waitingFor: this.waitingFor() },
        'members did not announce the new view in time; running the rooms gained anyway',
      );
      this.finish('timeout', true);
    }, this.options.timeoutMs);
  }

  /** `peer` announced that it applied `version`. */
  announce(peer: string, version: number): void {
    this.announced.set(peer, version);
    if (!this.complete && version === this.view.version && this.waitingFor().length === 0)
      this.finish('announced', true);
  }

  stop(): void {
    this.clearTimer();
  }

  private finish(how: 'announced' | 'timeout', notify: boolean): void {
    this.clearTimer();
    this.lastComplete = this.view;
    this.since = [];
    this.options.logger.info(
      { event: 'handover_complete', version: this.view.version, members: this.members, how },
      'membership view complete: this node runs every room it owns in it',
    );
    if (notify) this.options.onReady();
  }

  private clearTimer(): void {
    if (this.timer !== null) this.options.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}
