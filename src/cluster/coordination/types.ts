import type { Client } from 'node-zookeeper-client';

/** What a chat node publishes about itself in its registration znode. */
export interface NodeDescriptor {
  nodeId: string;
  /** WebSocket URL clients connect to. */
  wsUrl: string;
  /** host:port of the internal gRPC endpoint peers connect to. */
  rpcAddress: string;
  /** Epoch milliseconds when the process started. */
  startedAt: number;
}

/**
 * Who leads the cluster according to ZooKeeper: the lowest election candidate.
 * `self` says that candidate is this node's current one. Whether this node is
 * *acting* as leader (fenced by its own timer) is `ClusterCoordinator.isLeader()`.
 */
export interface LeaderView {
  nodeId: string;
  /** The leader's election sequence number; strictly increasing across leaders. */
  epoch: number;
  self: boolean;
  /** The leader's registration, when it is in the membership seen so far. */
  node?: NodeDescriptor;
}

export interface LeadershipChange {
  leading: boolean;
  epoch: number;
  /** Why leadership changed, for logs and diagnostics. */
  reason: string;
}

/** Whether this node's ZooKeeper session is connected, which one it is, and since when. */
export interface ZooKeeperView {
  connected: boolean;
  /** Hex session id; empty while there is no session. */
  sessionId: string;
  /** Since the current session was established; 0 while there is none. */
  sessionAgeMs: number;
}

/**
 * The membership as room ownership reads it: the version ZooKeeper gives the
 * member list (the cversion of the /nodes children, raised by every join and
 * every departure) and the ids in it. Two nodes that see one version see the
 * same ids, so they compute the same owner for every room.
 */
export interface MembershipView {
  /** 0 until the first read (and after this node's session was lost). */
  version: number;
  /** Sorted. */
  nodeIds: readonly string[];
}

export interface CoordinatorEvents {
  members: [NodeDescriptor[]];
  /** The membership version changed (even when the members are the same ones). */
  view: [MembershipView];
  leader: [LeaderView | null];
  leadership: [LeadershipChange];
}

/** Builds the ZooKeeper client; tests pass one that keeps a handle to simulate crashes. */
export type ZkClientFactory = (
  hosts: string,
  options: { sessionTimeout: number; spinDelay: number },
) => Client;

export type { Clock } from '../../core/clock';
export { systemClock } from '../../core/clock';

/**
 * A node's view of the cluster: membership, who leads, and whether this node
 * leads (fenced by its own clock). ZooKeeper implements it
 * (ClusterCoordinator); src/cluster/memory/ has an in-process one for tests.
 */
export interface Coordinator {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Live members, this node included once it is registered. */
  members(): NodeDescriptor[];
  leader(): LeaderView | null;
  /** True while this node is elected and its fencing deadline has not passed. */
  isLeader(): boolean;
  leadership(): { leading: boolean; epoch: number };
  /** The membership and its version, as read in the current ZooKeeper session. */
  membershipView(): MembershipView;
  /**
   * True while this node's session is fresh by its own clock (the leader's
   * fencing deadline, on every node) and its membership view was read in it:
   * a node that cannot be sure its view is current serves no room.
   */
  isCurrent(): boolean;
  /** This node's view of ZooKeeper (read-only diagnostics); in-process coordinators leave it out. */
  zookeeper?(): ZooKeeperView;
  on<K extends keyof CoordinatorEvents>(event: K, listener: (...args: CoordinatorEvents[K]) => void): unknown;
  off<K extends keyof CoordinatorEvents>(
    event: K,
    listener: (...args: CoordinatorEvents[K]) => void,
  ): unknown;
}
