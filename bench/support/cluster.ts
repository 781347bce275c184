import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { GetClusterInfoResponse } from '../../gen/chat/v1/cluster';
import { LocalChatCluster, ensureClusterCerts } from '../../src/devservices/chat-cluster';
import type { ChatNodeBuild, LeaderState } from '../../src/devservices/chat-cluster';
import type { ChatNodeProcess } from '../../src/devservices/chat-node';
import { findFreePort } from '../../src/devservices/free-port';
import { describeExit } from '../../src/devservices/managed-process';
import { capProcessCpu, nodeCpuCap, removeCpuCap } from './cpu-quota';
import { distFile, repoRoot } from './repo';
import type { Teardown } from './teardown';
import { waitFor } from '../../src/core/wait-for';

export type { LeaderState };
export type BenchNode = ChatNodeProcess;

/** A compiled checkout whose chat nodes the bench runs: this one, or another (`--cluster-dir`). */
export interface ClusterBuild extends ChatNodeBuild {
  /** Short name for tables: 'cluster', or 'cluster@<dir name>'. */
  label: string;
}

/** This checkout's compiled node. */
export function ownBuild(): ClusterBuild {
  return { label: 'cluster', script: distFile('src', 'bin', 'node.js'), checkout: repoRoot() };
}

/** Another checkout's compiled node (`npm run build` there first), e.g. a worktree of an older commit. */
export function otherBuild(dir: string): ClusterBuild {
  const checkout = path.resolve(dir);
  const script = path.join(checkout, 'dist', 'src', 'bin', 'node.js');
  if (!fs.existsSync(script)) {
    throw new Error(`${script} does not exist: run \`npm ci && npm run build\` in ${checkout} first.`);
  }
  return { label: `cluster@${path.basename(checkout)}`, script, checkout };
}

export interface BenchClusterOptions {
  /** Folder for the node logs. */
  workDir: string;
  sqlitePath: string;
  redisUrl: string;
  zkHosts: string;
  nodeIds: readonly string[];
  sessionTimeoutMs: number;
  teardown: Teardown;
  /** Which compiled node to run (default: this checkout's). */
  build?: ClusterBuild;
  /** Extra environment for every node. */
  env?: Record<string, string>;
  /** Extra environment per node (e.g. ZK_HOSTS through a proxy of its own). */
  nodeEnv?: (nodeId: string) => Record<string, string>;
}

/**
 * Chat node processes (dist/src/bin/node.js, the entry point pm2 runs) on
 * one run's Redis and ZooKeeper, with a unique ZooKeeper root and Redis
 * prefix, launched by the same LocalChatCluster as the integration tests.
 * The bench, unlike production, lifts the per-connection rate limit: it
 * measures the cluster's capacity, not one user's allowance.
 */
export class BenchCluster {
  private constructor(
    private readonly local: LocalChatCluster,
    readonly build: ClusterBuild,
    private readonly nodeEnv: (nodeId: string) => Record<string, string>,
  ) {}

  /** Creates the certificates (cached across runs), then starts the nodes one after another. */
  static async start(options: BenchClusterOptions): Promise<BenchCluster> {
    const certsDir = await ensureClusterCerts(path.join(os.tmpdir(), 'chat-bench-certs'), options.nodeIds);
    const tag = `${process.pid}-${Date.now().toString(36)}`;
    const build = options.build ?? ownBuild();
    const profile = process.env.BENCH_CPU_PROF;
    const local = new LocalChatCluster({
      build: {
        ...build,
        nodeArgs: [
          ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []),
          // V8 flags for the chat nodes only, e.g. --max-semi-space-size=2 (not for the load generator).
          ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== ''),
        ],
      },
      settings: {
        redisUrl: options.redisUrl,
        redisPrefix: `bench:${tag}:`,
        zkHosts: options.zkHosts,
        zkRoot: `/bench-${tag}`,
        sessionTimeoutMs: options.sessionTimeoutMs,
        sqlitePath: options.sqlitePath,
        certsDir,
        logLevel: 'warn',
      },
      env: {
        RATE_LIMIT_PER_SEC: '1000000',
        RATE_LIMIT_BURST: '1000000',
        // Every simulated client comes from 127.0.0.1, and many connect before they log in.
        WS_MAX_CONNECTIONS_PER_ADDRESS: '100000',
        WS_LOGIN_TIMEOUT_MS: '0',
        ...options.env,
      },
      // Logs go to files: the load generator in this process must not spend CPU on them.
      logDir: options.workDir,
    });
    const cluster = new BenchCluster(local, build, options.nodeEnv ?? (() => ({})));
    options.teardown.add(`${build.label} nodes`, () => cluster.stop());
    for (const nodeId of options.nodeIds) await cluster.startNode(nodeId);
    return cluster;
  }

  /** Each node's /metrics endpoint, by node id. */
  readonly metricsUrls = new Map<string, string>();

  get nodes(): Map<string, BenchNode> {
    return this.local.nodes;
  }

  get env(): Record<string, string> {
    return this.local.env;
  }

  get redisPrefix(): string {
    return this.local.env.REDIS_PREFIX as string;
  }

  node(nodeId: string): BenchNode {
    return this.local.node(nodeId);
  }

  /** Starts a node; resolves once its AdminService sees itself in a cluster with a leader. */
  async startNode(nodeId: string): Promise<BenchNode> {
    // Every node serves /metrics, so a scenario can read what the store committed (store-stats.ts).
    const metricsPort = await findFreePort();
    this.metricsUrls.set(nodeId, `http://127.0.0.1:${metricsPort}/metrics`);
    const node = await this.local.startNode(nodeId, {
      METRICS_PORT: String(metricsPort),
      ...this.nodeEnv(nodeId),
    });
    const cores = nodeCpuCap();
    if (cores !== undefined) {
      const cgroup = capProcessCpu(node.pid, cores, nodeId);
      node.child.once('exit', () => removeCpuCap(cgroup));
    }
    try {
      await waitFor(
        async () => {
          if (node.exitStatus) throw new Error(`it ${describeExit(node.exitStatus)}`);
          const info = await this.local.info(nodeId, 1000);
          return info.leaderId !== '' && info.nodes.some((n) => n.nodeId === nodeId) ? info : undefined;
        },
        { what: `node ${nodeId} to join the cluster`, timeoutMs: 30_000, intervalMs: 100 },
      );
    } catch (err) {
      await this.local.stopNode(nodeId, 2000).catch(() => undefined);
      const message = err instanceof Error ? err.message : String(err);
      throw new Error(`${message}\nLast lines of ${nodeId}.log:\n${node.logTail.slice(-20).join('\n')}`);
    }
    return node;
  }

  info(nodeId: string, timeoutMs = 2000): Promise<GetClusterInfoResponse> {
    return this.local.info(nodeId, timeoutMs);
  }

  waitForLeader(timeoutMs = 30_000): Promise<LeaderState> {
    return this.local.waitForLeader(timeoutMs);
  }

  followers(leaderId: string): string[] {
    return this.local.followers(leaderId);
  }

  /** SIGKILL, as when a machine dies: no deregistration, no cleanup. Resolves once it is gone. */
  kill(nodeId: string): Promise<void> {
    return this.local.kill(nodeId);
  }

  /** SIGINT, as pm2 stops or reloads a node: it drains and exits on its own. Resolves once it is gone. */
  async interrupt(nodeId: string, timeoutMs = 15_000): Promise<void> {
    const node = this.local.node(nodeId);
    node.child.kill('SIGINT');
    const exited = await Promise.race([
      node.exited.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref()),
    ]);
    if (!exited) {
      await this.local.kill(nodeId);
      throw new Error(`${nodeId} did not exit within ${timeoutMs} ms of SIGINT`);
    }
    this.local.nodes.delete(nodeId);
  }

  pids(): Array<{ name: string; pid: number }> {
    return this.local.pids();
  }

  /** SIGTERM every node (SIGKILL after 5 s). Idempotent. */
  stop(): Promise<void> {
    return this.local.stop(5000);
  }
}
