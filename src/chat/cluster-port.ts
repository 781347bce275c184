import type { Actor, DeliverOrder, LeaderCall, LeaderOpName, LeaderResultOf } from './types';

/**
 * The chat domain's view of the cluster. The node implements it over the
 * coordinator's membership and the links between nodes; the domain never
 * sees either.
 */
export interface ClusterPort {
  readonly nodeId: string;
  /** Whether a node is a live member right now (a crashed node's sessions count as offline). */
  isLive(nodeId: string): boolean;
  /**
   * Hands a direct message to another node's sessions: over this node's link
   * to it, through the leader when that link is down, or held until a link is
   * back. Resolves true only when that node answered that it pushed the
   * message to the recipient's connection; false when it did not, when
   * nothing answered in time, or when the message went by the leader or was
   * held (it may still arrive; the recipient gets it by sync otherwise).
   */
  deliverDirect(nodeId: string, order: DeliverOrder): Promise<boolean>;
  /** Closes `sid` of `username` on `nodeId` (a newer login won). */
  kick(nodeId: string, username: string, sid: string, reason: string): void;
  /** Tells every node about a login or logout on this node. */
  announceSession(
    user: { username: string; sid: string; alliance: string; loginAt: number },
    online: boolean,
  ): void;
  /**
   * Runs a room or channel operation on the node that runs the room (its
   * owner, or the leader with every room on it): in process when that is
   * this node, over the link to it elsewhere.
   */
  askOwner<K extends LeaderOpName>(actor: Actor, call: LeaderCall<K>): Promise<LeaderResultOf<K>>;
}
