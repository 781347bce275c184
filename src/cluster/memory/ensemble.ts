import { EventEmitter } from 'node:events';
import { Conflict, Unavailable } from '../../core/errors';
import type {
  Coordinator,
  CoordinatorEvents,
  LeaderView,
  MembershipView,
  NodeDescriptor,
} from '../coordination/types';

interface Registration {
  coordinator: MemoryCoordinator;
  descriptor: NodeDescriptor;
  /** Election sequence number; the lowest live one leads with epoch sequence + 1. */
  sequence: number;
}

/**
 * A ZooKeeper stand-in inside one process, for tests and demos: nodes register,
 * the lowest election sequence leads (epoch = sequence + 1, as with the real
 * coordinator), and every coordinator hears about changes a turn later, as
 * with ZooKeeper watches. Every registration and departure raises the
 * membership version, as each one raises the cversion of ZooKeeper's /nodes.
 * `expire` ends a node's session the way a ZooKeeper
 * session expiry does; the node registers again under a new sequence.
 */
export class MemoryEnsemble {
  private readonly registrations = new Map<string, Registration>();
  private readonly coordinators = new Set<MemoryCoordinator>();
  private readonly held = new Set<string>();
  private nextSequence = 0;
  /** The cversion of the members' parent: one more for every registration and every departure. */
  private version = 0;

  /** A coordinator for the node `self` on this ensemble. */
  coordinator(self: NodeDescriptor): MemoryCoordinator {
    const coordinator = new MemoryCoordinator(self, this);
    this.coordinators.add(coordinator);
    return coordinator;
  }

  /** Ends `nodeId`'s session: its registration and candidacy vanish; it re-registers on its own. */
  expire(nodeId: string): void {
    const registration = this.registrations.get(nodeId);
    if (!registration) return;
    this.registrations.delete(nodeId);
    this.version++;
    registration.coordinator.sessionLost();
    this.changed();
  }

  /**
   * Holds back the watches of `nodeId`'s coordinator: it keeps its current view
   * (as a node whose ZooKeeper notifications are late) until `deliverWatches`.
   */
  holdWatches(nodeId: string): void {
    this.held.add(nodeId);
  }

  deliverWatches(nodeId: string): void {
    this.held.delete(nodeId);
    this.changed();
  }

  /** @internal */
  register(coordinator: MemoryCoordinator, descriptor: NodeDescriptor): void {
    const held = this.registrations.get(descriptor.nodeId);
    if (held && held.coordinator !== coordinator)
      throw new Conflict(`Node id ${descriptor.nodeId} is already registered by a live process.`);
    this.registrations.set(descriptor.nodeId, { coordinator, descriptor, sequence: this.nextSequence++ });
    this.version++;
    this.changed();
  }

  /** @internal */
  unregister(coordinator: MemoryCoordinator): void {
    const nodeId = coordinator.self.nodeId;
    if (this.registrations.get(nodeId)?.coordinator === coordinator) {
      this.registrations.delete(nodeId);
      this.version++;
    }
    this.coordinators.delete(coordinator);
    this.changed();
  }

  /** @internal Members sorted by node id, their version, and the elected leader. */
  view(): {
    members: NodeDescriptor[];
    version: number;
    leader: { nodeId: string; epoch: number } | null;
  } {
    const regs = [...this.registrations.values()];
    const members = regs.map((r) => ({ ...r.descriptor })).sort((a, b) => a.nodeId.localeCompare(b.nodeId));
    const first = regs.reduce<Registration | undefined>(
      (low, r) => (low === undefined || r.sequence < low.sequence ? r : low),
      undefined,
    );
    const leader = first ? { nodeId: first.descriptor.nodeId, epoch: first.sequence + 1 } : null;
    return { members, version: this.version, leader };
  }

  /** @internal The epoch of `coordinator`'s current registration, or 0. */
  epochOf(coordinator: MemoryCoordinator): number {
    const r = this.registrations.get(coordinator.self.nodeId);
    return r && r.coordinator === coordinator ? r.sequence + 1 : 0;
  }

  private changed(): void {
    // Watches fire asynchronously.
    setImmediate(() => {
      for (const coordinator of this.coordinators)
        if (!this.held.has(coordinator.self.nodeId)) coordinator.refresh();
    });
  }
}

export class MemoryCoordinator extends EventEmitter<CoordinatorEvents> implements Coordinator {
  private membersSeen: NodeDescriptor[] = [];
  private membership: MembershipView = { version: 0, nodeIds: [] };
  private view: LeaderView | null = null;
  private leading: { epoch: number } | null = null;
  private registered = false;
  private stopped = false;

  constructor(
    readonly self: NodeDescriptor,
    private readonly ensemble: MemoryEnsemble,
  ) {
    super();
  }

  async start(): Promise<void> {
    if (this.stopped) throw new Unavailable('The coordinator was stopped before it started.');
    this.ensemble.register(this, this.self);
    this.registered = true;
    this.refresh();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.registered = false;
    this.ensemble.unregister(this);
    this.setLeading(null, 'coordinator stopping');
    this.setMembership({ version: 0, nodeIds: [] });
  }

  members(): NodeDescriptor[] {
    return [...this.membersSeen];
  }

  leader(): LeaderView | null {
    return this.view;
  }

  isLeader(): boolean {
    return this.leading !== null;
  }

  membershipView(): MembershipView {
    return this.membership;
  }

  /** No clock to go stale by: current while registered. */
  isCurrent(): boolean {
    return this.registered && !this.stopped && this.membership.version !== 0;
  }

  leadership(): { leading: boolean; epoch: number } {
    return { leading: this.leading !== null, epoch: this.leading?.epoch ?? 0 };
  }

  /** @internal The session expired: step down at once, register again a turn later. */
  sessionLost(): void {
    this.registered = false;
    this.setLeading(null, 'session expired');
    this.setMembers([]);
    this.setMembership({ version: 0, nodeIds: [] });
    this.setView(null);
    setImmediate(() => {
      if (this.stopped || this.registered) return;
      this.ensemble.register(this, this.self);
      this.registered = true;
    });
  }

  /** @internal Called when the ensemble changed. */
  refresh(): void {
    if (this.stopped || !this.registered) return;
    const { members, version, leader } = this.ensemble.view();
    this.setMembers(members);
    this.setMembership({ version, nodeIds: members.map((m) => m.nodeId) });
    const epoch = this.ensemble.epochOf(this);
    const self = leader !== null && leader.nodeId === this.self.nodeId && leader.epoch === epoch;
    const node = leader ? members.find((m) => m.nodeId === leader.nodeId) : undefined;
    this.setView(leader ? { ...leader, self, ...(node ? { node } : {}) } : null);
    this.setLeading(self && leader ? { epoch: leader.epoch } : null, self ? 'elected' : 'another node leads');
  }

  private setMembers(members: NodeDescriptor[]): void {
    if (JSON.stringify(members) === JSON.stringify(this.membersSeen)) return;
    this.membersSeen = members;
    this.emit('members', this.members());
  }

  private setMembership(view: MembershipView): void {
    if (view.version === this.membership.version) return;
    this.membership = view;
    this.emit('view', view);
  }

  private setView(view: LeaderView | null): void {
    if (JSON.stringify(view) === JSON.stringify(this.view)) return;
    this.view = view;
    this.emit('leader', view);
  }

  private setLeading(next: { epoch: number } | null, reason: string): void {
    if (next?.epoch === this.leading?.epoch) return;
    const previous = this.leading;
    this.leading = next;
    if (previous) this.emit('leadership', { leading: false, epoch: previous.epoch, reason });
    if (next) this.emit('leadership', { leading: true, epoch: next.epoch, reason });
  }
}
