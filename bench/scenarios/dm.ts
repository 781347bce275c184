import path from 'node:path';
import { ChatTransport } from '../load/chat-transport';
import type { LoadTransport } from '../load/clients';
import { connectUsers } from '../load/connect';
import type { ConnectPlan } from '../load/connect';
import { TextRouter, runPhase } from '../load/phase';
import type { PhaseResult } from '../load/phase';
import { RelayTransport } from '../load/relay-transport';
import type { SenderPlan } from '../load/senders';
import { BenchCluster } from '../support/cluster';
import { fmt, table } from '../support/report';
import { startRelay } from '../support/relay';
import { BENCH_PASSWORD, seedStore } from '../support/seed';
import { startServices } from '../support/services';
import type { ScenarioContext, ScenarioResult } from './context';

export interface DmOptions {
  pairs: number;
  /** Per sender. */
  messages: number;
  durationMs: number;
  /** Per sender, messages per second; undefined: as fast as the window allows. */
  rate: number | undefined;
  /** Messages per sender on their way at once. */
  window: number;
  sizeChars: number;
  sessionTimeoutMs: number;
  /** Export of chat records from the nodes (EXPORT_SINK), to compare its cost. */
  exportSink: 'off' | 'redis';
}

export const DM_DEFAULTS: DmOptions = {
  pairs: 50,
  messages: 100_000,
  durationMs: 10_000,
  rate: undefined,
  window: 4,
  sizeChars: 100,
  sessionTimeoutMs: 3000,
  exportSink: 'off',
};

const SAME = 'same-node';
const CROSS = 'cross-node';
const NODE_IDS = ['n1', 'n2', 'n3'];

interface Pair {
  index: number;
  sender: string;
  receiver: string;
  category: string;
  senderNode: string;
  receiverNode: string;
}

/**
 * Direct messages between pairs of users: half of the pairs on one node,
 * half across the two followers (follower → leader → follower), then the
 * same load through the baseline relay.
 */
export async function runDm(ctx: ScenarioContext, options: DmOptions): Promise<ScenarioResult> {
  const users = Array.from({ length: options.pairs }, (_, i) => [`s${i}`, `r${i}`]).flat();
  const services = await startServices(path.join(ctx.workDir, 'services'), ctx.teardown);
  const sqlitePath = path.join(ctx.workDir, 'chat.db');
  ctx.progress(`dm: seeding ${users.length} users`);
  await seedStore(sqlitePath, { users });
  ctx.progress('dm: starting 3 chat nodes');
  const cluster = await BenchCluster.start({
    workDir: ctx.workDir,
    sqlitePath,
    redisUrl: services.redis.url,
    zkHosts: services.zk.hosts,
    nodeIds: NODE_IDS,
    sessionTimeoutMs: options.sessionTimeoutMs,
    teardown: ctx.teardown,
    env:
      options.exportSink === 'off' ? {} : { EXPORT_SINK: options.exportSink, EXPORT_STREAM: 'bench:export' },
  });
  const { leaderId } = await cluster.waitForLeader();
  const [f1, f2] = cluster.followers(leaderId) as [string, string];
  const pairs = placePairs(options.pairs, f1, f2);

  ctx.progress(`dm: cluster (leader ${leaderId}), ${options.pairs} pairs`);
  const clusterPhase = await drive(new ChatTransport(BENCH_PASSWORD), pairs, options, {
    url: (nodeId) => cluster.node(nodeId).wsUrl,
    processes: cluster.pids(),
  });
  await cluster.stop();

  ctx.progress('dm: baseline relay');
  const relay = await startRelay(ctx.workDir, ctx.teardown);
  const baselinePairs = pairs.map((p) => ({ ...p, category: 'baseline' }));
  const baselinePhase = await drive(new RelayTransport(), baselinePairs, options, {
    url: () => relay.url,
    processes: [{ name: 'relay', pid: relay.pid }],
  });
  await relay.stop();

  return {
    scenario: 'dm',
    table: render(options, leaderId, pairs, clusterPhase, baselinePhase),
    data: {
      options,
      leader: leaderId,
      pairs: {
        sameNode: pairs.filter((p) => p.category === SAME).length,
        crossNode: pairs.filter((p) => p.category === CROSS).length,
      },
      cluster: clusterPhase,
      baseline: baselinePhase,
      ratio: {
        throughput: clusterPhase.total.perSecond / baselinePhase.total.perSecond,
        p50: clusterPhase.total.latency.p50Ms / baselinePhase.total.latency.p50Ms,
        p99: clusterPhase.total.latency.p99Ms / baselinePhase.total.latency.p99Ms,
      },
    },
  };
}

/** Same-node pairs round-robin over all three nodes; cross-node pairs between the followers, both ways. */
function placePairs(count: number, f1: string, f2: string): Pair[] {
  const sameCount = Math.ceil(count / 2);
  return Array.from({ length: count }, (_, index) => {
    if (index < sameCount) {
      const node = NODE_IDS[index % NODE_IDS.length] as string;
      return {
        index,
        sender: `s${index}`,
        receiver: `r${index}`,
        category: SAME,
        senderNode: node,
        receiverNode: node,
      };
    }
    const forward = index % 2 === 0;
    return {
      index,
      sender: `s${index}`,
      receiver: `r${index}`,
      category: CROSS,
      senderNode: forward ? f1 : f2,
      receiverNode: forward ? f2 : f1,
    };
  });
}

async function drive(
  transport: LoadTransport,
  pairs: readonly Pair[],
  options: DmOptions,
  where: { url: (nodeId: string) => string; processes: ReadonlyArray<{ name: string; pid: number }> },
): Promise<PhaseResult> {
  const router = new TextRouter();
  const plans: ConnectPlan[] = pairs.flatMap((p) => [
    { user: p.receiver, placement: { url: where.url(p.receiverNode), groups: [] } },
    { user: p.sender, placement: { url: where.url(p.senderNode), groups: [] } },
  ]);
  const connected = await connectUsers(transport, plans, { concurrency: 20, onText: router.onText });
  try {
    const senders: SenderPlan[] = pairs.map((p) => ({
      client: connected.byUser.get(p.sender)!,
      index: p.index,
      target: { kind: 'user', name: p.receiver },
      category: p.category,
      recipients: 1,
    }));
    return await runPhase(senders, router, {
      durationMs: options.durationMs,
      maxMessages: options.messages,
      window: options.window,
      ratePerSecond: options.rate,
      sizeChars: options.sizeChars,
      warmupMs: Math.min(2000, options.durationMs / 5),
      deliveryTimeoutMs: 5000,
      processes: where.processes,
    });
  } finally {
    await connected.closeAll();
  }
}

function render(
  options: DmOptions,
  leaderId: string,
  pairs: readonly Pair[],
  cluster: PhaseResult,
  baseline: PhaseResult,
): string {
  const count = (category: string): number => pairs.filter((p) => p.category === category).length;
  const mem = (phase: PhaseResult): string =>
    `${fmt.mib(phase.memory.processes.reduce((sum, p) => sum + p.rssBytes, 0))} / ${fmt.mib(phase.memory.peakTotalRssBytes)}`;
  const cpu = (phase: PhaseResult): string =>
    fmt.seconds(phase.memory.processes.reduce((sum, p) => sum + p.cpuMs, 0));
  const row = (
    label: string,
    pairCount: number,
    phase: PhaseResult,
    r: PhaseResult['total'],
    whole: boolean,
  ): string[] => [
    label,
    fmt.int(pairCount),
    fmt.int(r.sent),
    fmt.int(r.deliveries),
    fmt.rate(r.perSecond),
    fmt.ms(r.latency.p50Ms),
    fmt.ms(r.latency.p99Ms),
    fmt.ms(r.latency.maxMs),
    whole ? mem(phase) : '',
    whole ? cpu(phase) : '',
  ];
  const same = cluster.categories[SAME];
  const cross = cluster.categories[CROSS];
  const rows = [
    ...(same ? [row('cluster same-node', count(SAME), cluster, same, false)] : []),
    ...(cross ? [row('cluster cross-node (F→L→F)', count(CROSS), cluster, cross, false)] : []),
    row('cluster total', pairs.length, cluster, cluster.total, true),
    row('baseline relay', pairs.length, baseline, baseline.total, true),
    [
      'ratio cluster/baseline',
      '',
      '',
      '',
      fmt.ratio(cluster.total.perSecond, baseline.total.perSecond),
      fmt.ratio(cluster.total.latency.p50Ms, baseline.total.latency.p50Ms),
      fmt.ratio(cluster.total.latency.p99Ms, baseline.total.latency.p99Ms),
      fmt.ratio(cluster.total.latency.maxMs, baseline.total.latency.maxMs),
      '',
      '',
    ],
  ];
  const pacing = options.rate ? `${options.rate} msg/s per sender` : 'unpaced';
  const title =
    `dm: ${options.pairs} pairs, ${fmt.seconds(options.durationMs)} s or ${fmt.int(options.messages)} msgs per sender, ` +
    `window ${options.window}, ${pacing}, ${options.sizeChars}-char texts, export ${options.exportSink}; leader ${leaderId}`;
  const notes = [
    `failed sends: cluster ${describeFailures(cluster)}, baseline ${describeFailures(baseline)}`,
    `load generator CPU: cluster phase ${fmt.seconds(cluster.loadGeneratorCpuMs)} s in ${fmt.seconds(cluster.send.elapsedMs)} s, ` +
      `baseline phase ${fmt.seconds(baseline.loadGeneratorCpuMs)} s in ${fmt.seconds(baseline.send.elapsedMs)} s`,
  ];
  return [
    table(
      title,
      [
        '',
        'pairs',
        'sent',
        'delivered',
        'msgs/s',
        'p50 ms',
        'p99 ms',
        'max ms',
        'RSS MiB end/peak',
        'server CPU s',
      ],
      rows,
    ),
    ...notes,
  ].join('\n');
}

/** Failed sends by reason, and acknowledged messages that did not reach every recipient in time. */
export function describeFailures(phase: PhaseResult): string {
  const failed = Object.entries(phase.send.failed);
  const failedCount = failed.reduce((sum, [, n]) => sum + n, 0);
  const parts = failed.map(([reason, n]) => `${reason} ${n}`);
  const undelivered = phase.total.incomplete - failedCount;
  if (undelivered > 0) parts.push(`${undelivered} acknowledged but not fully delivered in time`);
  return parts.length ? parts.join(', ') : 'none';
}
