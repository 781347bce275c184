import type { LeaderRequest } from '../../gen/chat/v1/cluster';
import type { GroupService } from '../chat/groups';
import type { LocalSessions } from '../chat/local-sessions';
import type { Presence } from '../chat/presence';
import type { Actor, FanOut, LeaderCall, LeaderOpName, LeaderResultOf, PushCodec } from '../chat/types';
import type { PeerOutbox } from '../cluster/peer-outbox';
import { ChatError } from '../core/errors';
import type { Logger } from '../core/logger';
import {
  deliverToWire,
  leaderErrorToWire,
  leaderRequestFromWire,
  leaderResultToWire,
} from '../protocol/mappers';
import type { NodeOwnership } from './ownership';

export interface RoomHostDeps {
  nodeId: string;
  ownership: NodeOwnership;
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
 * Runs the room and channel operations this node owns (all of them on the
 * leader, or its share with rooms spread), for its own clients and, over the
 * links, for the other nodes', and fans stored messages out with one
 * delivery per node that has recipients, stamped with the owner's epoch.
 */
export class RoomHost {
  private readonly log: Logger;

  constructor(private readonly deps: RoomHostDeps) {
    this.log = deps.logger.child({ component: 'rooms' });
  }

  /** Runs one operation here, then its fan-out. `askedAt`: the ownership version a peer routed by. */
  async run<K extends LeaderOpName>(
    actor: Actor,
    call: LeaderCall<K>,
    askedAt?: number,
  ): Promise<LeaderResultOf<K>> {
    const outcome = await this.deps.groups.handle(actor, call, askedAt);
    if (outcome.fanOut) this.fanOut(outcome.fanOut);
    return outcome.result;
  }

  /** A peer's request: refused unless this node runs what it asks for (fencing). */
  answer(from: string, frameEpoch: number, request: LeaderRequest): void {
    const reply = (value: ReturnType<typeof leaderErrorToWire>): void => {
      this.deps.outbox.send(from, { $case: 'reply', value });
    };
    const refusal = this.deps.ownership.admit(frameEpoch);
    if (refusal) return reply(leaderErrorToWire(request.requestId, refusal));
    let decoded: { actor: Actor; call: LeaderCall };
    try {
      decoded = leaderRequestFromWire(request);
    } catch (err) {
      reply(leaderErrorToWire(request.requestId, err));
      return;
    }
    const { actor, call } = decoded;
    const askedAt = this.deps.ownership.mode === 'spread' ? request.viewVersion : undefined;
    this.run(actor, call, askedAt).then(
      (result) => reply(leaderResultToWire(request.requestId, call.op, result)),
      (err: unknown) => {
        if (!(err instanceof ChatError))
          this.log.error({ event: 'room_op_failed', op: call.op, from, err }, 'room operation failed');
        reply(leaderErrorToWire(request.requestId, err));
      },
    );
  }

  /**
   * One delivery per node: the push is encoded once here; members are grouped
   * by the node presence knows them on; a channel message goes to every node.
   */
  private fanOut(fanOut: FanOut): void {
    const { nodeId, local, outbox, presence, codec, ownership } = this.deps;
    const push = codec.fromMessage(fanOut.message);
    const ownerEpoch = ownership.epoch();
    if (fanOut.kind === 'broadcast') {
      const order = { push, recipients: [], broadcast: true, alliance: fanOut.alliance };
      local.broadcast(push, fanOut.alliance);
      const deliver = deliverToWire(order, { ownerEpoch });
      for (const peer of this.deps.peers()) outbox.send(peer, { $case: 'deliver', value: deliver });
      return;
    }
    for (const [node, recipients] of presence.byNode(fanOut.members)) {
      if (node === nodeId) {
        local.deliver(push, recipients);
        continue;
      }
      const deliver = deliverToWire({ push, recipients, broadcast: false, alliance: '' }, { ownerEpoch });
      outbox.send(node, { $case: 'deliver', value: deliver });
    }
  }
}
