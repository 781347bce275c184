import type { Kick, RouteDirect } from '../../gen/chat/v1/cluster';
import type { Coordinator } from '../cluster/coordination/types';
import type { PeerOutbox } from '../cluster/peer-outbox';
import type { Logger } from '../core/logger';

export interface LeaderServiceDeps {
  coordinator: Coordinator;
  outbox: PeerOutbox;
  logger: Logger;
}

/**
 * What only the leader does for the other nodes' traffic: passes on direct
 * messages and kicks for nodes that cannot reach each other (or for every
 * cross-node direct message with DM_ROUTE=leader). Rooms and channels run
 * on their owner (RoomHost), which is the leader with ROOM_OWNERSHIP=leader.
 */
export class LeaderService {
  private readonly log: Logger;

  constructor(private readonly deps: LeaderServiceDeps) {
    this.log = deps.logger.child({ component: 'leader' });
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
}
