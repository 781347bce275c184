import path from 'node:path';
import { ChatTransport } from '../load/chat-transport';
import type { LoadTransport, Target } from '../load/clients';
import { connectUsers } from '../load/connect';
import type { ConnectedUsers } from '../load/connect';
import { TextRouter, runPhase } from '../load/phase';
import type { PhaseResult } from '../load/phase';
import { RelayTransport } from '../load/relay-transport';
import type { SenderPlan } from '../load/senders';
import { BenchCluster } from '../support/cluster';
import { RedisCommandCounter, RedisRoundTripSampler, commandDelta } from '../support/redis-stats';
import type { CommandCounts, RoundTripSample } from '../support/redis-stats';
import { fmt, table } from '../support/report';
import { startRelay } from '../support/relay';
import { BENCH_PASSWORD, seedStore } from '../support/seed';
import { startServices } from '../support/services';
import type { ScenarioContext, ScenarioResult } from './context';
import { describeFailures } from './dm';

export interface RoomOptions {
  members: number;
  /** Users online for the world channel (the members are among them). */
  online: number;
  senders: number;
  messages: number;
  durationMs: number;
  rate: number | undefined;
  window: number;
  sizeChars: number;
  sessionTimeoutMs: number;
}

export const ROOM_DEFAULTS: RoomOptions = {
  members: 1000,
  online: 3000,
  senders: 3,
  messages: 100_000,
  durationMs: 10_000,
  rate: undefined,
  window: 1,
  sizeChars: 100,
  sessionTimeoutMs: 3000,
};

const ROOM = 'bench-room';
const NODE_IDS = ['n1', 'n2', 'n3'];

interface GroupRun {
  phase: PhaseResult;
  /** Redis commands during the measured run, per acknowledged message (cluster only). */
  redis?: {
    perMessage: number;
    total: number;
    byCommand: Record<string, number>;
    /** MONITOR sample of the warm-up: round trips per recorded message. */
    roundTripsPerMessage: number;
    monitorSample: RoundTripSample;
  };
}

interface TransportRun {
  room: GroupRun;
  world: GroupRun;
  connectMs: number;
}

/**
 * Fan-out: one room whose members are spread over the three nodes, then the
 * world channel with every user online; the same through the relay.
 */
export async function runRoom(ctx: ScenarioContext, requested: RoomOptions): Promise<ScenarioResult> {
  const options = { ...requested, online: Math.max(requested.online, requested.members) };
  options.senders = Math.min(options.senders, options.members);
  const users = Array.from({ length: options.online }, (_, i) => `u${i}`);
  const members = users.slice(0, options.members);
  const nodeOf = (index: number): string => NODE_IDS[index % NODE_IDS.length] as string;

  const services = await startServices(path.join(ctx.workDir, 'services'), ctx.teardown);
  const sqlitePath = path.join(ctx.workDir, 'chat.db');
  ctx.progress(`room: seeding ${users.length} users and a room of ${members.length}`);
  await seedStore(sqlitePath, { users, rooms: [{ name: ROOM, members }] });
  ctx.progress('room: starting 3 chat nodes');
  const cluster = await BenchCluster.start({
    workDir: ctx.workDir,
    sqlitePath,
    redisUrl: services.redis.url,
    zkHosts: services.zk.hosts,
    nodeIds: NODE_IDS,
    sessionTimeoutMs: options.sessionTimeoutMs,
    teardown: ctx.teardown,
  });
  const { leaderId } = await cluster.waitForLeader();
  const counter = new RedisCommandCounter(services.redis.url);
  ctx.teardown.add('redis counter', () => counter.close());

  ctx.progress(`room: logging in ${users.length} users over 3 nodes (leader ${leaderId})`);
  const clusterRun = await drive(
    new ChatTransport(BENCH_PASSWORD),
    users,
    options,
    {
      url: (i) => cluster.node(nodeOf(i)).wsUrl,
      processes: cluster.pids(),
      redis: { counter, url: services.redis.url, historyMarker: `${cluster.redisPrefix}history:` },
    },
    ctx,
  );
  await cluster.stop();

  ctx.progress('room: baseline relay');
  const relay = await startRelay(ctx.workDir, ctx.teardown);
  const baselineRun = await drive(
    new RelayTransport(),
    users,
    options,
    { url: () => relay.url, processes: [{ name: 'relay', pid: relay.pid }] },
    ctx,
  );
  await relay.stop();

  return {
    scenario: 'room',
    table: render(options, leaderId, clusterRun, baselineRun),
    data: {
      options,
      leader: leaderId,
      cluster: clusterRun,
      baseline: baselineRun,
      ratio: {
        roomDeliveries: clusterRun.room.phase.total.perSecond / baselineRun.room.phase.total.perSecond,
        worldDeliveries: clusterRun.world.phase.total.perSecond / baselineRun.world.phase.total.perSecond,
      },
    },
  };
}

async function drive(
  transport: LoadTransport,
  users: readonly string[],
  options: RoomOptions,
  where: {
    url: (userIndex: number) => string;
    processes: ReadonlyArray<{ name: string; pid: number }>;
    redis?: { counter: RedisCommandCounter; url: string; historyMarker: string };
  },
  ctx: ScenarioContext,
): Promise<TransportRun> {
  const router = new TextRouter();
  const connected: ConnectedUsers = await connectUsers(
    transport,
    users.map((user, i) => ({
      user,
      placement: { url: where.url(i), groups: i < options.members ? [ROOM, 'world'] : ['world'] },
    })),
    { concurrency: 50, onText: router.onText },
  );
  ctx.progress(
    `room: ${transport.name}: ${users.length} users connected in ${fmt.seconds(connected.elapsedMs)} s`,
  );
  try {
    const group = async (target: Target, recipients: number): Promise<GroupRun> => {
      // The first senders are members on different nodes (user i lives on node i mod 3).
      const senders: SenderPlan[] = users.slice(0, options.senders).map((user, index) => ({
        client: connected.byUser.get(user)!,
        index,
        target,
        category: target.kind,
        recipients,
      }));
      let before: CommandCounts = new Map();
      let after: CommandCounts = new Map();
      const redis = where.redis;
      let sampler: RedisRoundTripSampler | undefined;
      let sample: RoundTripSample | undefined;
      const phase = await runPhase(senders, router, {
        durationMs: options.durationMs,
        maxMessages: options.messages,
        window: options.window,
        ratePerSecond: options.rate,
        sizeChars: options.sizeChars,
        warmupMs: Math.min(2000, options.durationMs / 5),
        deliveryTimeoutMs: 10_000,
        processes: where.processes,
        aroundMeasure: redis && {
          before: async () => void (before = await redis.counter.snapshot()),
          after: async () => void (after = await redis.counter.snapshot()),
        },
        aroundWarmup: redis && {
          before: async () => {
            sampler = new RedisRoundTripSampler(redis.url, redis.historyMarker);
            await sampler.start();
          },
          after: async () => void (sample = sampler?.stop()),
        },
      });
      if (!redis) return { phase };
      const monitorSample = sample ?? { commands: 0, roundTrips: 0, transactions: 0, messages: 0 };
      const delta = commandDelta(before, after);
      const total = delta.reduce((sum, [, n]) => sum + n, 0);
      const acked = Math.max(1, phase.send.acked);
      return {
        phase,
        redis: {
          perMessage: total / acked,
          total,
          byCommand: Object.fromEntries(delta.map(([name, n]) => [name, n / acked])),
          roundTripsPerMessage: monitorSample.roundTrips / Math.max(1, monitorSample.messages),
          monitorSample,
        },
      };
    };
    ctx.progress(`room: ${transport.name}: room of ${options.members}`);
    const room = await group({ kind: 'room', name: ROOM }, options.members);
    ctx.progress(`room: ${transport.name}: world channel with ${users.length} online`);
    const world = await group({ kind: 'world' }, users.length);
    return { room, world, connectMs: connected.elapsedMs };
  } finally {
    await connected.closeAll();
  }
}

function render(
  options: RoomOptions,
  leaderId: string,
  cluster: TransportRun,
  baseline: TransportRun,
): string {
  const mem = (phase: PhaseResult): string =>
    `${fmt.mib(phase.memory.processes.reduce((sum, p) => sum + p.rssBytes, 0))} / ${fmt.mib(phase.memory.peakTotalRssBytes)}`;
  const row = (label: string, recipients: number, run: GroupRun): string[] => {
    const t = run.phase.total;
    const seconds = run.phase.send.elapsedMs / 1000;
    return [
      label,
      fmt.int(recipients),
      fmt.int(run.phase.send.sent),
      fmt.rate(seconds > 0 ? t.completed / seconds : 0),
      fmt.int(t.deliveries),
      fmt.rate(t.perSecond),
      fmt.ms(t.latency.p50Ms),
      fmt.ms(t.latency.p99Ms),
      fmt.ms(t.latency.maxMs),
      mem(run.phase),
      run.redis ? run.redis.perMessage.toFixed(1) : '-',
      run.redis ? run.redis.roundTripsPerMessage.toFixed(1) : '-',
    ];
  };
  const ratio = (c: GroupRun, b: GroupRun): string[] => [
    '  ratio cluster/baseline',
    '',
    '',
    '',
    '',
    fmt.ratio(c.phase.total.perSecond, b.phase.total.perSecond),
    fmt.ratio(c.phase.total.latency.p50Ms, b.phase.total.latency.p50Ms),
    fmt.ratio(c.phase.total.latency.p99Ms, b.phase.total.latency.p99Ms),
    fmt.ratio(c.phase.total.latency.maxMs, b.phase.total.latency.maxMs),
    '',
    '',
    '',
  ];
  const online = options.online;
  const rows = [
    row('room: cluster', options.members, cluster.room),
    row('room: baseline relay', options.members, baseline.room),
    ratio(cluster.room, baseline.room),
    row('world: cluster', online, cluster.world),
    row('world: baseline relay', online, baseline.world),
    ratio(cluster.world, baseline.world),
  ];
  const pacing = options.rate ? `${options.rate} msg/s per sender` : 'unpaced';
  const title =
    `room: ${options.members} members / ${online} online over 3 nodes (leader ${leaderId}), ${options.senders} senders, ` +
    `${fmt.seconds(options.durationMs)} s per phase, window ${options.window}, ${pacing}, ${options.sizeChars}-char texts`;
  const topCommands = (run: GroupRun): string =>
    Object.entries(run.redis?.byCommand ?? {})
      .slice(0, 8)
      .map(([name, n]) => `${name} ${n.toFixed(2)}`)
      .join(', ');
  const roundTrips = (run: GroupRun): string => {
    const sample = run.redis?.monitorSample;
    return sample
      ? `${run.redis?.roundTripsPerMessage.toFixed(2)} (${sample.roundTrips} round trips for ${sample.messages} messages)`
      : '-';
  };
  const notes = [
    `Redis commands per room message: ${topCommands(cluster.room)}`,
    `Redis commands per world message: ${topCommands(cluster.world)}`,
    `Redis round trips per message (a MULTI…EXEC block is one; MONITOR during the warm-up): ` +
      `room ${roundTrips(cluster.room)}, world ${roundTrips(cluster.world)}`,
    `failed sends: room ${describeFailures(cluster.room.phase)} (baseline ${describeFailures(baseline.room.phase)}), ` +
      `world ${describeFailures(cluster.world.phase)} (baseline ${describeFailures(baseline.world.phase)})`,
    `login of ${online} users: cluster ${fmt.seconds(cluster.connectMs)} s, relay connect ${fmt.seconds(baseline.connectMs)} s; ` +
      `load generator CPU in the cluster phases: room ${fmt.seconds(cluster.room.phase.loadGeneratorCpuMs)} s, ` +
      `world ${fmt.seconds(cluster.world.phase.loadGeneratorCpuMs)} s`,
  ];
  return [
    table(
      title,
      [
        '',
        'recipients',
        'sent',
        'msgs/s',
        'delivered',
        'deliveries/s',
        'p50 ms',
        'p99 ms',
        'max ms',
        'RSS MiB end/peak',
        'Redis cmds/msg',
        'round trips/msg',
      ],
      rows,
    ),
    ...notes,
  ].join('\n');
}
