import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ChatClient } from '../../src/client/chat-client';
import { failureReason } from '../load/clients';
import { BenchCluster } from '../support/cluster';
import type { ClusterBuild, LeaderState } from '../support/cluster';
import { colorOf } from '../support/compare';
import { renderChart } from '../support/svg-chart';
import { fmt, table } from '../support/report';
import { BENCH_PASSWORD, seedStore } from '../support/seed';
import { startServices } from '../support/services';
import { waitFor } from '../../src/core/wait-for';
import { sleep } from '../support/wait';
import type { ScenarioContext, ScenarioResult } from './context';
import { FAULT_KINDS, measureFault, zooKeeperProxies } from './failover-faults';
import type { FaultRun } from './failover-faults';

export interface FailoverOptions {
  runs: number;
  sessionTimeoutMs: number;
  /** Cluster builds to measure one after another (this checkout first). */
  builds: ClusterBuild[];
}

export const FAILOVER_DEFAULTS: Omit<FailoverOptions, 'builds'> = { runs: 5, sessionTimeoutMs: 3000 };

const ROOM = 'failover-room';
const NODE_IDS = ['n1', 'n2', 'n3'];
const MEMBERS_PER_NODE = 5;
const RETRY_MS = 50;
/** Longest a run may take from the kill to the first delivery before it counts as failed. */
const RUN_DEADLINE_MS = 60_000;

export interface FailoverRun {
  run: number;
  killed: string;
  oldEpoch: number;
  newLeader: string;
  newEpoch: number;
  senderNode: string;
  receiverNode: string;
  /** Kill → both survivors name the same new leader, which says it leads, with a higher epoch. */
  leaderMs: number;
  /** Kill → the receiver gets the first room message sent after the kill. */
  firstDeliveryMs: number;
  attempts: number;
  acked: number;
  /** Acknowledged to the sender but never received by the receiver (should be 0). */
  ackedNotReceived: number;
  /** Those messages: when they were sent and acknowledged, in ms relative to the kill. */
  lost: Array<{ text: string; sentMs: number; ackedMs: number }>;
  errors: Record<string, number>;
}

/** SIGKILL the leader `runs` times; each time measure how long the cluster needs to serve the room again. */
export async function runFailover(ctx: ScenarioContext, options: FailoverOptions): Promise<ScenarioResult> {
  const userOf = (run: number, node: number, member: number): string => `f${run}n${node}m${member}`;
  const faultUserOf = (fault: number, node: number, member: number): string => `g${fault}n${node}m${member}`;
  const users: string[] = [];
  for (let run = 0; run < options.runs; run++)
    for (let node = 0; node < NODE_IDS.length; node++)
      for (let m = 0; m < MEMBERS_PER_NODE; m++) users.push(userOf(run, node, m));
  for (let fault = 0; fault < FAULT_KINDS.length; fault++)
    for (let node = 0; node < NODE_IDS.length; node++)
      for (let m = 0; m < MEMBERS_PER_NODE; m++) users.push(faultUserOf(fault, node, m));

  const services = await startServices(path.join(ctx.workDir, 'services'), ctx.teardown);
  const byBuild: Array<{ label: string; runs: FailoverRun[]; faults: FaultRun[] }> = [];
  for (const [b, build] of options.builds.entries()) {
    const sqlitePath = path.join(ctx.workDir, `chat-${b}.db`);
    await seedStore(sqlitePath, { users, rooms: [{ name: ROOM, members: users }] });
    ctx.progress(
      `failover: starting 3 chat nodes of ${build.label} (ZooKeeper session timeout ${options.sessionTimeoutMs} ms)`,
    );
    // Each node reaches ZooKeeper through a proxy of its own, which the follower-zk-cut run blackholes.
    const proxies = await zooKeeperProxies(services.zk.hosts, NODE_IDS);
    ctx.teardown.add(`${build.label} ZooKeeper proxies`, () =>
      Promise.all([...proxies.values()].map((p) => p.close())),
    );
    const cluster = await BenchCluster.start({
      workDir: ctx.workDir,
      sqlitePath,
      redisUrl: services.redis.url,
      zkHosts: services.zk.hosts,
      nodeIds: NODE_IDS,
      sessionTimeoutMs: options.sessionTimeoutMs,
      teardown: ctx.teardown,
      build,
      nodeEnv: (id) => ({ ZK_HOSTS: proxies.get(id)?.address ?? services.zk.hosts }),
    });

    const runs: FailoverRun[] = [];
    for (let run = 0; run < options.runs; run++) {
      const before = await cluster.waitForLeader(60_000);
      const clients: ChatClient[] = [];
      ctx.teardown.add(`failover run ${run} clients`, () => Promise.all(clients.map((c) => c.close())));
      try {
        const login = async (nodeId: string, member: number): Promise<ChatClient> => {
          const client = await ChatClient.connect(cluster.node(nodeId).wsUrl, { inboxSize: 1 });
          clients.push(client);
          await client.login(userOf(run, NODE_IDS.indexOf(nodeId), member), BENCH_PASSWORD);
          return client;
        };
        for (const nodeId of NODE_IDS) for (let m = 1; m < MEMBERS_PER_NODE; m++) await login(nodeId, m);
        const [senderNode, receiverNode] = cluster.followers(before.leaderId) as [string, string];
        const sender = await login(senderNode, 0);
        const receiver = await login(receiverNode, 0);
        const result = await killAndMeasure(cluster, before, {
          run,
          sender,
          receiver,
          senderNode,
          receiverNode,
        });
        runs.push(result);
        ctx.progress(
          `failover: run ${run + 1}/${options.runs}: killed ${result.killed}, new leader ${result.newLeader} after ` +
            `${fmt.ms(result.leaderMs)} ms, first delivery after ${fmt.ms(result.firstDeliveryMs)} ms`,
        );
      } finally {
        await Promise.all(clients.map((c) => c.close()));
      }
      const killed = runs[runs.length - 1]?.killed ?? before.leaderId;
      if (!cluster.nodes.has(killed)) await cluster.startNode(killed);
    }
    const faults: FaultRun[] = [];
    for (const [f, kind] of FAULT_KINDS.entries()) {
      const result = await measureFault(
        cluster,
        proxies,
        kind,
        ROOM,
        (node, member) => faultUserOf(f, node, member),
        options.sessionTimeoutMs,
      );
      faults.push(result);
      ctx.progress(
        `failover: ${kind} of ${result.target}: first delivery after ${
          result.firstDeliveryMs === undefined ? 'none' : `${fmt.ms(result.firstDeliveryMs)} ms`
        }, ${result.missing} missing of ${result.acked} acknowledged`,
      );
    }
    await cluster.stop();
    byBuild.push({ label: build.label, runs, faults });
  }

  return {
    scenario: 'failover',
    table: byBuild
      .map((b) => `${render(options, b.label, b.runs)}\n\n${renderFaults(options, b.label, b.faults)}`)
      .join('\n\n'),
    chart: chart(options, byBuild),
    data: {
      options: { ...options, builds: byBuild.map((b) => b.label) },
      builds: byBuild.map((b) => ({
        label: b.label,
        runs: b.runs,
        faults: b.faults,
        summary: summarize(b.runs),
      })),
    },
  };
}

function chart(
  options: FailoverOptions,
  builds: ReadonlyArray<{ label: string; runs: FailoverRun[]; faults: FaultRun[] }>,
): string {
  const runs = Math.max(...builds.map((b) => b.runs.length), 0);
  const groups = Array.from({ length: runs }, (_, i) => `run ${i + 1}`);
  // One bar per build and leader kill.
  const killPanel = (title: string, ms: (run: (typeof builds)[number]['runs'][number]) => number) => ({
    kind: 'bar' as const,
    title,
    yLabel: 'ms',
    groups,
    bars: builds.map((b, i) => ({ name: b.label, color: colorOf('cluster', i), values: b.runs.map(ms) })),
  });
  return renderChart(
    `Failover: SIGKILL of the leader, ZooKeeper session timeout ${options.sessionTimeoutMs} ms`,
    [
      killPanel('kill → new leader serving', (r) => r.leaderMs),
      killPanel('kill → first room message delivered', (r) => r.firstDeliveryMs),
      {
        kind: 'bar',
        title: 'other faults → first delivery to a user of the node',
        yLabel: 'ms',
        groups: [...FAULT_KINDS],
        bars: builds.map((b, i) => ({
          name: b.label,
          color: colorOf('cluster', i),
          values: FAULT_KINDS.map((k) => b.faults.find((f) => f.kind === k)?.firstDeliveryMs ?? 0),
        })),
      },
    ],
  );
}

async function killAndMeasure(
  cluster: BenchCluster,
  before: LeaderState,
  who: { run: number; sender: ChatClient; receiver: ChatClient; senderNode: string; receiverNode: string },
): Promise<FailoverRun> {
  const { run, sender, receiver } = who;
  const sentAt = new Map<string, number>();
  const acked = new Map<string, number>();
  const received = new Set<string>();
  const errors: Record<string, number> = {};
  let killAt = Infinity;
  let firstDeliveryAt: number | undefined;
  receiver.on('message', (message) => {
    const now = performance.now();
    received.add(message.text);
    if (firstDeliveryAt === undefined && (sentAt.get(message.text) ?? -Infinity) > killAt)
      firstDeliveryAt = now;
  });

  // The room works before the kill.
  await sender.sendRoom(ROOM, `f ${run} ready`);
  await receiver.waitForMessage((m) => m.text === `f ${run} ready`, 10_000);

  let sending = true;
  let attempts = 0;
  const maxAttempts = Math.ceil((RUN_DEADLINE_MS + 5000) / RETRY_MS);
  const senderLoop = (async (): Promise<void> => {
    while (sending && attempts < maxAttempts) {
      const text = `f ${run} ${attempts++}`;
      const started = performance.now();
      sentAt.set(text, started);
      try {
        const reply = await sender.request(
          { $case: 'sendRoom', value: { room: ROOM, text, idempotencyKey: '' } },
          { timeoutMs: 2000 },
        );
        if (reply.$case === 'sendAck') acked.set(text, performance.now());
      } catch (err) {
        const reason = failureReason(err);
        errors[reason] = (errors[reason] ?? 0) + 1;
      }
      const wait = started + RETRY_MS - performance.now();
      if (wait > 0) await sleep(wait);
    }
  })();

  try {
    // Some traffic through the old leader first, as in a live cluster.
    await sleep(500);
    killAt = performance.now();
    await cluster.kill(before.leaderId);
    const survivors = [who.senderNode, who.receiverNode];
    const leader = await waitFor(
      async () => {
        const infos = await Promise.all(survivors.map((id) => cluster.info(id, 500)));
        const leaderId = infos[0]?.leaderId;
        if (!leaderId || infos.some((i) => i.leaderId !== leaderId)) return undefined;
        const info = infos.find((i) => i.nodeId === leaderId);
        if (info?.role !== 'leader' || info.epoch <= before.epoch) return undefined;
        return { leaderId, epoch: info.epoch, at: performance.now() };
      },
      { what: `a new leader among ${survivors.join(', ')}`, timeoutMs: RUN_DEADLINE_MS, intervalMs: 20 },
    );
    const delivered = await waitFor(() => firstDeliveryAt, {
      what: `the first room message through the new leader ${leader.leaderId}`,
      timeoutMs: Math.max(1000, killAt + RUN_DEADLINE_MS - performance.now()),
      intervalMs: 10,
    });
    // A second of traffic through the new leader, then every acknowledged message must have arrived.
    await sleep(1000);
    sending = false;
    await senderLoop;
    await waitFor(() => ([...acked.keys()].every((t) => received.has(t)) ? true : undefined), {
      what: 'the acknowledged messages',
      timeoutMs: 3000,
      intervalMs: 50,
    }).catch(() => undefined);
    const lost = [...acked]
      .filter(([text]) => !received.has(text))
      .map(([text, ackedAt]) => ({
        text,
        sentMs: (sentAt.get(text) ?? NaN) - killAt,
        ackedMs: ackedAt - killAt,
      }));
    return {
      run,
      killed: before.leaderId,
      oldEpoch: before.epoch,
      newLeader: leader.leaderId,
      newEpoch: leader.epoch,
      senderNode: who.senderNode,
      receiverNode: who.receiverNode,
      leaderMs: leader.at - killAt,
      firstDeliveryMs: delivered - killAt,
      attempts,
      acked: acked.size,
      ackedNotReceived: lost.length,
      lost,
      errors,
    };
  } finally {
    sending = false;
    await senderLoop;
  }
}

interface Spread {
  min: number;
  median: number;
  max: number;
}

function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return { min: sorted[0] ?? 0, median, max: sorted[sorted.length - 1] ?? 0 };
}

function summarize(runs: readonly FailoverRun[]): Record<string, unknown> {
  return {
    leaderMs: spread(runs.map((r) => r.leaderMs)),
    firstDeliveryMs: spread(runs.map((r) => r.firstDeliveryMs)),
    ackedNotReceived: runs.reduce((sum, r) => sum + r.ackedNotReceived, 0),
  };
}

function render(options: FailoverOptions, label: string, runs: readonly FailoverRun[]): string {
  const rows = runs.map((r) => [
    String(r.run + 1),
    `${r.killed} (epoch ${r.oldEpoch})`,
    `${r.newLeader} (epoch ${r.newEpoch})`,
    fmt.ms(r.leaderMs),
    fmt.ms(r.firstDeliveryMs),
    fmt.int(r.attempts),
    fmt.int(r.acked),
    fmt.int(r.ackedNotReceived),
    Object.entries(r.errors)
      .map(([reason, n]) => `${reason} ${n}`)
      .join(', ') || 'none',
  ]);
  const leader = spread(runs.map((r) => r.leaderMs));
  const delivery = spread(runs.map((r) => r.firstDeliveryMs));
  const lost = runs.reduce((sum, r) => sum + r.ackedNotReceived, 0);
  for (const key of ['min', 'median', 'max'] as const) {
    rows.push([key, '', '', fmt.ms(leader[key]), fmt.ms(delivery[key]), '', '', '', '']);
  }
  return [
    table(
      `failover, ${label}: ${runs.length} leader kills (SIGKILL), ZooKeeper session timeout ${options.sessionTimeoutMs} ms, ` +
        `sender retries every ${RETRY_MS} ms`,
      [
        'run',
        'killed leader',
        'new leader',
        'leader ms',
        'first delivery ms',
        'attempts',
        'acked',
        'acked, not received',
        'send errors',
      ],
      rows,
    ),
    `acknowledged but never received: ${lost} (should be 0)` +
      (lost > 0
        ? `; sent at (ms from the kill): ${runs
            .flatMap((r) => r.lost.map((l) => `run ${r.run + 1}: ${fmt.ms(l.sentMs)}`))
            .join(', ')}`
        : ''),
  ].join('\n');
}

function renderFaults(options: FailoverOptions, label: string, faults: readonly FaultRun[]): string {
  const rows = faults.map((f) => [
    f.kind,
    f.target,
    f.firstDeliveryMs === undefined ? 'none' : fmt.ms(f.firstDeliveryMs),
    fmt.ms(f.longestGapMs),
    fmt.int(f.acked),
    fmt.int(f.missing),
    Object.entries(f.errors)
      .map(([reason, n]) => `${reason} ${n}`)
      .join(', ') || 'none',
  ]);
  return (
    table(
      `failover, ${label}: other faults under a room message every 50 ms, receivers are ResilientClients ` +
        `(ZooKeeper session timeout ${options.sessionTimeoutMs} ms)`,
      ['fault', 'node', 'first delivery ms', 'longest gap ms', 'acked', 'missing', 'send errors'],
      rows,
    ) +
    '\nfirst delivery: from the fault (the ZooKeeper cut: from its end) to the first message sent after it shown to a user of ' +
    'that node; longest gap: between the sends of two messages in a row that reached them; missing: (receiver, ' +
    'acknowledged message) pairs never shown (should be 0)'
  );
}
