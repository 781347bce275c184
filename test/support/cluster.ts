import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { credentials, Metadata } from '@grpc/grpc-js';
import { AdminServiceClient } from '../../gen/chat/v1/cluster';
import type {
  GetClusterInfoResponse,
  GetRoomResponse,
  ListSessionsResponse,
} from '../../gen/chat/v1/cluster';
import { ensureDevCerts } from '../../src/cluster/tls/certs';
import { ChatClient } from '../../src/client/chat-client';
import type { ChatClientOptions } from '../../src/client/chat-client';
import { silentLogger } from '../../src/core/logger';
import { openSqliteStore } from '../../src/store/sqlite';
import type { Store } from '../../src/store/types';
import { redisUrl, zkHosts } from './services';
import { uniquePrefix, uniqueZkRoot } from './unique';
import { waitFor } from './wait-for';

const REPO = path.resolve(__dirname, '..', '..');
export const TEST_PASSWORD = 'pw-test-123';

export interface NodeProcess {
  nodeId: string;
  wsUrl: string;
  rpcAddress: string;
  child: ChildProcess;
  /** The last lines the node logged, for failure messages. */
  logTail: string[];
  exited: Promise<number | null>;
}

export interface TestClusterOptions {
  name: string;
  nodeIds?: string[];
  /** Extra environment for every node. */
  env?: Record<string, string>;
}

/** Certificates per worker process: generating RSA keys is the slow part, do it once. */
const certsByPid = new Map<number, Promise<string>>();
async function testCerts(nodeIds: string[]): Promise<string> {
  let pending = certsByPid.get(process.pid);
  if (!pending) {
    const dir = path.join(os.tmpdir(), `chat-test-certs-${process.pid}`);
    const ids = Array.from({ length: 8 }, (_, i) => `n${i + 1}`);
    pending = ensureDevCerts({ dir, nodeIds: ids, force: false, logger: silentLogger() }).then(() => dir);
    certsByPid.set(process.pid, pending);
  }
  const dir = await pending;
  const missing = nodeIds.filter((id) => !/^n[1-8]$/.test(id));
  if (missing.length) await ensureDevCerts({ dir, nodeIds: missing, force: false, logger: silentLogger() });
  return dir;
}

/**
 * Several real chat node processes (the same entry point pm2 runs) against the
 * run's Redis and ZooKeeper, each test cluster with its own key prefix,
 * ZooKeeper root and SQLite file. Nodes can be stopped cleanly or killed.
 */
export class TestCluster {
  readonly nodes = new Map<string, NodeProcess>();
  readonly clients: ChatClient[] = [];
  private store: Store | undefined;

  private constructor(
    readonly dir: string,
    readonly certsDir: string,
    readonly env: Record<string, string>,
  ) {}

  static async start(options: TestClusterOptions): Promise<TestCluster> {
    const nodeIds = options.nodeIds ?? ['n1', 'n2', 'n3'];
    const certsDir = await testCerts(nodeIds);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), `chat-cluster-${options.name}-`));
    const env: Record<string, string> = {
      REDIS_URL: redisUrl(),
      REDIS_PREFIX: uniquePrefix(options.name),
      ZK_HOSTS: zkHosts(),
      ZK_ROOT: uniqueZkRoot(options.name),
      ZK_SESSION_TIMEOUT_MS: '3000',
      SQLITE_PATH: path.join(dir, 'chat.db'),
      CERTS_DIR: certsDir,
      SCRYPT_N: '1024',
      LOG_LEVEL: 'info',
      LOG_PRETTY: 'false',
      WS_PORT: '0',
      RPC_PORT: '0',
      DIRTY_WORDS_PATH: path.join(REPO, 'resources', 'dirty-words.txt'),
      ...options.env,
    };
    const cluster = new TestCluster(dir, certsDir, env);
    // The first node creates the SQLite schema; the others then open it.
    const [first, ...rest] = nodeIds;
    if (first) await cluster.startNode(first);
    await Promise.all(rest.map((id) => cluster.startNode(id)));
    return cluster;
  }

  async startNode(nodeId: string, extraEnv: Record<string, string> = {}): Promise<NodeProcess> {
    const child = spawn(
      process.execPath,
      ['--require', path.join(REPO, 'test/support/swc-register.js'), path.join(REPO, 'src/bin/node.ts')],
      {
        cwd: REPO,
        env: { ...process.env, ...this.env, NODE_ID: nodeId, ...extraEnv },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const logTail: string[] = [];
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const started = new Promise<{ wsUrl: string; rpcAddress: string }>((resolve, reject) => {
      const onLine = (line: string): void => {
        logTail.push(line);
        if (logTail.length > 40) logTail.shift();
        if (!line.includes('"node_started"')) return;
        try {
          const parsed = JSON.parse(line) as { wsUrl: string; rpcAddress: string };
          resolve({ wsUrl: parsed.wsUrl, rpcAddress: parsed.rpcAddress });
        } catch (err) {
          reject(err as Error);
        }
      };
      lines(child.stdout, onLine);
      lines(child.stderr, onLine);
      void exited.then((code) =>
        reject(new Error(`node ${nodeId} exited with ${code} before starting:\n${logTail.join('\n')}`)),
      );
    });
    const timeout = setTimeout(() => child.kill('SIGKILL'), 30_000);
    try {
      const { wsUrl, rpcAddress } = await started;
      const node: NodeProcess = { nodeId, wsUrl, rpcAddress, child, logTail, exited };
      this.nodes.set(nodeId, node);
      return node;
    } finally {
      clearTimeout(timeout);
    }
  }

  node(nodeId: string): NodeProcess {
    const node = this.nodes.get(nodeId);
    if (!node) throw new Error(`no node ${nodeId} in this test cluster`);
    return node;
  }

  /** SIGKILL: no deregistration, no session cleanup, as when a machine dies. */
  async kill(nodeId: string): Promise<void> {
    const node = this.node(nodeId);
    node.child.kill('SIGKILL');
    await node.exited;
    this.nodes.delete(nodeId);
  }

  /** SIGTERM: the clean shutdown path. */
  async stopNode(nodeId: string): Promise<void> {
    const node = this.node(nodeId);
    node.child.kill('SIGTERM');
    await node.exited;
    this.nodes.delete(nodeId);
  }

  async info(nodeId: string): Promise<GetClusterInfoResponse> {
    return this.admin(nodeId, (client, deadline, done) =>
      client.getClusterInfo({}, new Metadata(), { deadline }, done),
    );
  }

  /** AdminService ListSessions: this node's sessions, or every global one. */
  async sessions(nodeId: string, global = false): Promise<ListSessionsResponse> {
    return this.admin(nodeId, (client, deadline, done) =>
      client.listSessions({ global }, new Metadata(), { deadline }, done),
    );
  }

  /** AdminService GetRoom (the leader answers): stored members and who is online where. */
  async room(nodeId: string, name: string): Promise<GetRoomResponse> {
    return this.admin(nodeId, (client, deadline, done) =>
      client.getRoom({ name }, new Metadata(), { deadline }, done),
    );
  }

  /** Waits until every running node agrees on one leader that says it leads. */
  async waitForLeader(
    what = 'one leader all nodes agree on',
    timeoutMs = 20_000,
  ): Promise<{ leaderId: string; epoch: number }> {
    return waitFor(
      async () => {
        const infos = await Promise.all([...this.nodes.keys()].map((id) => this.info(id)));
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
    await Promise.all([...this.nodes.keys()].map((id) => this.stopNode(id).catch(() => undefined)));
    await this.store?.close();
    await fs.rm(this.dir, { recursive: true, force: true });
  }

  /** One AdminService call with the admin certificate and a 3 s deadline. */
  private async admin<T>(
    nodeId: string,
    call: (client: AdminServiceClient, deadline: number, done: (err: Error | null, res: T) => void) => void,
  ): Promise<T> {
    const node = this.node(nodeId);
    const read = (file: string): Promise<Buffer> => fs.readFile(path.join(this.certsDir, file));
    const [ca, key, cert] = await Promise.all([read('ca.crt'), read('admin.key'), read('admin.crt')]);
    const client = new AdminServiceClient(node.rpcAddress, credentials.createSsl(ca, key, cert));
    try {
      return await new Promise<T>((resolve, reject) => {
        call(client, Date.now() + 3000, (err, res) => (err ? reject(err) : resolve(res)));
      });
    } finally {
      client.close();
    }
  }
}

function lines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  let buffered = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    buffered += chunk;
    let index: number;
    while ((index = buffered.indexOf('\n')) >= 0) {
      onLine(buffered.slice(0, index));
      buffered = buffered.slice(index + 1);
    }
  });
}
