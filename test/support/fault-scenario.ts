/**
 * The frame of a fault scenario: a three-node TestCluster, ~30 users in two
 * rooms that span every node, the workload (test/support/workload.ts: each
 * user a ResilientClient) feeding the checker (test/support/checker.ts), and
 * a sampler of every node's role. Set FAULTS_DEBUG=1 to keep each node's log
 * in /tmp/faults-<scenario>-<node>.log; FAULTS_REPORT=<file> appends each
 * scenario's counts there as a JSON line.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { credentials, Metadata } from '@grpc/grpc-js';
import { AdminServiceClient } from '../../gen/chat/v1/cluster';
import type { GetClusterInfoResponse } from '../../gen/chat/v1/cluster';
import { ChatClient } from '../../src/client/chat-client';
import { isRetryable } from '../../src/client/recovery';
import { backoffDelay } from '../../src/core/backoff';
import { conversation } from '../../src/core/names';
import { DeliveryChecker, formatReport } from './checker';
import type { CheckReport, StoreView } from './checker';
import { TEST_PASSWORD, TestCluster } from './cluster';
import type { TestScope } from './scope';
import { waitFor } from '../../src/core/wait-for';
import { Workload } from './workload';
import type { WorkloadOptions, WorkloadRoom } from './workload';

/** One answer of AdminService GetClusterInfo in a sampling round. */
export interface RoleSample {
  nodeId: string;
  /** Local time the request was sent and the answer arrived. */
  sentAt: number;
  at: number;
  role: string;
  epoch: number;
  leaderId: string;
}

/**
 * Asks every node for its role every `intervalMs`, each round with a short
 * deadline so a paused node does not stall the others. A round is one
 * sample of the cluster: at most one node may say 'leader' in it.
 */
export class RoleSampler {
  readonly rounds: RoleSample[][] = [];
  private readonly clients = new Map<string, AdminServiceClient>();
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly cluster: TestCluster,
    private readonly intervalMs = 100,
    private readonly deadlineMs = 500,
  ) {}

  start(maxMs = 120_000): void {
    const until = Date.now() + maxMs;
    this.running = (async () => {
      // Bounded by `stop()` and by `maxMs`.
      while (!this.stopped && Date.now() < until) {
        this.rounds.push(await this.round());
        await delay(this.intervalMs);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  /** The most nodes that said 'leader' in one round, and the rounds where more than one did. */
  leaderOverlaps(): { max: number; rounds: RoleSample[][] } {
    let max = 0;
    const rounds: RoleSample[][] = [];
    for (const round of this.rounds) {
      const leaders = round.filter((s) => s.role === 'leader');
      max = Math.max(max, leaders.length);
      if (leaders.length > 1) rounds.push(leaders);
    }
    return { max, rounds };
  }

  /** Every answer of `nodeId`, oldest first. */
  of(nodeId: string): RoleSample[] {
    return this.rounds.flatMap((round) => round.filter((s) => s.nodeId === nodeId));
  }

  private async round(): Promise<RoleSample[]> {
    const nodes = [...this.cluster.nodes.values()];
    const answers = await Promise.allSettled(nodes.map((n) => this.ask(n.nodeId, n.rpcAddress)));
    return answers.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
  }

  private ask(nodeId: string, address: string): Promise<RoleSample> {
    const client = this.client(address);
    const sentAt = Date.now();
    return new Promise((resolve, reject) => {
      client.getClusterInfo(
        {},
        new Metadata(),
        { deadline: sentAt + this.deadlineMs },
        (err: Error | null, res: GetClusterInfoResponse) => {
          if (err) return reject(err);
          resolve({
            nodeId,
            sentAt,
            at: Date.now(),
            role: res.role,
            epoch: res.epoch,
            leaderId: res.leaderId,
          });
        },
      );
    });
  }

  private client(address: string): AdminServiceClient {
    let client = this.clients.get(address);
    if (!client) {
      const read = (file: string): Buffer => fs.readFileSync(path.join(this.cluster.certsDir, file));
      client = new AdminServiceClient(
        address,
        credentials.createSsl(read('ca.crt'), read('admin.key'), read('admin.crt')),
      );
      this.clients.set(address, client);
    }
    return client;
  }
}

export interface ScenarioOptions {
  name: string;
  /** Environment for every node (e.g. the scenario's own REDIS_URL / ZK_HOSTS). */
  env?: Record<string, string>;
  /** Extra environment per node (e.g. ZK_HOSTS through its own proxy). */
  nodeEnv?: (nodeId: string) => Record<string, string>;
  /** Users u1..uN (default 30), on the nodes round-robin. */
  users?: number;
  /** Rooms and members (default: two rooms of two thirds of the users each, spanning every node). */
  rooms?: (users: string[]) => WorkloadRoom[];
  load?: Partial<
    Pick<
      WorkloadOptions,
      'dmPerSecond' | 'roomPerSecond' | 'maxSends' | 'durationMs' | 'sendDeadlineMs' | 'receiveOnly'
    >
  >;
}

export interface Scenario {
  name: string;
  cluster: TestCluster;
  checker: DeliveryChecker;
  workload: Workload;
  sampler: RoleSampler;
  users: string[];
  rooms: WorkloadRoom[];
  /** When the load started (local time). */
  startedAt: number;
}

export const NODE_IDS = ['n1', 'n2', 'n3'];

/** ZK_SESSION_TIMEOUT_MS of every scenario's nodes. */
export const SESSION_TIMEOUT_MS = 3000;

/** Two rooms, each of two thirds of the users: both span every node, their overlap is in both. */
export function twoRooms(users: string[]): WorkloadRoom[] {
  const third = Math.ceil(users.length / 3);
  return [
    { name: 'north', members: users.slice(0, 2 * third) },
    { name: 'south', members: users.slice(third) },
  ];
}

/** A three-node cluster, users in rooms, the role sampler and the workload, all started. */
export async function startScenario(scope: TestScope, options: ScenarioOptions): Promise<Scenario> {
  const nodeEnv = options.nodeEnv;
  const cluster = await TestCluster.start({
    name: options.name,
    nodeIds: nodeEnv ? [] : NODE_IDS,
    env: { ZK_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS), ...options.env },
  });
  // Paused nodes must be woken, or stopping them would wait forever.
  scope.defer(() => cluster.stop(), `stop cluster ${options.name}`);
  scope.defer(() => {
    for (const node of cluster.nodes.values()) node.child.kill('SIGCONT');
  }, 'wake paused nodes');
  if (nodeEnv) {
    const [first, ...rest] = NODE_IDS as [string, ...string[]];
    await cluster.startNode(first, nodeEnv(first));
    await Promise.all(rest.map((id) => cluster.startNode(id, nodeEnv(id))));
  }
  if (process.env.FAULTS_DEBUG) captureLogs(cluster, options.name);
  const users = Array.from({ length: options.users ?? 30 }, (_, i) => `u${i + 1}`);
  for (const user of users) await cluster.createUser(user);
  await cluster.waitForLeader();

  const rooms = (options.rooms ?? twoRooms)(users);
  const checker = new DeliveryChecker();
  for (const room of rooms) {
    await setUpRoom(cluster, room);
    checker.room(conversation.room(room.name), room.members);
  }

  const sampler = new RoleSampler(cluster);
  sampler.start();
  scope.defer(() => sampler.stop(), 'stop role sampler');

  const workload = new Workload({
    users,
    password: TEST_PASSWORD,
    rooms,
    nodes: () => [...cluster.nodes.values()].map((n) => ({ nodeId: n.nodeId, wsUrl: n.wsUrl })),
    checker,
    dmPerSecond: 20,
    roomPerSecond: 5,
    maxSends: 3000,
    durationMs: 60_000,
    sendDeadlineMs: 20_000,
    // Longer than a follower's wait for the leader (5 s), so a slow leader answers 503 first.
    requestTimeoutMs: 6000,
    ...options.load,
  });
  scope.defer(() => workload.close(), 'close workload clients');
  await workload.start();
  return { name: options.name, cluster, checker, workload, sampler, users, rooms, startedAt: Date.now() };
}

/** Waits until `count` more sends (of `kind`) were acknowledged after `since`. */
export async function waitForAcks(
  s: Scenario,
  count: number,
  what: string,
  since = Date.now(),
  kind: 'room' | 'direct' | undefined = 'room',
  timeoutMs = 25_000,
): Promise<void> {
  await waitFor(() => s.checker.acknowledgedCount(kind, since) >= count, {
    what: `${count} ${kind ?? ''} acknowledgements ${what}`,
    timeoutMs,
    intervalMs: 100,
  });
}

export interface FinishOptions {
  /** Local time of the fault: problems are timed from it, and the first cross-node delivery after it. */
  faultAt?: number;
  /** How long the clients may take to show what they owe after the load stopped (default 10 s). */
  settleMs?: number;
}

/**
 * Stops the load, gives the clients time to recover what they owe (as a
 * user would wait; nobody re-reads the store), checks against the store,
 * prints the counts, and asserts that nothing acknowledged was missed,
 * shown twice or out of order, pushed to a non-member, or falsely said delivered.
 */
export async function finishScenario(s: Scenario, options: FinishOptions = {}): Promise<CheckReport> {
  s.checker.faultAt = options.faultAt;
  await s.workload.stop();
  await s.workload.settle(options.settleMs ?? 10_000);
  await s.sampler.stop();
  const report = await s.checker.check(s.name, await storeView(s.cluster));
  printReport(s, report);
  expect(s.workload.stats.unexpected).toEqual([]);
  expect(report.acknowledged).toBeGreaterThan(0);
  expect(judged(report)).toEqual(judged(undefined));
  expect(s.sampler.leaderOverlaps().rounds).toEqual([]);
  return report;
}

/** The counts that must be 0 in every scenario. */
function judged(r: CheckReport | undefined): Record<string, number> {
  return {
    missingStored: r?.missingStored ?? 0,
    missingUnstored: r?.missingUnstored ?? 0,
    duplicatesShown: r?.duplicatesShown ?? 0,
    orderViolations: r?.orderViolations ?? 0,
    nonMemberDeliveries: r?.nonMemberDeliveries ?? 0,
    falseDelivered: r?.falseDelivered ?? 0,
    lostAcks: r?.lostAcks ?? 0,
    storedTwice: r?.storedTwice ?? 0,
    gaps: r?.gaps ?? 0,
    phantoms: r?.phantoms ?? 0,
    ackMismatches: r?.ackMismatches ?? 0,
  };
}

function printReport(s: Scenario, report: CheckReport): void {
  const stats = s.workload.stats;
  console.log(
    `${formatReport(report)}\n  errors: ${JSON.stringify(stats.errors)} reconnects: ${stats.reconnects}` +
      `${report.problems.length ? `\n  problems:\n    ${report.problems.join('\n    ')}` : ''}`,
  );
  const file = process.env.FAULTS_REPORT;
  if (file) fs.appendFileSync(file, `${JSON.stringify({ ...report, errors: stats.errors })}\n`);
}

/** The checker reads the store itself: every message of a conversation, oldest first. */
async function storeView(cluster: TestCluster): Promise<StoreView> {
  const store = await cluster.users();
  return {
    async messages(conversationKey) {
      const all = [];
      // Bounded: pages of 1000 until the store has no more.
      for (let after = 0, page = 0; page < 1000; page++) {
        const batch = await store.messages.after(conversationKey, after, 1000);
        all.push(...batch);
        const last = batch[batch.length - 1];
        if (!last || batch.length < 1000) break;
        after = last.seq;
      }
      return all;
    },
  };
}

/** The leader's id and epoch once every running node agrees, from the sampler's view of the cluster. */
export async function waitForNewLeader(
  s: Scenario,
  not: string,
  timeoutMs = 20_000,
): Promise<{ leaderId: string; epoch: number }> {
  return waitFor(
    async () => {
      const r = await s.cluster.waitForLeader(`a new leader other than ${not}`, timeoutMs);
      return r.leaderId === not ? undefined : r;
    },
    { what: `a leader other than ${not}`, timeoutMs },
  );
}

/** A leader among `nodes` that they all agree on (e.g. while another node is paused). */
export async function waitForLeaderAmong(
  s: Scenario,
  nodes: string[],
  timeoutMs = 20_000,
): Promise<{ nodeId: string; epoch: number }> {
  return waitFor(
    async () => {
      const infos = await Promise.all(nodes.map((id) => s.cluster.info(id)));
      const leader = infos.find((i) => i.role === 'leader');
      return leader && infos.every((i) => i.leaderId === leader.nodeId) ? leader : undefined;
    },
    { what: `a leader among ${nodes.join(', ')}`, timeoutMs, intervalMs: 100 },
  );
}

/** The room's first member creates it, the others join it, each through its own node. */
async function setUpRoom(cluster: TestCluster, room: WorkloadRoom): Promise<void> {
  const ids = [...cluster.nodes.keys()];
  const enter = async (user: string, create: boolean): Promise<void> => {
    const index = Number(user.replace(/\D/g, '')) - 1;
    const client = await ChatClient.connect(cluster.node(ids[index % ids.length] as string).wsUrl);
    try {
      await client.login(user, TEST_PASSWORD);
      // Bounded: a busy room (ROOM_BUSY) or a settling leader answers 503 for a moment.
      for (let attempt = 0; ; attempt++) {
        try {
          if (create) await client.createRoom(room.name);
          else await client.joinRoom(room.name);
          break;
        } catch (err) {
          if (!isRetryable(err) || attempt >= 20) throw err;
          await delay(backoffDelay(attempt, { initialMs: 50, maxMs: 500 }));
        }
      }
    } finally {
      await client.close();
    }
  };
  const [creator, ...others] = room.members;
  if (creator === undefined) return;
  await enter(creator, true);
  await Promise.all(others.map((user) => enter(user, false)));
}

/** Debug aid (FAULTS_DEBUG=1): every node's log lines to /tmp/faults-<name>-<node>.log. */
function captureLogs(cluster: TestCluster, name: string): void {
  const attach = (nodeId: string): void => {
    const node = cluster.nodes.get(nodeId);
    const out = fs.createWriteStream(`/tmp/faults-${name}-${nodeId}.log`, { flags: 'a' });
    node?.child.stdout?.on('data', (chunk: Buffer) => out.write(chunk));
    node?.child.once('exit', () => out.end());
  };
  for (const id of cluster.nodes.keys()) attach(id);
  const startNode = cluster.startNode.bind(cluster);
  cluster.startNode = async (nodeId, extraEnv) => {
    const node = await startNode(nodeId, extraEnv);
    attach(nodeId);
    return node;
  };
}
