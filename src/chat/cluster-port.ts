import type { Actor, DeliverOrder, LeaderOp, LeaderResult } from './types';

/**
 * The chat domain's view of the cluster. The node implements it over ZooKeeper
 * membership and the gRPC links; the domain never sees either.
 */
export interface ClusterPort {
  readonly nodeId: string;
  isLeader(): boolean;
  /** Whether a node is a live member right now (a crashed node's sessions count as offline). */
  isLive(nodeId: string): boolean;
  /**
   * Hands a message to another node's sessions: the leader sends it there, a
   * follower forwards it to the leader first. False when no link could take it
   * (e.g. during a leader change): the recipient then gets it by sync.
   */
  deliverTo(nodeId: string, order: DeliverOrder): boolean;
  /** Leader only: one frame per node. */
  deliverToAll(order: DeliverOrder): void;
  /** Closes `sid` of `username` on `nodeId` (a newer login won). */
  kick(nodeId: string, username: string, sid: string, reason: string): void;
  /** Runs a leader operation: in process on the leader, over the link elsewhere. */
  askLeader(actor: Actor, op: LeaderOp): Promise<LeaderResult>;
  /** Tells the leader about a login or logout on this node. */
  announceSession(user: { username: string; sid: string; alliance: string }, online: boolean): void;
}
