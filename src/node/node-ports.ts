import type { Registry } from 'prom-client';
import type {
  ChatEvents,
  HotWords,
  LoginAttempts,
  RecentActivity,
  ResumeTokens,
  ServerRegistry,
  SessionDirectory,
} from '../chat/ports';
import type { Clock, Coordinator, NodeDescriptor } from '../cluster/coordination/types';
import type { PeerAdmin } from '../cluster/rpc/admin-service';
import type { PeerTransport } from '../cluster/transport';
import type { HookRunner } from '../plugins/hook-runner';
import type { Store } from '../store/types';
import type { ClientEdgeFactory } from '../ws';

/** Recent lists and hot words; `flush` sends what is still gathered in memory (at shutdown). */
export type Activity = RecentActivity & HotWords & { flush?(): Promise<void> };

/**
 * Everything a ChatNode works with, built by a composition root: real drivers
 * in src/bin/compose-node.ts, in-memory adapters in src/bin/compose-memory.ts.
 * ChatNode itself opens nothing.
 */
export interface NodePorts {
  store: Store;
  directory: SessionDirectory;
  activity: Activity;
  tokens: ResumeTokens;
  attempts: LoginAttempts;
  registry: ServerRegistry;
  /**
   * This node's registration. The coordinator was built with this object;
   * ChatNode fills in `wsUrl` once the edge listens, before the coordinator starts.
   */
  self: NodeDescriptor;
  coordinator: Coordinator;
  transport: PeerTransport;
  edge: ClientEdgeFactory;
  hooks: HookRunner;
  /** After-the-fact events for plugins and export. */
  events: ChatEvents;
  metrics: Registry;
  clock: Clock;
  /** Other members' AdminService, for DescribeCluster, KickUser and DrainNode; unset = this node only. */
  peerAdmin?: PeerAdmin;
  /** What an operator's DrainNode does here (stop and exit the process); default: ChatNode.stop. */
  drain?: () => Promise<void>;
}
