import path from 'node:path';
import type { Target } from '../load/clients';
import { connectUsers } from '../load/connect';
import type { ConnectedUsers } from '../load/connect';
import { TextRouter, runPhase } from '../load/phase';
import type { PhaseResult } from '../load/phase';
import type { SenderPlan } from '../load/senders';
import { cpuUsPer } from '../support/compare';
import { RedisCommandCounter, RedisRoundTripSampler, commandDelta } from '../support/redis-stats';
import type { CommandCounts, RoundTripSample } from '../support/redis-stats';
import { fmt } from '../support/report';
import { seedStore } from '../support/seed';
import { startServices } from '../support/services';
import { NODE_IDS, startSystem, systemLabel } from '../support/systems';
import type { RunningSystem, SystemPlan } from '../support/systems';
import type { ScenarioContext, ScenarioResult } from './context';
import { renderRoom, roomChart } from './room-report';

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
  /** Room phases: messages/s offered in total over the senders; 'closed' is a closed loop (--window, --rate). */
  roomRates: Array<number | 'closed'>;
  /** Paced room phases: messages per sender on their way at once. */
  pacedWindow: number;
  systems: SystemPlan[];
}

export const ROOM_DEFAULTS: Omit<RoomOptions, 'systems'> = {
  members: 300,
  online: 3000,
  senders: 3,
  messages: 100_000,
  durationMs: 5_000,
  rate: undefined,
  window: 1,
  sizeChars: 100,
  sessionTimeoutMs: 3000,
  roomRates: [100, 200],
  pacedWindow: 50,
};

const ROOM = 'bench-room';

export interface GroupRun {
  /** 'room 100 msg/s', 'room closed loop' or 'world'. */
  name: string;
  recipients: number;
  /** Messages/s offered in total; undefined for a closed loop. */
  offeredPerSecond?: number;
  phase: PhaseResult;
  cpuUsPerDelivery: number;
  redisCpuUsPerDelivery: number;
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

export interface SystemRun {
  label: string;
  kind: SystemPlan['kind'];
  leaderId: string;
  groups: GroupRun[];
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

  const services = await startServices(path.join(ctx.workDir, 'services'), ctx.teardown);
  const seededSqlite = path.join(ctx.workDir, 'seed.db');
  ctx.progress(`room: seeding ${users.length} users and a room of ${members.length}`);
  await seedStore(seededSqlite, { users, rooms: [{ name: ROOM, members }] });
  const counter = new RedisCommandCounter(services.redis.url);
  ctx.teardown.add('redis counter', () => counter.close());
  const infrastructure = [{ name: 'redis', pid: services.redis.pid ?? 0 }];

  const runs: SystemRun[] = [];
  for (const plan of options.systems) {
    ctx.progress(`room: starting ${systemLabel(plan)}`);
    const system = await startSystem(plan, {
      ctx,
      services,
      seededSqlite,
      sessionTimeoutMs: options.sessionTimeoutMs,
    });
    try {
      const redis =
        system.cluster && plan.kind === 'cluster'
          ? { counter, url: services.redis.url, historyMarker: `${system.cluster.redisPrefix}history:` }
          : undefined;
      runs.push(await drive(system, users, options, { infrastructure, redis }, ctx));
    } finally {
      await system.stop();
    }
  }

  return {
    scenario: 'room',
    table: renderRoom(options, runs),
    chart: roomChart(options, runs),
    data: { options: { ...options, systems: runs.map((r) => r.label) }, systems: runs },
  };
}

async function drive(
  system: RunningSystem,
  users: readonly string[],
  options: RoomOptions,
  where: {
    infrastructure: ReadonlyArray<{ name: string; pid: number }>;
    redis?: { counter: RedisCommandCounter; url: string; historyMarker: string };
  },
  ctx: ScenarioContext,
): Promise<SystemRun> {
  const router = new TextRouter();
  const nodeOf = (index: number): string => NODE_IDS[index % NODE_IDS.length] as string;
  const connected: ConnectedUsers = await connectUsers(
    system.transport,
    users.map((user, i) => ({
      user,
      placement: { url: system.url(nodeOf(i)), groups: i < options.members ? [ROOM, 'world'] : ['world'] },
    })),
    { concurrency: 50, onText: router.onText },
  );
  ctx.progress(
    `room: ${system.label}: ${users.length} users connected in ${fmt.seconds(connected.elapsedMs)} s`,
  );
  let phaseNo = 0;
  try {
    const group = async (
      name: string,
      target: Target,
      recipients: number,
      pacing: { rate?: number; window: number; stampDueTime: boolean },
    ): Promise<GroupRun> => {
      const offset = ++phaseNo * 1000;
      // The first senders are members on different nodes (user i lives on node i mod 3).
      const senders: SenderPlan[] = users.slice(0, options.senders).map((user, index) => ({
        client: connected.byUser.get(user)!,
        index: index + offset,
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
        window: pacing.window,
        ratePerSecond: pacing.rate,
        stampDueTime: pacing.stampDueTime,
        sizeChars: options.sizeChars,
        warmupMs: Math.min(2000, options.durationMs / 5),
        deliveryTimeoutMs: 10_000,
        processes: system.processes,
        infrastructure: where.infrastructure,
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
      const common = {
        name,
        recipients,
        offeredPerSecond: pacing.stampDueTime && pacing.rate ? pacing.rate * senders.length : undefined,
        phase,
        cpuUsPerDelivery: cpuUsPer(phase, phase.total.deliveries),
        redisCpuUsPerDelivery: cpuUsPer(phase, phase.total.deliveries, 'infrastructure'),
      };
      if (!redis) return common;
      const monitorSample = sample ?? { commands: 0, roundTrips: 0, transactions: 0, messages: 0 };
      const delta = commandDelta(before, after);
      const total = delta.reduce((sum, [, n]) => sum + n, 0);
      const acked = Math.max(1, phase.send.acked);
      return {
        ...common,
        redis: {
          perMessage: total / acked,
          total,
          byCommand: Object.fromEntries(delta.map(([name, n]) => [name, n / acked])),
          roundTripsPerMessage: monitorSample.roundTrips / Math.max(1, monitorSample.messages),
          monitorSample,
        },
      };
    };
    const groups: GroupRun[] = [];
    const closed = { rate: options.rate, window: options.window, stampDueTime: false };
    for (const rate of options.roomRates) {
      const name = rate === 'closed' ? 'room closed loop' : `room ${rate} msg/s`;
      ctx.progress(`room: ${system.label}: ${name}, ${options.members} members`);
      const pacing =
        rate === 'closed'
          ? closed
          : { rate: rate / options.senders, window: options.pacedWindow, stampDueTime: true };
      groups.push(await group(name, { kind: 'room', name: ROOM }, options.members, pacing));
    }
    ctx.progress(`room: ${system.label}: world channel with ${users.length} online`);
    groups.push(await group('world', { kind: 'world' }, users.length, closed));
    return {
      label: system.label,
      kind: system.kind,
      leaderId: system.leaderId,
      groups,
      connectMs: connected.elapsedMs,
    };
  } finally {
    await connected.closeAll();
  }
}
