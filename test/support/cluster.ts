import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type {
  GetClusterInfoResponse,
  GetRoomResponse,
  ListSessionsResponse,
} from '../../gen/chat/v1/cluster';
import { ChatClient } from '../../src/client/chat-client';
import type { ChatClientOptions } from '../../src/client/chat-client';
import { silentLogger } from '../../src/core/logger';
import { LocalChatCluster, ensureClusterCerts } from '../../src/devservices/chat-cluster';
import type { AdminClients } from '../../src/devservices/admin-client';
import type { ChatClusterSettings } from '../../src/devservices/chat-cluster';
import type { ChatNodeProcess } from '../../src/devservices/chat-node';
import { openSqliteStore } from '../../src/store/sqlite';
import type { Store } from '../../src/store/types';
import { redisEnv, zkHosts } from './services';
import { uniquePrefix, uniqueZkRoot } from './unique';

const REPO = path.resolve(__dirname, '..', '..');
export const TEST_PASSWORD = 'pw-test-123';

/** A running node: addresses, the child process, its last log lines, its exit. */
export type NodeProcess = ChatNodeProcess;

export interface TestClusterOptions {
  name: string;
  nodeIds?: string[];
  /**
   * Extra environment for every node. A REDIS_URL, REDIS_CLUSTER_NODES or
   * REDIS_SENTINELS here replaces the project's shared Redis.
   */
  env?: Record<string, string>;
}

/** The Redis settings for the nodes: the test's own Redis if its env names one, else the project's. */
function redisSettings(
  env: Record<string, string> = {},
): Partial<ChatClusterSettings> & { redisUrl: string } {
  const own = ['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS'].some((name) => env[name]);
  const source = own ? env : redisEnv();
  return {
    redisUrl: source.REDIS_URL || 'redis://127.0.0.1:6379',
    redisClusterNodes: source.REDIS_CLUSTER_NODES,
    redisSentinels: source.REDIS_SENTINELS,
    redisSentinelMaster: source.REDIS_SENTINEL_MASTER,
  };
}

/** Certificates per worker process: generating RSA keys is the slow part, do it once. */
const certsByPid = new Map<number, Promise<string>>();
async function testCerts(nodeIds: string[]): Promise<string> {
  let pending = certsByPid.get(process.pid);
  if (!pending) {
    const dir = path.join(os.tmpdir(), `chat-test-certs-${process.pid}`);
    const ids = Array.from({ length: 8 }, (_, i) => `n${i + 1}`);
    pending = ensureClusterCerts(dir, ids);
    certsByPid.set(process.pid, pending);
  }
  const dir = await pending;
  const missing = nodeIds.filter((id) => !/^n[1-8]$/.test(id));
  if (missing.length) await ensureClusterCerts(dir, missing);
  return dir;
}

/**
 * Several real chat node processes (the same entry point pm2 runs, on the
 * TypeScript sources) against the run's Redis and ZooKeeper, each test
 * cluster with its own key prefix, ZooKeeper root and SQLite file, launched
 * by the same LocalChatCluster as the bench. Nodes can be stopped cleanly,
 * killed or paused (`node.child.kill('SIGSTOP')`).
 */
export class TestCluster {
  readonly clients: ChatClient[] = [];
  private store: Store | undefined;

  private constructor(
    readonly dir: string,
    readonly certsDir: string,
    private readonly local: LocalChatCluster,
  ) {}

  static async start(options: TestClusterOptions): Promise<TestCluster> {
    const nodeIds = options.nodeIds ?? ['n1', 'n2', 'n3'];
    const certsDir = await testCerts(nodeIds);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), `chat-cluster-${options.name}-`));
    const local = new LocalChatCluster({
      build: {
        script: path.join(REPO, 'src/bin/node.ts'),
        nodeArgs: ['--require', path.join(REPO, 'test/support/swc-register.js')],
        checkout: REPO,
      },
      settings: {
        ...redisSettings(options.env),
        redisPrefix: uniquePrefix(options.name),
        zkHosts: zkHosts(),
        zkRoot: uniqueZkRoot(options.name),
        sessionTimeoutMs: 3000,
        sqlitePath: path.join(dir, 'chat.db'),
        certsDir,
        // Tests read events (node_started, hot_words_reset...) from the log.
        logLevel: 'info',
      },
      env: options.env,
    });
    const cluster = new TestCluster(dir, certsDir, local);
    // The first node creates the SQLite schema; the others then open it.
    const [first, ...rest] = nodeIds;
    if (first) await cluster.startNode(first);
    await Promise.all(rest.map((id) => cluster.startNode(id)));
    return cluster;
  }

  /** AdminService of the nodes, with the admin certificate. */
  get admin(): AdminClients {
    return this.local.admin;
  }

  /** The environment every node gets (before per-node extras). */
  get env(): Record<string, string> {
    return this.local.env;
  }

  get nodes(): Map<string, NodeProcess> {
    return this.local.nodes;
  }

  /** A property, so a scenario can wrap it (e.g. to capture the logs of every node started). */
  startNode = (nodeId: string, extraEnv: Record<string, string> = {}): Promise<NodeProcess> =>
    this.local.startNode(nodeId, extraEnv);

  node(nodeId: string): NodeProcess {
    return this.local.node(nodeId);
  }

  /** SIGKILL: no deregistration, no session cleanup, as when a machine dies. */
  async kill(nodeId: string): Promise<void> {
    await this.local.kill(nodeId);
  }

  /** SIGTERM: the clean shutdown path. */
  async stopNode(nodeId: string): Promise<void> {
    await this.local.stopNode(nodeId);
  }

  async info(nodeId: string): Promise<GetClusterInfoResponse> {
    return this.local.info(nodeId, 3000);
  }

  /** AdminService ListSessions: this node's sessions, or every global one. */
  async sessions(nodeId: string, global = false): Promise<ListSessionsResponse> {
    return this.local.admin.listSessions(this.node(nodeId).rpcAddress, global);
  }

  /** AdminService GetRoom (the leader answers): stored members and who is online where. */
  async room(nodeId: string, name: string): Promise<GetRoomResponse> {
    return this.local.admin.getRoom(this.node(nodeId).rpcAddress, name);
  }

  /** Waits until every running node agrees on one leader that says it leads. */
  async waitForLeader(
    what = 'one leader all nodes agree on',
    timeoutMs = 20_000,
  ): Promise<{ leaderId: string; epoch: number }> {
    return this.local.waitForLeader(timeoutMs, what);
  }

  async users(): Promise<Store> {
    this.store ??= await openSqliteStore({
      path: this.env.SQLITE_PATH as string,
      logger: silentLogger(),
      scrypt: { N: 1024, r: 8, p: 1 },
    });
    return this.store;
  }

  async createUser(username: string, alliance = ''): Promise<void> {
    await (await this.users()).users.create({ username, password: TEST_PASSWORD, alliance });
  }

  /** A connected (not logged-in) client on `nodeId`, closed with the cluster. */
  async connect(nodeId: string, options: ChatClientOptions = {}): Promise<ChatClient> {
    const client = await ChatClient.connect(this.node(nodeId).wsUrl, options);
    this.clients.push(client);
    return client;
  }

  /** A logged-in client on `nodeId`, closed with the cluster. */
  async login(nodeId: string, username: string, options: ChatClientOptions = {}): Promise<ChatClient> {
    const client = await this.connect(nodeId, options);
    await client.login(username, TEST_PASSWORD);
    return client;
  }

  async stop(): Promise<void> {
    await Promise.all(this.clients.map((client) => client.close()));
    await this.local.stop();
    await this.store?.close();
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}
