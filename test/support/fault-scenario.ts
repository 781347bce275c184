/**
 * The frame of a fault scenario: a three-node TestCluster, users in a shared
 * room, the workload (test/support/workload.ts) feeding the checker
 * (test/support/checker.ts), and a sampler of every node's role. Set
 * FAULTS_DEBUG=1 to keep each node's log in /tmp/faults-<scenario>-<node>.log
 * and print which messages only the final sync delivered.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { credentials, Metadata } from '@grpc/grpc-js';
import { AdminServiceClient } from '../../gen/chat/v1/cluster';
import type { GetClusterInfoResponse } from '../../gen/chat/v1/cluster';
import { ChatClient } from '../../src/client/chat-client';
import { conversation } from '../../src/core/names';
import { DeliveryChecker, formatReport } from './checker';
import type { CheckReport } from './checker';
import { TEST_PASSWORD, TestCluster } from './cluster';
import type { TestScope } from './scope';
import { waitFor } from '../../src/core/wait-for';
import { Workload } from './workload';
import type { WorkloadOptions } from './workload';

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
  users?: number;
  workload?: Partial<Pick<WorkloadOptions, 'maxSendsPerUser' | 'durationMs' | 'drainMs' | 'pauseMs'>>;
}

export interface Scenario {
  name: string;
  cluster: TestCluster;
  checker: DeliveryChecker;
  workload: Workload;
  sampler: RoleSampler;
  users: string[];
  room: string;
  /** When the load started (local time). */
  startedAt: number;
}

export const NODE_IDS = ['n1', 'n2', 'n3'];

/** A three-node cluster, users in a shared room, the role sampler and the workload, all started. */
export async function startScenario(scope: TestScope, options: ScenarioOptions): Promise<Scenario> {
  const nodeEnv = options.nodeEnv;
  const cluster = await TestCluster.start({
    name: options.name,
    nodeIds: nodeEnv ? [] : NODE_IDS,
    env: options.env,
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
  const users = Array.from({ length: options.users ?? 6 }, (_, i) => `u${i + 1}`);
  for (const user of users) await cluster.createUser(user);
  await cluster.waitForLeader();

  const room = 'faults';
  await joinRoom(cluster, users, room);
  const checker = new DeliveryChecker();
  checker.room(conversation.room(room), users);

  const sampler = new RoleSampler(cluster);
  sampler.start();
  scope.defer(() => sampler.stop(), 'stop role sampler');

  const workload = new Workload({
    users,
    password: TEST_PASSWORD,
    room,
    nodes: () => [...cluster.nodes.values()].map((n) => ({ nodeId: n.nodeId, wsUrl: n.wsUrl })),
    checker,
    maxSendsPerUser: 300,
    durationMs: 40_000,
    drainMs: 15_000,
    pauseMs: 60,
    // Longer than a follower's wait for the leader (5 s), so a slow leader answers 503 first.
    requestTimeoutMs: 6000,
    ...options.workload,
  });
  scope.defer(() => workload.close(), 'close workload clients');
  await workload.start();
  return { name: options.name, cluster, checker, workload, sampler, users, room, startedAt: Date.now() };
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

/**
 * Stops the load, lets every user sync, checks and prints the counts, and
 * asserts nothing acknowledged was lost, duplicated, skipped or invented.
 */
export async function finishScenario(
  s: Scenario,
  measure?: { failoverFrom: number; newLeaderSince?: number } | { outageFrom: number; outageTo: number },
): Promise<CheckReport> {
  await s.workload.stop();
  await s.workload.finalSync();
  await s.sampler.stop();
  let failoverMs: number | undefined;
  if (measure && 'failoverFrom' in measure) {
    // Attempts made once the old leader could no longer answer can only be the new leader's.
    const firstAck = s.checker.firstRoomAckAfter(measure.newLeaderSince ?? measure.failoverFrom);
    failoverMs = firstAck === undefined ? undefined : firstAck - measure.failoverFrom;
  } else if (measure) {
    failoverMs = s.checker.longestRoomAckGap(measure.outageFrom, measure.outageTo);
  }
  const failoverFrom = measure && 'failoverFrom' in measure ? measure.failoverFrom : undefined;
  const report = s.checker.check(s.name, failoverMs);
  if (process.env.FAULTS_DEBUG) {
    const t0 = failoverFrom ?? s.startedAt;
    const buckets = new Map<string, number>();
    for (const { recipient, message } of s.checker.syncOnlyMessages()) {
      const k = `${message.conversation.startsWith('room') ? 'room' : 'dm'} ${recipient} t=${Math.floor((message.ts - t0) / 1000)}s`;
      buckets.set(k, (buckets.get(k) ?? 0) + 1);
    }
    console.log(
      [...buckets]
        .sort()
        .map(([k, v]) => `${k}: ${v}`)
        .join('\n'),
    );
  }
  console.log(
    `${formatReport(report)}\n  errors: ${JSON.stringify(s.workload.stats.errors)} reconnects: ${
      s.workload.stats.reconnects
    }${report.problems.length ? `\n  problems:\n    ${report.problems.join('\n    ')}` : ''}`,
  );
  expect(s.workload.stats.unexpected).toEqual([]);
  expect(report.acknowledged).toBeGreaterThan(0);
  expect({
    missing: report.missing,
    duplicates: report.duplicates,
    gaps: report.gaps,
    phantoms: report.phantoms,
    ackMismatches: report.ackMismatches,
  }).toEqual({ missing: 0, duplicates: 0, gaps: 0, phantoms: 0, ackMismatches: 0 });
  const overlaps = s.sampler.leaderOverlaps();
  expect(overlaps.rounds).toEqual([]);
  return report;
}

/** The leader's id and epoch once every running node agrees, from the sampler's view of the cluster. */
export async function waitForNewLeader(
  s: Scenario,
  not: string,
  timeoutMs = 20_000,
): Promise<{ leaderId: string; epoch: number }> {
  const result = await s.cluster.waitForLeader(`a new leader other than ${not}`, timeoutMs);
  if (result.leaderId === not) {
    return waitFor(
      async () => {
        const r = await s.cluster.waitForLeader(`a new leader other than ${not}`, timeoutMs);
        return r.leaderId === not ? undefined : r;
      },
      { what: `a leader other than ${not}`, timeoutMs },
    );
  }
  return result;
}

/** The first user creates the room, the others join it, each through another node. */
async function joinRoom(cluster: TestCluster, users: string[], room: string): Promise<void> {
  const ids = [...cluster.nodes.keys()];
  for (const [i, user] of users.entries()) {
    const client = await ChatClient.connect(cluster.node(ids[i % ids.length] as string).wsUrl);
    try {
      await client.login(user, TEST_PASSWORD);
      if (i === 0) await client.createRoom(room);
      else await client.joinRoom(room);
    } finally {
      await client.close();
    }
  }
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
