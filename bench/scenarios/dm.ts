import path from 'node:path';
import { connectUsers } from '../load/connect';
import type { ConnectPlan } from '../load/connect';
import { TextRouter, runPhase } from '../load/phase';
import type { PhaseResult } from '../load/phase';
import type { SenderPlan } from '../load/senders';
import { cpuUsPer } from '../support/compare';
import { readStoreCounters, storeRates } from '../support/store-stats';
import type { StoreRate } from '../support/store-stats';
import { totalRss } from '../support/proc-stats';
import { seedStore } from '../support/seed';
import { startServices } from '../support/services';
import { startSystem, systemLabel } from '../support/systems';
import type { RunningSystem, SystemPlan } from '../support/systems';
import { sleep } from '../support/wait';
import type { ScenarioContext, ScenarioResult } from './context';
import { dmChart, renderDm } from './dm-report';

export interface DmOptions {
  pairs: number;
  /** Per sender. */
  messages: number;
  durationMs: number;
  /** Closed loop: per sender, messages per second; undefined: as fast as the window allows. */
  rate: number | undefined;
  /** Closed loop: messages per sender on their way at once. */
  window: number;
  sizeChars: number;
  sessionTimeoutMs: number;
  /** Export of chat records from the nodes (EXPORT_SINK), to compare its cost. */
  exportSink: 'off' | 'redis';
  /** Paced shapes: DM/s offered in total, spread evenly over the `pairs` senders. */
  rates: number[];
  /** Paced and many-users shapes: messages per sender on their way at once. */
  pacedWindow: number;
  /** Many-users shape: pairs (0 skips it), each sender one DM every `manyIntervalMs`. */
  manyPairs: number;
  manyIntervalMs: number;
  /** What is measured side by side (the cluster builds first, then the peers). */
  systems: SystemPlan[];
}

export const DM_DEFAULTS: Omit<DmOptions, 'systems'> = {
  pairs: 50,
  messages: 100_000,
  durationMs: 5_000,
  rate: undefined,
  window: 20,
  sizeChars: 100,
  sessionTimeoutMs: 3000,
  exportSink: 'off',
  rates: [1000, 2000, 5000, 10_000],
  pacedWindow: 200,
  manyPairs: 1000,
  manyIntervalMs: 2000,
};

export const SAME = 'same-node';
export const CROSS = 'cross-node';

export interface Pair {
  index: number;
  sender: string;
  receiver: string;
  category: string;
  senderNode: string;
  receiverNode: string;
}

export interface ShapeRun {
  shape: string;
  pairs: number;
  /** DM/s offered in total; undefined for the closed loop. */
  offeredPerSecond?: number;
  phase: PhaseResult;
  cpuUsPerDm: number;
  redisCpuUsPerDm: number;
  /** The cluster's store in the phase, per node (the peers store nothing). */
  store?: StoreRate[];
}

export interface IdleMemory {
  connections: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  /** (after - before) / connections, from fresh processes: includes the heap's one-time growth. */
  kibPerConnection: number;
  /**
   * What one more idle connection costs: RSS with all connections logged in
   * minus RSS with half of them, over the other half. Both readings come
   * after a login burst of the same size, so one-time growth (V8's young
   * generation, allocator arenas) is in both and cancels.
   */
  marginalKibPerConnection: number;
}

export interface SystemRun {
  label: string;
  kind: SystemPlan['kind'];
  leaderId: string;
  shapes: ShapeRun[];
  idle?: IdleMemory;
}

/**
 * Direct messages, the same shapes for every system in one run: a closed
 * loop of `pairs` × `window` messages in flight, paced rates offered in total,
 * and many users at a human rate. Half of the pairs have both users on one
 * node, the other half sender and receiver on the two followers (on the two
 * Socket.IO processes that play them), so half the DMs cross nodes.
 */
export async function runDm(ctx: ScenarioContext, options: DmOptions): Promise<ScenarioResult> {
  const users = [
    ...Array.from({ length: options.pairs }, (_, i) => [`s${i}`, `r${i}`]).flat(),
    ...Array.from({ length: options.manyPairs }, (_, i) => [`ms${i}`, `mr${i}`]).flat(),
  ];
  const services = await startServices(path.join(ctx.workDir, 'services'), ctx.teardown);
  const seededSqlite = path.join(ctx.workDir, 'seed.db');
  ctx.progress(`dm: seeding ${users.length} users`);
  await seedStore(seededSqlite, { users });
  const clusterEnv: Record<string, string> =
    options.exportSink === 'off' ? {} : { EXPORT_SINK: options.exportSink, EXPORT_STREAM: 'bench:export' };
  const infrastructure = [{ name: 'redis', pid: services.redis.pid ?? 0 }];

  const runs: SystemRun[] = [];
  for (const plan of options.systems) {
    const label = systemLabel(plan);
    ctx.progress(`dm: starting ${label}`);
    const system = await startSystem(plan, {
      ctx,
      services,
      seededSqlite,
      sessionTimeoutMs: options.sessionTimeoutMs,
      clusterEnv,
    });
    try {
      runs.push(await measureSystem(ctx, system, options, infrastructure));
    } finally {
      await system.stop();
    }
  }
  return {
    scenario: 'dm',
    table: renderDm(options, runs),
    chart: dmChart(options, runs),
    data: { options: { ...options, systems: runs.map((r) => r.label) }, systems: runs },
  };
}

async function measureSystem(
  ctx: ScenarioContext,
  system: RunningSystem,
  options: DmOptions,
  infrastructure: ReadonlyArray<{ name: string; pid: number }>,
): Promise<SystemRun> {
  const run: SystemRun = { label: system.label, kind: system.kind, leaderId: system.leaderId, shapes: [] };
  const pairs = placePairs(options.pairs, system.followers, (i) => [`s${i}`, `r${i}`]);
  const shape = (name: string, offered: number | undefined, phase: PhaseResult, count: number): void => {
    run.shapes.push({
      shape: name,
      pairs: count,
      offeredPerSecond: offered,
      phase,
      cpuUsPerDm: cpuUsPer(phase, phase.total.deliveries),
      redisCpuUsPerDm: cpuUsPer(phase, phase.total.deliveries, 'infrastructure'),
      ...(store ? { store } : {}),
    });
    store = undefined;
  };
  // The cluster's commits per second per node over each phase (warm-up included).
  let store: StoreRate[] | undefined;
  const metricsUrls = system.cluster?.metricsUrls;
  const measured = async (phase: () => Promise<PhaseResult>): Promise<PhaseResult> => {
    const before = metricsUrls ? await readStoreCounters(metricsUrls) : undefined;
    const started = performance.now();
    const result = await phase();
    store =
      metricsUrls && before
        ? storeRates(before, await readStoreCounters(metricsUrls), performance.now() - started)
        : undefined;
    return result;
  };
  // Each phase numbers its senders apart, so a late delivery of one phase never counts in the next.
  let phaseNo = 0;
  const renumber = (senders: SenderPlan[]): SenderPlan[] => {
    const offset = ++phaseNo * 10_000;
    return senders.map((s) => ({ ...s, index: s.index + offset }));
  };
  const base = {
    durationMs: options.durationMs,
    sizeChars: options.sizeChars,
    maxMessages: options.messages,
  };
  // Many users first, on fresh processes: the idle memory they add is not hidden in heap pages
  // that earlier load phases grew and freed.
  if (options.manyPairs > 0) {
    const many = placePairs(options.manyPairs, system.followers, (i) => [`ms${i}`, `mr${i}`]);
    const rss = (): number => totalRss(system.processes.map((p) => p.pid));
    const before = rss();
    let halfway = 0;
    const half = Math.floor(many.length / 2);
    const settle = async (): Promise<number> => {
      // Let the servers finish what the logins started before reading their memory.
      await sleep(1000);
      return rss();
    };
    await withUsers(
      system,
      many,
      async (router, senders) => {
        const after = await settle();
        const connections = many.length * 2;
        run.idle = {
          connections,
          rssBeforeBytes: before,
          rssAfterBytes: after,
          kibPerConnection: (after - before) / 1024 / connections,
          marginalKibPerConnection: (after - halfway) / 1024 / ((many.length - half) * 2),
        };
        const rate = (many.length * 1000) / options.manyIntervalMs;
        ctx.progress(
          `dm: ${system.label}: ${many.length} pairs, one DM per sender every ${options.manyIntervalMs} ms`,
        );
        const durationMs = Math.max(options.durationMs * 2, options.manyIntervalMs * 4);
        const phase = await runPhase(renumber(senders), router, {
          ...base,
          durationMs,
          window: 4,
          ratePerSecond: 1000 / options.manyIntervalMs,
          stampDueTime: true,
          ...phaseCommon(durationMs, system, infrastructure),
          warmupMs: 0,
        });
        shape(`many users (${rate} DM/s)`, rate, phase, many.length);
      },
      {
        pairs: half,
        reached: async () => {
          halfway = await settle();
        },
      },
    );
  }
  await withUsers(system, pairs, async (router, senders) => {
    ctx.progress(`dm: ${system.label}: closed loop, ${options.pairs} pairs × window ${options.window}`);
    const closed = await measured(() =>
      runPhase(renumber(senders), router, {
        ...base,
        window: options.window,
        ratePerSecond: options.rate,
        ...phaseCommon(options.durationMs, system, infrastructure),
      }),
    );
    shape('closed loop', undefined, closed, pairs.length);
    for (const rate of options.rates) {
      ctx.progress(`dm: ${system.label}: ${rate} DM/s offered`);
      const paced = await measured(() =>
        runPhase(renumber(senders), router, {
          ...base,
          window: options.pacedWindow,
          ratePerSecond: rate / pairs.length,
          stampDueTime: true,
          ...phaseCommon(options.durationMs, system, infrastructure),
        }),
      );
      shape(`${rate} DM/s offered`, rate, paced, pairs.length);
    }
  });

  return run;
}

function phaseCommon(
  durationMs: number,
  system: RunningSystem,
  infrastructure: ReadonlyArray<{ name: string; pid: number }>,
): {
  warmupMs: number;
  deliveryTimeoutMs: number;
  processes: RunningSystem['processes'];
  infrastructure: typeof infrastructure;
} {
  return {
    warmupMs: Math.min(2000, durationMs / 5),
    deliveryTimeoutMs: 5000,
    processes: system.processes,
    infrastructure,
  };
}

/** Connects (and logs in) both users of every pair, runs `body`, closes them again. */
async function withUsers(
  system: RunningSystem,
  pairs: readonly Pair[],
  body: (router: TextRouter, senders: SenderPlan[]) => Promise<void>,
  /** Called once the first `midpoint.pairs` pairs are logged in, before the others log in. */
  midpoint?: { pairs: number; reached: () => Promise<void> },
): Promise<void> {
  const router = new TextRouter();
  const plans: ConnectPlan[] = pairs.flatMap((p) => [
    { user: p.receiver, placement: { url: system.url(p.receiverNode), groups: [] } },
    { user: p.sender, placement: { url: system.url(p.senderNode), groups: [] } },
  ]);
  const split = midpoint ? midpoint.pairs * 2 : plans.length;
  const options = { concurrency: 50, onText: router.onText };
  const first = await connectUsers(system.transport, plans.slice(0, split), options);
  let rest: Awaited<ReturnType<typeof connectUsers>> | undefined;
  try {
    if (midpoint) await midpoint.reached();
    rest = await connectUsers(system.transport, plans.slice(split), options);
  } catch (err) {
    await first.closeAll();
    throw err;
  }
  const connected = {
    byUser: new Map([...first.byUser, ...rest.byUser]),
    closeAll: () => Promise.all([first.closeAll(), rest?.closeAll()]),
  };
  try {
    const senders: SenderPlan[] = pairs.map((p) => ({
      client: connected.byUser.get(p.sender)!,
      index: p.index,
      target: { kind: 'user', name: p.receiver },
      category: p.category,
      recipients: 1,
    }));
    await body(router, senders);
  } finally {
    await connected.closeAll();
  }
}

/** Same-node pairs round-robin over all three nodes; cross-node pairs between the followers, both ways. */
function placePairs(
  count: number,
  [f1, f2]: readonly [string, string],
  names: (index: number) => [string, string],
): Pair[] {
  const sameCount = Math.ceil(count / 2);
  const nodes = ['n1', 'n2', 'n3'];
  return Array.from({ length: count }, (_, index) => {
    const [sender, receiver] = names(index);
    if (index < sameCount) {
      const node = nodes[index % nodes.length] as string;
      return { index, sender, receiver, category: SAME, senderNode: node, receiverNode: node };
    }
    const forward = index % 2 === 0;
    return {
      index,
      sender,
      receiver,
      category: CROSS,
      senderNode: forward ? f1 : f2,
      receiverNode: forward ? f2 : f1,
    };
  });
}

/** Failed sends by reason, and acknowledged messages that did not reach every recipient in time. */
export function describeFailures(phase: PhaseResult): string {
  const failed = Object.entries(phase.send.failed);
  const failedCount = failed.reduce((sum, [, n]) => sum + n, 0);
  const parts = failed.map(([reason, n]) => `${reason} ${n}`);
  const undelivered = phase.total.incomplete - failedCount;
  if (undelivered > 0) parts.push(`${undelivered} not delivered within 5 s`);
  return parts.length ? parts.join(', ') : 'none';
}
