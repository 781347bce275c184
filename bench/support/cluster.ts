import os from 'node:os';
import path from 'node:path';
import type { GetClusterInfoResponse } from '../../gen/chat/v1/cluster';
import { ensureDevCerts } from '../../src/cluster/tls/certs';
import { silentLogger } from '../../src/core/logger';
import { findFreePort } from '../../src/devservices';
import { ManagedProcess, describeExit } from '../../src/devservices/managed-process';
import { AdminClients } from './admin';
import { distFile, repoRoot } from './repo';
import type { Teardown } from './teardown';
import { waitFor } from './wait';

export interface BenchClusterOptions {
  /** Folder for the SQLite file and the node logs. */
  workDir: string;
  sqlitePath: string;
  redisUrl: string;
  zkHosts: string;
  nodeIds: readonly string[];
  sessionTimeoutMs: number;
  teardown: Teardown;
  /** Extra environment for every node. */
  env?: Record<string, string>;
}

export interface BenchNode {
  nodeId: string;
  wsUrl: string;
  rpcAddress: string;
  pid: number;
  process: ManagedProcess;
}

export interface LeaderState {
  leaderId: string;
  epoch: number;
}

/**
 * Chat node processes (dist/src/bin/node.js, the entry point pm2 runs) on
 * one run's Redis and ZooKeeper, with a unique ZooKeeper root and Redis
 * prefix. The bench, unlike production, lifts the per-connection rate limit:
 * it measures the cluster's capacity, not one user's allowance.
 */
export class BenchCluster {
  readonly nodes = new Map<string, BenchNode>();
  readonly admin: AdminClients;
  readonly env: Record<string, string>;
  private readonly stopped: Promise<unknown>[] = [];

  private constructor(
    private readonly options: BenchClusterOptions,
    readonly certsDir: string,
  ) {
    this.admin = new AdminClients(certsDir);
    const tag = `${process.pid}-${Date.now().toString(36)}`;
    this.env = {
      REDIS_URL: options.redisUrl,
      REDIS_PREFIX: `bench:${tag}:`,
      ZK_HOSTS: options.zkHosts,
      ZK_ROOT: `/bench-${tag}`,
      ZK_SESSION_TIMEOUT_MS: String(options.sessionTimeoutMs),
      SQLITE_PATH: options.sqlitePath,
      CERTS_DIR: certsDir,
      SCRYPT_N: '1024',
      LOG_LEVEL: 'warn',
      LOG_PRETTY: 'false',
      DIRTY_WORDS_PATH: path.join(repoRoot(), 'resources', 'dirty-words.txt'),
      RATE_LIMIT_PER_SEC: '1000000',
      RATE_LIMIT_BURST: '1000000',
      ...options.env,
    };
  }

  /** Creates the certificates (cached across runs), then starts the nodes one after another. */
  static async start(options: BenchClusterOptions): Promise<BenchCluster> {
    const certsDir = path.join(os.tmpdir(), 'chat-bench-certs');
    await ensureDevCerts({ dir: certsDir, nodeIds: options.nodeIds, force: false, logger: silentLogger() });
    const cluster = new BenchCluster(options, certsDir);
    options.teardown.add('chat nodes', () => cluster.stop());
    for (const nodeId of options.nodeIds) await cluster.startNode(nodeId);
    return cluster;
  }

  get redisPrefix(): string {
    return this.env.REDIS_PREFIX as string;
  }

  node(nodeId: string): BenchNode {
    const node = this.nodes.get(nodeId);
    if (!node) throw new Error(`Node ${nodeId} is not running in this bench cluster.`);
    return node;
  }

  /** Spawns a node on free ports; resolves once its AdminService sees itself in the cluster. */
  async startNode(nodeId: string): Promise<BenchNode> {
    const [wsPort, rpcPort] = [await findFreePort(), await findFreePort()];
    const proc = ManagedProcess.spawn({
      command: process.execPath,
      args: [
        ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
        distFile('src', 'bin', 'node.js'),
      ],
      cwd: repoRoot(),
      logFile: path.join(this.options.workDir, `${nodeId}.log`),
      env: {
        ...process.env,
        ...this.env,
        NODE_ID: nodeId,
        WS_PORT: String(wsPort),
        RPC_PORT: String(rpcPort),
      },
    });
    const rpcAddress = `127.0.0.1:${rpcPort}`;
    const node: BenchNode = {
      nodeId,
      wsUrl: `ws://127.0.0.1:${wsPort}`,
      rpcAddress,
      pid: proc.pid ?? 0,
      process: proc,
    };
    this.nodes.set(nodeId, node);
    let exited = false;
    void proc.exited.then(() => (exited = true));
    try {
      await waitFor(
        async () => {
          if (exited) throw new Error(`it ${describeExit(proc.exitStatus ?? { code: null, signal: null })}`);
          const info = await this.admin.clusterInfo(rpcAddress, 1000);
          return info.leaderId !== '' && info.nodes.some((n) => n.nodeId === nodeId) ? info : undefined;
        },
        { what: `node ${nodeId} to join the cluster`, timeoutMs: 30_000, intervalMs: 100 },
      );
    } catch (err) {
      this.nodes.delete(nodeId);
      await proc.stop(2000);
      const message = err instanceof Error ? err.message : String(err);
      throw new Error(`${message}\nLast lines of ${nodeId}.log:\n${proc.ownLogTail(20)}`);
    }
    return node;
  }

  async info(nodeId: string, timeoutMs = 2000): Promise<GetClusterInfoResponse> {
    return this.admin.clusterInfo(this.node(nodeId).rpcAddress, timeoutMs);
  }

  /** Until every running node names the same live leader, which says it leads, and sees every node. */
  async waitForLeader(timeoutMs = 30_000): Promise<LeaderState> {
    return waitFor(
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
      { what: 'one leader that every node agrees on', timeoutMs, intervalMs: 100 },
    );
  }

  followers(leaderId: string): string[] {
    return [...this.nodes.keys()].filter((id) => id !== leaderId).sort();
  }

  /** SIGKILL, as when a machine dies: no deregistration, no cleanup. Resolves once it is gone. */
  async kill(nodeId: string): Promise<void> {
    const node = this.node(nodeId);
    this.nodes.delete(nodeId);
    await node.process.kill();
    this.admin.forget(node.rpcAddress);
  }

  pids(): Array<{ name: string; pid: number }> {
    return [...this.nodes.values()].map((n) => ({ name: n.nodeId, pid: n.pid }));
  }

  /** SIGTERM every node (SIGKILL after 5 s). Idempotent. */
  async stop(): Promise<void> {
    const nodes = [...this.nodes.values()];
    this.nodes.clear();
    this.stopped.push(...nodes.map((n) => n.process.stop(5000)));
    await Promise.all(this.stopped);
    this.admin.close();
  }
}
