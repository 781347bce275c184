import type { Kick, LeaderRequest, RouteDirect } from '../../gen/chat/v1/cluster';
import type { GroupService } from '../chat/groups';
import type { LocalSessions } from '../chat/local-sessions';
import type { Presence } from '../chat/presence';
import type { Actor, FanOut, LeaderCall, LeaderOpName, LeaderResultOf, PushCodec } from '../chat/types';
import type { Coordinator } from '../cluster/coordination/types';
import type { PeerOutbox } from '../cluster/peer-outbox';
import { ChatError, Unavailable } from '../core/errors';
import type { Logger } from '../core/logger';
import {
  deliverToWire,
  leaderErrorToWire,
  leaderRequestFromWire,
  leaderResultToWire,
} from '../protocol/mappers';

export interface LeaderServiceDeps {
  nodeId: string;
  coordinator: Coordinator;
  groups: GroupService;
  outbox: PeerOutbox;
  presence: Presence;
  local: LocalSessions;
  codec: PushCodec;
  /** Ids of the live members other than this node. */
  peers: () => string[];
  logger: Logger;
}

/**
 * What the leader does for the cluster: runs room and channel operations
 * (for its own clients and, over the links, for the other nodes'), fans
 * stored messages out with one delivery per node that has recipients, and
 * passes on direct messages and kicks for nodes that cannot reach each other.
 */
export class LeaderService {
  private readonly log: Logger;

  constructor(private readonly deps: LeaderServiceDeps) {
    this.log = deps.logger.child({ component: 'leader' });
  }

  /** Runs one operation here, then its fan-out. */
  async run<K extends LeaderOpName>(actor: Actor, call: LeaderCall<K>): Promise<LeaderResultOf<K>> {
    const outcome = await this.deps.groups.handle(actor, call);
    if (outcome.fanOut) this.fanOut(outcome.fanOut);
    return outcome.result;
  }

  /** A peer's request: refused unless addressed to this leader's epoch (fencing). */
  answer(from: string, epoch: number, request: LeaderRequest): void {
    const reply = (value: ReturnType<typeof leaderErrorToWire>): void => {
      this.deps.outbox.send(from, { $case: 'reply', value });
    };
    const { leading, epoch: current } = this.deps.coordinator.leadership();
    if (!leading || epoch !== current) {
      const err = leading
        ? new Unavailable(
            `Leader epoch changed (request for ${epoch}, now ${current}); try again.`,
            'STALE_EPOCH',
          )
        : new Unavailable('This node is not the leader right now; try again in a moment.', 'NOT_LEADER');
      reply(leaderErrorToWire(request.requestId, err));
      return;
    }
    let decoded: { actor: Actor; call: LeaderCall };
    try {
      decoded = leaderRequestFromWire(request);
    } catch (err) {
      reply(leaderErrorToWire(request.requestId, err));
      return;
    }
    const { actor, call } = decoded;
    this.run(actor, call).then(
      (result) => reply(leaderResultToWire(request.requestId, call.op, result)),
      (err: unknown) => {
        if (!(err instanceof ChatError))
          this.log.error({ event: 'leader_op_failed', op: call.op, from, err }, 'leader operation failed');
        reply(leaderErrorToWire(request.requestId, err));
      },
    );
  }

  /** A direct message for a node the sender has no link to: passed on as it came. */
  relayDirect(from: string, route: RouteDirect): boolean {
    if (!route.deliver || !this.deps.coordinator.isLeader()) return false;
    const outcome = this.deps.outbox.send(route.targetNode, { $case: 'deliver', value: route.deliver });
    if (outcome === 'refused')
      this.log.warn({ event: 'relay_refused', from, to: route.targetNode }, 'could not pass on a delivery');
    return outcome === 'sent';
  }

  /** A kick for a node the sender has no link to. */
  relayKick(kick: Kick): void {
    if (!this.deps.coordinator.isLeader()) return;
    this.deps.outbox.send(kick.targetNode, { $case: 'kick', value: kick });
  }

  /**
   * One delivery per node: the push is encoded once here; members are grouped
   * by the node presence knows them on; a channel message goes to every node.
   */
  private fanOut(fanOut: FanOut): void {
    const { nodeId, local, outbox, presence, codec, coordinator } = this.deps;
    const push = codec.fromMessage(fanOut.message);
    const ownerEpoch = coordinator.leadership().epoch;
    if (fanOut.kind === 'broadcast') {
      const order = { push, recipients: [], broadcast: true, alliance: fanOut.alliance };
      local.broadcast(push, fanOut.alliance);
      const deliver = deliverToWire(order, 0, ownerEpoch);
      for (const peer of this.deps.peers()) outbox.send(peer, { $case: 'deliver', value: deliver });
      return;
    }
    for (const [node, recipients] of presence.byNode(fanOut.members)) {
      if (node === nodeId) {
        local.deliver(push, recipients);
        continue;
      }
      const deliver = deliverToWire({ push, recipients, broadcast: false, alliance: '' }, 0, ownerEpoch);
      outbox.send(node, { $case: 'deliver', value: deliver });
    }
  }
}
