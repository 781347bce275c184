import type { Deliver, LeaderReply } from '../../gen/chat/v1/cluster';
import type { ClusterPort } from '../chat/cluster-port';
import type { Presence } from '../chat/presence';
import type { Actor, DeliverOrder, LeaderCall, LeaderOpName, LeaderResultOf } from '../chat/types';
import type { Coordinator } from '../cluster/coordination/types';
import { DeliveryConfirmations } from '../cluster/delivery-confirmations';
import type { Clock } from '../core/clock';
import type { LeaderRpc } from '../cluster/leader-rpc';
import type { FrameBody, PeerOutbox } from '../cluster/peer-outbox';
import { deliverToWire, leaderReplyFromWire, leaderRequestToWire } from '../protocol/mappers';
import { ownershipKey } from '../chat/ownership';
import type { NodeOwnership } from './ownership';
import type { RoomHost } from './room-host';

/** How a direct message reaches a user on another node. */
export type DirectRoute = 'direct' | 'leader';

export interface ClusterOutboundDeps {
  nodeId: string;
  coordinator: Coordinator;
  outbox: PeerOutbox;
  presence: Presence;
  rpc: LeaderRpc<LeaderReply>;
  /** Runs the rooms and channels this node owns. */
  host: RoomHost;
  ownership: NodeOwnership;
  /**
   * 'direct' (default): over this node's own link to the recipient's node,
   * through the leader only while that link is down. 'leader': always through
   * the leader (the original design; kept for comparison).
   */
  route: DirectRoute;
  /** How long a direct message waits for its node to confirm the push (DELIVERY_CONFIRM_MS). */
  confirmMs: number;
  clock: Clock;
}

/** The chat domain's ClusterPort: what this node sends to other nodes. */
export class ClusterOutbound implements ClusterPort {
  readonly nodeId: string;
  /** Answers to the direct messages this node sent over its own links (PeerRouter settles them). */
  readonly confirmations: DeliveryConfirmations;

  constructor(private readonly deps: ClusterOutboundDeps) {
    this.nodeId = deps.nodeId;
    this.confirmations = new DeliveryConfirmations(deps.confirmMs, () => deps.clock.now());
  }

  isLive(nodeId: string): boolean {
    return this.deps.coordinator.members().some((member) => member.nodeId === nodeId);
  }

  deliverDirect(nodeId: string, order: DeliverOrder): Promise<boolean> {
    const { outbox } = this.deps;
    const relay = this.viaLeader(nodeId);
    const peer = relay ?? nodeId;
    if (!outbox.isOpen(peer)) {
      // Held for the link: it may well arrive, but nothing confirms it in time.
      outbox.send(peer, this.directFrame(nodeId, deliverToWire(order), relay));
      return Promise.resolve(false);
    }
    // Through the leader, the leader answers for the target (PeerRouter.relay).
    const { id, pushed } = this.confirmations.begin(peer);
    if (
      outbox.send(peer, this.directFrame(nodeId, deliverToWire(order, { confirmId: id }), relay)) !== 'sent'
    )
      this.confirmations.abandon(id);
    return pushed;
  }

  kick(nodeId: string, username: string, sid: string, reason: string): void {
    if (nodeId === this.nodeId) return; // Local sessions are closed by SessionService itself.
    const kick: FrameBody = { $case: 'kick', value: { targetNode: nodeId, username, sid, reason } };
    this.route(nodeId, kick, kick);
  }

  announceSession(
    user: { username: string; sid: string; alliance: string; loginAt: number },
    online: boolean,
  ): void {
    const { presence, outbox, coordinator } = this.deps;
    if (online) presence.online(this.nodeId, user.username, user.sid, user.loginAt);
    else presence.offline(this.nodeId, user.username, user.sid);
    const event: FrameBody = {
      $case: 'sessionEvent',
      value: {
        nodeId: this.nodeId,
        user: { username: user.username, sid: user.sid, alliance: user.alliance, loginAt: user.loginAt },
        online,
      },
    };
    // Not held: the snapshot this node sends when a link comes back covers a missed event.
    for (const member of coordinator.members())
      if (member.nodeId !== this.nodeId) outbox.sendNow(member.nodeId, event);
  }

  async askOwner<K extends LeaderOpName>(actor: Actor, call: LeaderCall<K>): Promise<LeaderResultOf<K>> {
    const { outbox, rpc, host, ownership } = this.deps;
    // LeaderCall<K> is one member of LeaderCall; TypeScript does not widen the generic by itself.
    const key = ownershipKey(actor, call as LeaderCall);
    const route = ownership.route(key);
    if (route?.local) return host.run(actor, call);
    if (!route || !outbox.isOpen(route.nodeId)) throw ownership.unreachable(key);
    const { id, result } = rpc.begin(route, call.op);
    const viewVersion = ownership.mode === 'spread' ? route.epoch : 0;
    const request: FrameBody = {
      $case: 'request',
      value: leaderRequestToWire(id, actor, call as LeaderCall, viewVersion),
    };
    if (!outbox.sendNow(route.nodeId, request)) rpc.abandon(id, ownership.unreachable(key));
    return leaderReplyFromWire(call.op, await result);
  }

  /**
   * Sends `direct` to `target` over this node's link, or `viaLeader` to the
   * leader to pass on, or holds `direct` until the link is back.
   */
  private route(target: string, direct: FrameBody, viaLeader: FrameBody): void {
    const relay = this.viaLeader(target);
    this.deps.outbox.send(relay ?? target, relay ? viaLeader : direct);
  }

  /** A Deliver for `target`, wrapped for the leader to pass on when it goes through `relay`. */
  private directFrame(target: string, deliver: Deliver, relay: string | undefined): FrameBody {
    return relay
      ? { $case: 'routeDirect', value: { targetNode: target, deliver } }
      : { $case: 'deliver', value: deliver };
  }

  /**
   * The leader, when a frame for `target` goes through it: always with route
   * 'leader', otherwise while this node's own link to `target` is down and
   * the one to the leader is up.
   */
  private viaLeader(target: string): string | undefined {
    const { outbox } = this.deps;
    const relay = this.relay(target);
    if (!relay) return undefined;
    if (this.deps.route === 'leader' || (!outbox.isOpen(target) && outbox.isOpen(relay))) return relay;
    return undefined;
  }

  /** The leader, when it can pass a frame on to `target` (it is neither this node nor the target). */
  private relay(target: string): string | undefined {
    const { coordinator } = this.deps;
    if (coordinator.isLeader()) return undefined;
    const view = coordinator.leader();
    if (!view || view.self || view.nodeId === target) return undefined;
    return view.nodeId;
  }
}
