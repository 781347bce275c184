import type { Coordinator, MembershipView } from '../cluster/coordination/types';
import { Handover } from '../cluster/ownership/handover';
import type { FrameBody, PeerOutbox } from '../cluster/peer-outbox';
import type { PeerTransport } from '../cluster/transport';
import type { Clock } from '../core/clock';
import { Unavailable } from '../core/errors';
import type { ChatError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { FanOutVerdict, NodeOwnership, OwnerRoute, OwnershipStatus } from './ownership';

export interface SpreadOwnershipDeps {
  nodeId: string;
  coordinator: Coordinator;
  outbox: PeerOutbox;
  transport: PeerTransport;
  /** Longest wait for the other members to announce a view (the ZooKeeper session timeout). */
  handoverTimeoutMs: number;
  clock: Clock;
  logger: Logger;
}

/** Longest an operation waits for a room that is moving here before it is refused (503 ROOM_MOVING). */
const MAX_ACQUIRE_WAIT_MS = 3000;

/**
 * Rooms and channels spread over the nodes (ROOM_OWNERSHIP=spread): every
 * node computes each key's owner by rendezvous hashing over the members of
 * its current ZooKeeper membership view, and the view's version is the
 * ownership epoch. On every new view a node stops running what it lost at
 * once, waits (bounded) for what was running there, then announces the
 * version to every member; it runs what it gained once every other member
 * announced that version (Handover). A node whose ZooKeeper session is not
 * fresh by its own clock runs nothing, as a leader in that state stops leading.
 */
export class SpreadOwnership implements NodeOwnership {
  readonly mode = 'spread';
  private readonly handover: Handover;
  private readonly log: Logger;
  private readonly waiters = new Set<() => void>();
  private changed: () => Promise<void> = () => Promise.resolve();
  private announcedVersion = 0;
  private released = false;
  private readonly onView = (view: MembershipView): void => this.apply(view);

  constructor(private readonly deps: SpreadOwnershipDeps) {
    this.log = deps.logger.child({ component: 'ownership' });
    this.handover = new Handover({
      self: deps.nodeId,
      timeoutMs: deps.handoverTimeoutMs,
      clock: deps.clock,
      logger: this.log,
      onReady: () => void this.notify(),
    });
  }

  start(changed: () => Promise<void>): void {
    this.changed = changed;
    this.deps.coordinator.on('view', this.onView);
    // Frames in flight when a link broke may have carried the announcement.
    this.deps.transport.on('up', (peer) => {
      const { version, members } = this.handover;
      if (this.announcedVersion === version && version !== 0 && members.includes(peer))
        this.deps.outbox.send(peer, announcement(version));
    });
    this.apply(this.deps.coordinator.membershipView());
  }

  serves(key: string): boolean {
    return !this.released && this.deps.coordinator.isCurrent() && this.handover.serves(key);
  }

  async acquire(key: string, askedAt?: number): Promise<void> {
    const { clock, nodeId, coordinator } = this.deps;
    const deadline = clock.now() + Math.min(MAX_ACQUIRE_WAIT_MS, this.deps.handoverTimeoutMs);
    // Each round waits for the next ownership change or the deadline.
    for (;;) {
      if (this.released || !coordinator.isCurrent()) throw staleView();
      if (this.handover.serves(key)) return;
      const owner = this.handover.ownerOf(key);
      if (owner !== nodeId) throw this.elsewhere(key, owner, askedAt);
      const left = deadline - clock.now();
      if (left <= 0)
        throw new Unavailable(
          `${describeAtStart(key)} is moving to this node (${nodeId}); try again in a moment.`,
          'ROOM_MOVING',
        );
      await this.nextChange(left);
    }
  }

  moved(key: string): ChatError {
    return new Unavailable(
      `${describeAtStart(key)} moved to another node while this request was handled; try again.`,
      'ROOM_MOVED',
    );
  }

  route(key: string): OwnerRoute | undefined {
    if (key === '') return { local: true };
    if (!this.deps.coordinator.isCurrent()) return undefined;
    const owner = this.handover.ownerOf(key);
    if (owner === undefined) return undefined;
    if (owner === this.deps.nodeId) return { local: true };
    return { local: false, nodeId: owner, epoch: this.handover.version };
  }

  unreachable(key: string): ChatError {
    if (!this.deps.coordinator.isCurrent()) return staleView();
    const owner = this.handover.ownerOf(key);
    return new Unavailable(
      `The node that runs ${describe(key)}${owner ? ` (${owner})` : ''} is not reachable right now; try again in a moment.`,
      'NO_OWNER',
    );
  }

  epoch(): number {
    return this.handover.version;
  }

  admit(): undefined {
    // Each operation is fenced by its key (acquire), whatever leader epoch the frame carries.
    return undefined;
  }

  checkFanOut(from: string, epoch: number, key: () => string): FanOutVerdict {
    const k = key();
    const atItsVersion = this.handover.ownerAt(epoch, k);
    if (atItsVersion !== null && atItsVersion !== from) return 'refused';
    // Not the owner in this node's view: an owner that has not noticed it was replaced.
    return this.handover.ownerOf(k) === from ? 'ok' : 'stale';
  }

  announced(from: string, version: number): void {
    this.handover.announce(from, version);
  }

  release(): Promise<void> {
    this.released = true;
    return this.notify();
  }

  stop(): void {
    this.deps.coordinator.off('view', this.onView);
    this.handover.stop();
  }

  describe(): OwnershipStatus {
    return { mode: 'spread', version: this.handover.version, waitingFor: this.handover.waitingFor() };
  }

  private apply(view: MembershipView): void {
    if (view.version === this.handover.version) return;
    this.handover.apply(view);
    this.log.info(
      {
        event: 'ownership_view',
        version: view.version,
        members: view.nodeIds,
        complete: this.handover.complete,
      },
      'membership view applied to room ownership',
    );
    void this.notify().then(() => {
      // Announced only once what this node gave up has settled, and only while still current.
      if (this.handover.version !== view.version || view.version === 0) return;
      this.announcedVersion = view.version;
      for (const peer of view.nodeIds)
        if (peer !== this.deps.nodeId) this.deps.outbox.send(peer, announcement(view.version));
    });
  }

  private notify(): Promise<void> {
    for (const wake of this.waiters) wake();
    this.waiters.clear();
    return this.changed().catch((err: unknown) => {
      this.log.warn({ event: 'ownership_change_failed', err }, 'applying an ownership change failed');
    });
  }

  private nextChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.deps.clock.setTimeout(() => {
        this.waiters.delete(wake);
        resolve();
      }, ms);
      const wake = (): void => {
        this.deps.clock.clearTimeout(timer);
        resolve();
      };
      this.waiters.add(wake);
    });
  }

  private elsewhere(key: string, owner: string | undefined, askedAt: number | undefined): ChatError {
    const version = this.handover.version;
    const views =
      askedAt !== undefined && askedAt !== version
        ? ` (asked at view ${askedAt}, this node is at ${version})`
        : '';
    return new Unavailable(
      `${describeAtStart(key)} is run by ${owner ?? 'no node'}, not ${this.deps.nodeId}${views}; try again.`,
      askedAt !== undefined && askedAt > version ? 'STALE_ROOM_VIEW' : 'ROOM_MOVED',
    );
  }
}

function announcement(version: number): FrameBody {
  return { $case: 'viewAnnounce', value: { version } };
}

function staleView(): ChatError {
  return new Unavailable(
    'This node cannot confirm the cluster membership right now (ZooKeeper); try again in a moment.',
    'STALE_ROOM_VIEW',
  );
}

/** "room lobby", "the world channel", "the channel of alliance wolves". */
function describe(key: string): string {
  if (key.startsWith('room:')) return `room ${key.slice(5)}`;
  if (key.startsWith('alliance:')) return `the channel of alliance ${key.slice(9)}`;
  return 'the world channel';
}

/** The same at the start of a sentence. */
function describeAtStart(key: string): string {
  const text = describe(key);
  return text.charAt(0).toUpperCase() + text.slice(1);
}
