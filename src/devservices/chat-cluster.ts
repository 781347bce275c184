import path from 'node:path';
import type { GetClusterInfoResponse } from '../../gen/chat/v1/cluster';
import { ensureDevCerts } from '../cluster/tls/certs';
import { silentLogger } from '../core/logger';
import { AdminClients } from './admin-client';
import { ChatNodeProcess } from './chat-node';
import { waitFor } from '../core/wait-for';
import { DevServiceError } from './errors';
import { findFreePort } from './free-port';

/** Which build of the chat node to run: this checkout's, or another one's (a before/after comparison). */
export interface ChatNodeBuild {
  /** Entry point of the node (dist/src/bin/node.js, or src/bin/node.ts with a require hook). */
  script: string;
  nodeArgs?: readonly string[];
  /** The checkout it belongs to: working directory of the process and home of resources/. */
  checkout: string;
}

export interface ChatClusterSettings {
  /** A single Redis; unused when redisClusterNodes or redisSentinels is set. */
  redisUrl: string;
  /** REDIS_CLUSTER_NODES: a Redis Cluster's nodes (host:port,host:port). */
  redisClusterNodes?: string;
  /** REDIS_SENTINELS and REDIS_SENTINEL_MASTER: a Sentinel-managed master. */
  redisSentinels?: string;
  redisSentinelMaster?: string;
  redisPrefix: string;
  zkHosts: string;
  zkRoot: string;
  sessionTimeoutMs: number;
  sqlitePath: string;
  certsDir: string;
  logLevel: string;
}

export interface LocalChatClusterOptions {
  build: ChatNodeBuild;
  settings: ChatClusterSettings;
  /** Extra environment for every node (after the settings, so it can override them). */
  env?: Record<string, string>;
  /**
   * Each node's output into <logDir>/<nodeId>.log on ports picked here, or,
   * without it, piped into the launcher on ports the nodes pick themselves.
   */
  logDir?: string;
  startTimeoutMs?: number;
}

export interface LeaderState {
  leaderId: string;
  epoch: number;
}

/** The environment every locally launched chat node gets. */
export function chatNodeEnv(settings: ChatClusterSettings, checkout: string): Record<string, string> {
  return {
    REDIS_URL: settings.redisUrl,
    // Set, empty or not, so that a value in the launcher's own environment never leaks into a node.
    REDIS_CLUSTER_NODES: settings.redisClusterNodes ?? '',
    REDIS_SENTINELS: settings.redisSentinels ?? '',
    REDIS_SENTINEL_MASTER: settings.redisSentinelMaster ?? 'mymaster',
    REDIS_PREFIX: settings.redisPrefix,
    ZK_HOSTS: settings.zkHosts,
    ZK_ROOT: settings.zkRoot,
    ZK_SESSION_TIMEOUT_MS: String(settings.sessionTimeoutMs),
    SQLITE_PATH: settings.sqlitePath,
    CERTS_DIR: settings.certsDir,
    // The store's password hashing at a test cost; production uses the scrypt default.
    SCRYPT_N: '1024',
    LOG_LEVEL: settings.logLevel,
    LOG_PRETTY: 'false',
    DIRTY_WORDS_PATH: path.join(checkout, 'resources', 'dirty-words.txt'),
  };
}

/** Certificates for `nodeIds` (and the admin) in `dir`, generated once and reused. */
export async function ensureClusterCerts(dir: string, nodeIds: readonly string[]): Promise<string> {
  await ensureDevCerts({ dir, nodeIds: [...nodeIds], force: false, logger: silentLogger() });
  return dir;
}

/**
 * Real chat node processes on this machine against given Redis and
 * ZooKeeper servers: the launcher of the integration tests
 * (test/support/cluster.ts) and of `npm run bench`.
 */
export class LocalChatCluster {
  readonly nodes = new Map<string, ChatNodeProcess>();
  readonly admin: AdminClients;
  readonly env: Record<string, string>;

  constructor(private readonly options: LocalChatClusterOptions) {
    this.admin = new AdminClients(options.settings.certsDir);
    this.env = { ...chatNodeEnv(options.settings, options.build.checkout), ...options.env };
  }

  get build(): ChatNodeBuild {
    return this.options.build;
  }

  node(nodeId: string): ChatNodeProcess {
    const node = this.nodes.get(nodeId);
    if (!node) throw new DevServiceError(`Node ${nodeId} is not running in this cluster.`);
    return node;
  }

  /** Starts one node; resolves once it says it is ready and its addresses are known. */
  async startNode(nodeId: string, extraEnv: Record<string, string> = {}): Promise<ChatNodeProcess> {
    const { build, logDir } = this.options;
    const [wsPort, rpcPort] = logDir ? [await findFreePort(), await findFreePort()] : [0, 0];
    const node = await ChatNodeProcess.start({
      nodeId,
      script: build.script,
      nodeArgs: build.nodeArgs,
      cwd: build.checkout,
      env: { ...process.env, ...this.env, ...extraEnv },
      wsPort,
      rpcPort,
      logFile: logDir ? path.join(logDir, `${nodeId}.log`) : undefined,
      startTimeoutMs: this.options.startTimeoutMs,
    });
    this.nodes.set(nodeId, node);
    return node;
  }

  info(nodeId: string, timeoutMs = 2000): Promise<GetClusterInfoResponse> {
    return this.admin.clusterInfo(this.node(nodeId).rpcAddress, timeoutMs);
  }

  /** Until every running node names the same live leader, which says it leads, and sees every node. */
  async waitForLeader(
    timeoutMs = 30_000,
    what = 'one leader that every node agrees on',
  ): Promise<LeaderState> {
    try {
      return await waitFor(
        async () => {
          const infos = await Promise.all([...this.nodes.keys()].map((id) => this.info(id, 1000)));
          const leaderIds = new Set(infos.map((i) => i.leaderId));
          const [leaderId] = [...leaderIds];
          if (leaderIds.size !== 1 || !leaderId || !this.nodes.has(leaderId)) return undefined;
          const leader = infos.find((i) => i.nodeId === leaderId);
          if (leader?.role !== 'leader') return undefined;
          if (infos.some((i) => i.nodes.length !== this.nodes.size)) return undefined;
          return { leaderId, epoch: leader.epoch };
        },
        { what, timeoutMs, intervalMs: 100 },
      );
    } catch (err) {
      throw new DevServiceError(err instanceof Error ? err.message : String(err));
    }
  }

  followers(leaderId: string): string[] {
    return [...this.nodes.keys()].filter((id) => id !== leaderId).sort();
  }

  pids(): Array<{ name: string; pid: number }> {
    return [...this.nodes.values()].map((n) => ({ name: n.nodeId, pid: n.pid }));
  }

  /** SIGKILL, as when a machine dies: no deregistration, no cleanup. Resolves once it is gone. */
  async kill(nodeId: string): Promise<void> {
    const node = this.node(nodeId);
    this.nodes.delete(nodeId);
    await node.kill();
    this.admin.forget(node.rpcAddress);
  }

  /** SIGTERM: the clean shutdown path (SIGKILL after `graceMs`). */
  async stopNode(nodeId: string, graceMs = 10_000): Promise<void> {
    const node = this.node(nodeId);
    this.nodes.delete(nodeId);
    await node.stop(graceMs);
    this.admin.forget(node.rpcAddress);
  }

  /** Stops every node. Idempotent. */
  async stop(graceMs = 10_000): Promise<void> {
    await Promise.all([...this.nodes.keys()].map((id) => this.stopNode(id, graceMs).catch(() => undefined)));
    this.admin.close();
  }
}
