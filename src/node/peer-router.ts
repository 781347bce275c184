import type { Deliver, PeerFrame, RouteDirect } from '../../gen/chat/v1/cluster';
import type { LeaderReply, LeaderRequest } from '../../gen/chat/v1/cluster';
import type { LocalSessions } from '../chat/local-sessions';
import type { Presence } from '../chat/presence';
import type { SessionService } from '../chat/sessions';
import type { OutgoingPush, PushCodec } from '../chat/types';
import type { Coordinator } from '../cluster/coordination/types';
import { ConfirmReplies } from '../cluster/delivery-confirmations';
import type { DeliveryConfirmations } from '../cluster/delivery-confirmations';
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
  /** Answers to the direct messages this node sent (Deliver.confirm_id). */
  confirmations: DeliveryConfirmations;
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
  /** This node's answers to the direct messages it was sent. */
  private readonly confirmReplies: ConfirmReplies;

  constructor(private readonly deps: PeerRouterDeps) {
    this.log = deps.logger.child({ component: 'peer-router' });
    this.confirmReplies = new ConfirmReplies((peer, body) => deps.outbox.sendNow(peer, body));
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
        if (!deliver || !this.sentBy(from, deps.codec.fromBytes(deliver.push)))
          return this.refuse(from, 'routeDirect');
        if (body.value.targetNode === deps.nodeId) return this.deliver(from, deliver);
        return this.relay(from, body.value);
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
        if (!body.value.online) return deps.presence.offline(from, user.username, user.sid);
        const here = this.currentHere(user.username);
        deps.presence.online(from, user.username, user.sid, user.loginAt);
        // A newer login elsewhere closes the one here even when its kick does not come or is refused
        // (two logins at once: the kick of this one comes from the node that lost the race).
        if (here && deps.presence.get(user.username)?.sid === user.sid)
          deps.sessions.kickLocal(user.username, here, 'You logged in somewhere else.');
        return;
      }
      case 'snapshotRequest':
        deps.outbox.send(from, deps.snapshot());
        return;
      case 'deliverConfirm':
        for (const id of body.value.pushed) deps.confirmations.settle(from, id, true);
        for (const id of body.value.notPushed) deps.confirmations.settle(from, id, false);
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
    } else if (!this.isLeader(from) && !this.sentBy(from, order.push)) {
      this.refuse(from, 'deliver');
      if (deliver.confirmId !== 0) {
        this.hintUnverified(order.push, order.recipients);
        this.confirmReplies.add(from, deliver.confirmId, false);
      }
      return;
    }
    if (order.broadcast) deps.local.broadcast(order.push, order.alliance);
    else {
      const pushed = deps.local.deliver(order.push, order.recipients);
      if (deliver.confirmId !== 0) this.confirmReplies.add(from, deliver.confirmId, pushed > 0);
    }
  }

  /**
   * Passes a direct message on as the leader. When its sender asked for a
   * confirmation, the leader asks the target for one of its own and answers
   * the sender with what the target said (ids are each sender's own).
   */
  private relay(from: string, route: RouteDirect): void {
    const deliver = route.deliver;
    if (!deliver || deliver.confirmId === 0) {
      this.deps.leader.relayDirect(from, route);
      return;
    }
    const { id, pushed } = this.deps.confirmations.begin(route.targetNode);
    if (!this.deps.leader.relayDirect(from, { ...route, deliver: { ...deliver, confirmId: id } }))
      this.deps.confirmations.abandon(id);
    void pushed.then((ok) => this.confirmReplies.add(from, deliver.confirmId, ok));
  }

  /**
   * A direct message this node will not push: it cannot tell that its sender
   * is on the node that sent it (that node's ZooKeeper session expired while
   * its links stayed up, and its sessions are not known here until it
   * rejoins). The message is in the store if the sender is genuine, so the
   * recipient is told to sync the conversation; a forged frame costs the
   * recipient one read of a conversation it may read anyway.
   */
  private hintUnverified(push: OutgoingPush, recipients: readonly string[]): void {
    let message;
    try {
      message = push.message();
    } catch {
      return;
    }
    for (const username of recipients) {
      const session = this.deps.local.get(username);
      if (!session || (message.to !== username && message.from !== username)) continue;
      session.peer.hint({
        positions: [{ conversation: message.conversation, afterSeq: Math.max(0, message.seq - 1) }],
        all: false,
        reason: 'a direct message from a node that is rejoining the cluster',
      });
    }
  }

  /** The sid of `username`'s session here when it is their current, announced login. */
  private currentHere(username: string): string | undefined {
    const session = this.deps.local.get(username);
    const entry = this.deps.presence.get(username);
    return session && entry?.nodeId === this.deps.nodeId && entry.sid === session.sid
      ? session.sid
      : undefined;
  }

  /** Whether `username`'s current session is on node `from`. */
  private speaksFor(from: string, username: string): boolean {
    return this.deps.presence.nodeOf(username) === from;
  }

  /**
   * Whether the direct message `push` was sent by a user on node `from` (or
   * there a moment ago: a message sent just before its sender moved may still
   * be on its way). Decodes the push once; the push written to the recipient
   * reuses it.
   */
  private sentBy(from: string, push: OutgoingPush): boolean {
    try {
      return this.deps.presence.hosts(from, push.message().from);
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
