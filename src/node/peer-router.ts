import type { Deliver, PeerFrame } from '../../gen/chat/v1/cluster';
import type { LeaderReply, LeaderRequest } from '../../gen/chat/v1/cluster';
import type { LocalSessions } from '../chat/local-sessions';
import type { Presence } from '../chat/presence';
import type { SessionService } from '../chat/sessions';
import type { PushCodec } from '../chat/types';
import type { Coordinator } from '../cluster/coordination/types';
import type { LeaderRpc } from '../cluster/leader-rpc';
import type { FrameBody, PeerOutbox } from '../cluster/peer-outbox';
import type { PresenceReadiness } from '../cluster/presence-readiness';
import type { Logger } from '../core/logger';
import { Unavailable } from '../core/errors';
import { deliverFromWire, leaderErrorToWire } from '../protocol/mappers';
import type { LeaderService } from './leader-service';
import type { NodeOwnership } from './ownership';
import type { RoomHost } from './room-host';

export interface PeerRouterDeps {
  nodeId: string;
  coordinator: Coordinator;
  local: LocalSessions;
  presence: Presence;
  readiness: PresenceReadiness;
  sessions: SessionService;
  outbox: PeerOutbox;
  rpc: LeaderRpc<LeaderReply>;
  leader: LeaderService;
  host: RoomHost;
  ownership: NodeOwnership;
  codec: PushCodec;
  /** This node's session snapshot, for a peer that asks. */
  snapshot: () => FrameBody;
  logger: Logger;
}

/** Counts of frames the router dropped, for diagnostics. */
export interface RouterStats {
  /** Room or channel fan-outs from an older leader epoch, or from a replaced owner. */
  staleFanOuts: number;
  /** Frames a node sent on behalf of a user whose session is not on it, or fan-outs from a non-owner. */
  refused: number;
}

/**
 * The meaning of every frame a peer sends. Deliveries, kicks, presence,
 * view announcements and replies are handled by every node; requests by the
 * node that runs the room (RoomHost); relays only by the leader (LeaderService).
 *
 * A node's certificate proves which node it is, not which users it speaks
 * for: a direct message, a kick or a room request is taken from a node only
 * for a user whose session presence puts on that node (its login event or
 * snapshot comes first on the same link), room and channel fan-out only from
 * the node that runs the room (NodeOwnership.checkFanOut), and what the
 * leader passes on because it checked it.
 */
export class PeerRouter {
  readonly stats: RouterStats = { staleFanOuts: 0, refused: 0 };
  private readonly log: Logger;

  constructor(private readonly deps: PeerRouterDeps) {
    this.log = deps.logger.child({ component: 'peer-router' });
  }

  handle(from: string, frame: PeerFrame): void {
    const body = frame.body;
    if (!body) return;
    try {
      this.dispatch(from, frame.epoch, body);
    } catch (err) {
      this.log.warn({ event: 'frame_failed', from, kind: body.$case, err }, 'could not handle a frame');
    }
  }

  private dispatch(from: string, epoch: number, body: FrameBody): void {
    const { deps } = this;
    switch (body.$case) {
      case 'deliver':
        return this.deliver(from, body.value);
      case 'routeDirect': {
        const deliver = body.value.deliver;
        if (!deliver || !this.sentBy(from, deliver)) return this.refuse(from, 'routeDirect');
        if (body.value.targetNode === deps.nodeId) return this.deliver(from, deliver);
        return deps.leader.relayDirect(from, body.value);
      }
      case 'kick': {
        const kick = body.value;
        if (!this.speaksFor(from, kick.username) && !this.isLeader(from)) return this.refuse(from, 'kick');
        if (kick.targetNode === deps.nodeId) {
          deps.sessions.kickLocal(kick.username, kick.sid, kick.reason);
          return;
        }
        return deps.leader.relayKick(kick);
      }
      case 'request':
        if (!this.speaksFor(from, body.value.username)) return this.refuseRequest(from, body.value);
        return deps.host.answer(from, epoch, body.value);
      case 'viewAnnounce':
        return deps.ownership.announced(from, body.value.version);
      case 'reply': {
        const reply = body.value;
        deps.rpc.settle(from, reply.requestId, () => reply);
        return;
      }
      case 'sessionSnapshot':
        deps.presence.snapshot(
          from,
          body.value.users.map((u) => ({ username: u.username, sid: u.sid, loginAt: u.loginAt })),
        );
        deps.readiness.reported(from);
        return;
      case 'sessionEvent': {
        const user = body.value.user;
        if (!user) return;
        if (body.value.online) deps.presence.online(from, user.username, user.sid, user.loginAt);
        else deps.presence.offline(from, user.username, user.sid);
        return;
      }
      case 'snapshotRequest':
        deps.outbox.send(from, deps.snapshot());
        return;
      case 'hello':
        return;
    }
  }

  private deliver(from: string, deliver: Deliver): void {
    const { deps } = this;
    const order = deliverFromWire(deliver, deps.codec);
    if (deliver.ownerEpoch !== 0) {
      const verdict = deps.ownership.checkFanOut(
        from,
        deliver.ownerEpoch,
        () => order.push.message().conversation,
      );
      if (verdict === 'stale') {
        this.stats.staleFanOuts++;
        this.log.debug(
          { event: 'stale_fan_out', from, epoch: deliver.ownerEpoch },
          'dropping a fan-out from a replaced leader or room owner',
        );
        return;
      }
      if (verdict === 'refused') return this.refuse(from, 'fan-out');
    } else if (!this.isLeader(from) && !this.sentBy(from, deliver)) {
      return this.refuse(from, 'deliver');
    }
    if (order.broadcast) deps.local.broadcast(order.push, order.alliance);
    else deps.local.deliver(order.push, order.recipients);
  }

  /** Whether `username`'s current session is on node `from`. */
  private speaksFor(from: string, username: string): boolean {
    return this.deps.presence.nodeOf(username) === from;
  }

  /**
   * Whether the direct message in `deliver` was sent by a user on node `from`
   * (or there a moment ago: a message sent just before its sender moved may
   * still be on its way).
   */
  private sentBy(from: string, deliver: Deliver): boolean {
    try {
      return this.deps.presence.hosts(from, this.deps.codec.fromBytes(deliver.push).message().from);
    } catch {
      return false;
    }
  }

  private isLeader(nodeId: string): boolean {
    const view = this.deps.coordinator.leader();
    return view !== null && view.nodeId === nodeId;
  }

  /**
   * Answered, not only dropped: after this node lost and rebuilt its view of
   * `from`'s sessions (a new ZooKeeper session), a genuine request can come
   * before `from`'s snapshot, and its sender should retry at once rather than
   * wait for its timeout.
   */
  private refuseRequest(from: string, request: LeaderRequest): void {
    this.refuse(from, 'request');
    const err = new Unavailable(
      `Node ${this.deps.nodeId} does not know a session of ${request.username} on ${from} (yet); try again.`,
      'UNKNOWN_SESSION',
    );
    this.deps.outbox.send(from, { $case: 'reply', value: leaderErrorToWire(request.requestId, err) });
  }

  private refuse(from: string, kind: string): void {
    this.stats.refused++;
    this.log.warn(
      { event: 'peer_frame_refused', from, kind },
      'a peer sent a frame for a user whose session is not on it (or a fan-out of a room it does not run)',
    );
  }
}
