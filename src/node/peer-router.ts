import type { Deliver, PeerFrame } from '../../gen/chat/v1/cluster';
import type { LeaderReply } from '../../gen/chat/v1/cluster';
import type { LocalSessions } from '../chat/local-sessions';
import type { Presence } from '../chat/presence';
import type { SessionService } from '../chat/sessions';
import type { PushCodec } from '../chat/types';
import type { Coordinator } from '../cluster/coordination/types';
import type { EpochFence } from '../cluster/epoch-fence';
import type { LeaderRpc } from '../cluster/leader-rpc';
import type { FrameBody, PeerOutbox } from '../cluster/peer-outbox';
import type { PresenceReadiness } from '../cluster/presence-readiness';
import type { Logger } from '../core/logger';
import { deliverFromWire } from '../protocol/mappers';
import type { LeaderService } from './leader-service';

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
  fence: EpochFence;
  codec: PushCodec;
  /** This node's session snapshot, for a peer that asks. */
  snapshot: () => FrameBody;
  logger: Logger;
}

/** Counts of frames the router dropped, for diagnostics. */
export interface RouterStats {
  staleFanOuts: number;
  forwarded: number;
  undeliverable: number;
}

/**
 * The meaning of every frame a peer sends. Deliveries, kicks, presence and
 * replies are handled by every node; requests and relays only by the leader
 * (LeaderService). A delivery whose recipient has moved on is passed once to
 * the node presence now knows them on.
 */
export class PeerRouter {
  readonly stats: RouterStats = { staleFanOuts: 0, forwarded: 0, undeliverable: 0 };
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
      case 'routeDirect':
        if (body.value.targetNode === deps.nodeId && body.value.deliver)
          return this.deliver(from, body.value.deliver);
        return deps.leader.relayDirect(from, body.value);
      case 'kick':
        if (body.value.targetNode === deps.nodeId) {
          deps.sessions.kickLocal(body.value.username, body.value.sid, body.value.reason);
          return;
        }
        return deps.leader.relayKick(body.value);
      case 'request':
        return deps.leader.answer(from, epoch, body.value);
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
    if (deps.fence.isStale(deliver.ownerEpoch)) {
      this.stats.staleFanOuts++;
      this.log.debug(
        { event: 'stale_fan_out', from, epoch: deliver.ownerEpoch, newest: deps.fence.current },
        'dropping a fan-out from an older leader epoch',
      );
      return;
    }
    deps.fence.observe(deliver.ownerEpoch);
    const order = deliverFromWire(deliver, deps.codec);
    if (order.broadcast) {
      deps.local.broadcast(order.push, order.alliance);
      return;
    }
    deps.local.deliver(order.push, order.recipients);
    const missing = order.recipients.filter((username) => !deps.local.get(username));
    if (missing.length > 0) this.passOn(from, deliver, missing);
  }

  /** Recipients no longer here: once, to the node presence knows them on now. */
  private passOn(from: string, deliver: Deliver, missing: string[]): void {
    const { deps } = this;
    const byNode = deps.presence.byNode(missing);
    for (const [node, recipients] of byNode) {
      if (deliver.hops > 0 || node === deps.nodeId || node === from) continue;
      deps.outbox.send(node, { $case: 'deliver', value: { ...deliver, recipients, hops: deliver.hops + 1 } });
      this.stats.forwarded += recipients.length;
    }
    const placed = [...byNode].filter(
      ([node]) => deliver.hops === 0 && node !== deps.nodeId && node !== from,
    );
    this.stats.undeliverable += missing.length - placed.reduce((n, [, r]) => n + r.length, 0);
  }
}
