import type { LocalSessions } from '../chat/local-sessions';
import type { Presence } from '../chat/presence';
import type { Coordinator, LeaderView, NodeDescriptor } from '../cluster/coordination/types';
import type { EpochFence } from '../cluster/epoch-fence';
import type { FrameBody, PeerOutbox } from '../cluster/peer-outbox';
import type { PresenceReadiness } from '../cluster/presence-readiness';
import type { PeerTransport } from '../cluster/transport';
import type { Logger } from '../core/logger';

export interface MembershipSyncDeps {
  nodeId: string;
  coordinator: Coordinator;
  transport: PeerTransport;
  outbox: PeerOutbox;
  presence: Presence;
  readiness: PresenceReadiness;
  local: LocalSessions;
  fence: EpochFence;
  logger: Logger;
  /** The leader changed (or this node's link to it broke): requests waiting on it fail. */
  onLeaderLost: (nodeId: string, why: string) => void;
  /** This node's link to a peer broke, or the peer left: requests waiting on it fail. */
  onPeerLost: (nodeId: string, why: string) => void;
}

/**
 * Keeps the mesh in step with the membership: links to every live member,
 * presence of members that left dropped, a snapshot asked of every member
 * that (re)joined; this node's own snapshot (`snapshot`, which the outbox
 * sends first on every link that comes up: frames lost with a broken link may
 * have carried its session events).
 * It also follows the leader for the epoch fence.
 */
export class MembershipSync {
  private known = new Set<string>();
  private leader: { nodeId: string; epoch: number } | null = null;

  constructor(private readonly deps: MembershipSyncDeps) {}

  start(): void {
    const { coordinator, transport } = this.deps;
    coordinator.on('members', (members) => this.onMembers(members));
    coordinator.on('leader', (view) => this.onLeader(view));
    transport.on('down', (peer, reason) => {
      if (this.leader?.nodeId === peer)
        this.deps.onLeaderLost(peer, `the link to the leader broke (${reason})`);
      else this.deps.onPeerLost(peer, `the link to ${peer} broke (${reason})`);
    });
    this.onMembers(coordinator.members());
    this.onLeader(coordinator.leader());
  }

  /** This node's sessions, as peers need them. */
  snapshot(): FrameBody {
    const users = [...this.deps.local.all()].map((s) => ({
      username: s.username,
      sid: s.sid,
      alliance: s.alliance,
      loginAt: s.loginAt,
    }));
    return { $case: 'sessionSnapshot', value: { nodeId: this.deps.nodeId, users } };
  }

  /** Ids of the live members other than this node. */
  peers(): string[] {
    return [...this.known];
  }

  private onMembers(members: NodeDescriptor[]): void {
    const { nodeId, transport, outbox, presence, readiness, logger } = this.deps;
    const others = members.filter((m) => m.nodeId !== nodeId);
    transport.setPeers(others);
    const live = new Set(others.map((m) => m.nodeId));
    for (const peer of this.known) {
      if (live.has(peer)) continue;
      presence.dropNode(peer);
      outbox.forget(peer);
      readiness.forget(peer);
      this.deps.onPeerLost(peer, `${peer} left the cluster`);
      logger.info({ event: 'peer_left', peer }, 'peer left the membership; its users count as offline');
    }
    const joined = [...live].filter((peer) => !this.known.has(peer));
    this.known = live;
    for (const peer of joined) outbox.send(peer, { $case: 'snapshotRequest', value: {} });
    readiness.check();
  }

  private onLeader(view: LeaderView | null): void {
    if (view && view.epoch < this.deps.fence.current) {
      this.deps.logger.warn(
        { event: 'epoch_reset', epoch: view.epoch, newest: this.deps.fence.current, leader: view.nodeId },
        'ZooKeeper elected a leader with a lower epoch than seen before (its data was reset); following it',
      );
      this.deps.fence.reset(view.epoch);
    }
    if (view) this.deps.fence.observe(view.epoch);
    const next = view ? { nodeId: view.nodeId, epoch: view.epoch } : null;
    const previous = this.leader;
    this.leader = next;
    if (previous && (previous.nodeId !== next?.nodeId || previous.epoch !== next.epoch))
      this.deps.onLeaderLost(previous.nodeId, 'the leader changed');
  }
}
