import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { backOff } from 'exponential-backoff';
import { ChatClient } from '../../src/client/chat-client';
import { failureReason } from '../load/clients';
import { LatencyHistogram } from '../load/histogram';
import type { LatencySummary } from '../load/histogram';
import type { ClusterBuild } from '../support/cluster';
import { colorOf } from '../support/compare';
import { readProc, totalRss } from '../support/proc-stats';
import { fmt, table } from '../support/report';
import { BENCH_PASSWORD, seedStore } from '../support/seed';
import { startServices } from '../support/services';
import { renderChart } from '../support/svg-chart';
import { startSystem } from '../support/systems';
import type { RunningSystem } from '../support/systems';
import { mapLimit, sleep } from '../support/wait';
import type { ScenarioContext, ScenarioResult } from './context';

export interface StormOptions {
  clients: number;
  sessionTimeoutMs: number;
  /** Cluster builds to measure one after another (this checkout first). */
  builds: ClusterBuild[];
}

export const STORM_DEFAULTS: Omit<StormOptions, 'builds'> = { clients: 5000, sessionTimeoutMs: 3000 };

/** From the kill: how long the whole storm may take before the rest count as failed. */
const STORM_DEADLINE_MS = 60_000;
const ATTEMPTS = 6;

export interface StormRun {
  label: string;
  victim: string;
  survivors: string[];
  clients: number;
  /** Logins with the password on the victim before the kill. */
  loginMs: number;
  idleKibPerConnection: number;
  /** Kill → the last client got LoginOk from a survivor with its resume token. */
  allResumedMs: number | undefined;
  resumed: number;
  perClient: LatencySummary;
  /** Failed attempts by reason (each retried, up to ATTEMPTS), and clients that never resumed. */
  attemptFailures: Record<string, number>;
  notResumed: Record<string, number>;
  /** Resumed clients still connected after the dead node's ZooKeeper session expired. */
  stillConnected: number;
  /** Sample DMs between resumed users on different survivors: delivered of sent. */
  probe: { sent: number; delivered: number };
  /** CDF points for the chart: ms from the kill → fraction resumed. */
  cdf: Array<{ ms: number; fraction: number }>;
  loadGeneratorCpuMs: number;
}

/**
 * Reconnect storm: `clients` users logged in on one follower, which is killed
 * with SIGKILL; every client at once reconnects to one of the two survivors
 * (alternating) and resumes with the token from its LoginOk, retrying with
 * backoff. Measured from the kill until every client is resumed.
 */
export async function runStorm(ctx: ScenarioContext, options: StormOptions): Promise<ScenarioResult> {
  const users = Array.from({ length: options.clients }, (_, i) => `c${i}`);
  const services = await startServices(path.join(ctx.workDir, 'services'), ctx.teardown);
  const seededSqlite = path.join(ctx.workDir, 'seed.db');
  ctx.progress(`storm: seeding ${users.length} users`);
  await seedStore(seededSqlite, { users });
  const runs: StormRun[] = [];
  for (const build of options.builds) {
    ctx.progress(`storm: starting ${build.label}`);
    const system = await startSystem(
      { kind: 'cluster', build },
      { ctx, services, seededSqlite, sessionTimeoutMs: options.sessionTimeoutMs },
    );
    try {
      runs.push(await storm(ctx, system, users, options));
    } finally {
      await system.stop();
    }
  }
  return {
    scenario: 'storm',
    table: render(options, runs),
    chart: chart(options, runs),
    data: { options: { ...options, builds: runs.map((r) => r.label) }, runs },
  };
}

async function storm(
  ctx: ScenarioContext,
  system: RunningSystem,
  users: readonly string[],
  options: StormOptions,
): Promise<StormRun> {
  const cluster = system.cluster;
  if (!cluster) throw new Error('The storm runs against a chat cluster.');
  const label = system.label;
  const [victim, other] = system.followers;
  const survivors = [system.leaderId, other];
  const clients: ChatClient[] = [];
  ctx.teardown.add(`storm clients of ${label}`, () => Promise.all(clients.map((c) => c.close())));
  const tokens = new Map<number, string>();
  const victimPid = cluster.node(victim).pid;
  const rssBefore = totalRss([victimPid]);
  ctx.progress(`storm: ${label}: logging in ${users.length} clients on ${victim}`);
  const loginStart = performance.now();
  await mapLimit(users, 50, async (user, i) => {
    const client = await ChatClient.connect(cluster.node(victim).wsUrl, {
      inboxSize: 1,
      requestTimeoutMs: 20_000,
    });
    clients[i] = client;
    tokens.set(i, (await client.login(user, BENCH_PASSWORD)).resumeToken);
  });
  const loginMs = performance.now() - loginStart;
  await sleep(1000);
  const idleKibPerConnection = ((readProc(victimPid)?.rssBytes ?? 0) - rssBefore) / 1024 / users.length;

  const resumedAt = new Array<number | undefined>(users.length);
  const resumedClients: Array<ChatClient | undefined> = new Array(users.length);
  const attemptFailures: Record<string, number> = {};
  const notResumed: Record<string, number> = {};
  const cpuBefore = process.cpuUsage();
  let killAt = 0;
  const resumeOne = async (i: number): Promise<void> => {
    const url = cluster.node(survivors[i % 2] as string).wsUrl;
    try {
      resumedClients[i] = await backOff(
        async () => {
          const client = await ChatClient.connect(url, { inboxSize: 10, requestTimeoutMs: 10_000 });
          try {
            await client.resume(tokens.get(i) ?? '');
            return client;
          } catch (err) {
            await client.close();
            throw err;
          }
        },
        {
          numOfAttempts: ATTEMPTS,
          startingDelay: 100,
          maxDelay: 5000,
          jitter: 'full',
          retry: (err: unknown) => {
            const reason = failureReason(err);
            attemptFailures[reason] = (attemptFailures[reason] ?? 0) + 1;
            return performance.now() - killAt < STORM_DEADLINE_MS;
          },
        },
      );
      resumedAt[i] = performance.now() - killAt;
    } catch (err) {
      const reason = failureReason(err);
      notResumed[reason] = (notResumed[reason] ?? 0) + 1;
    }
  };
  // Every client reconnects the moment its connection drops, as a game client would.
  const storming = clients.map(
    (client, i) =>
      new Promise<void>((resolve) => client.on('close', () => void resumeOne(i).finally(resolve))),
  );
  ctx.progress(
    `storm: ${label}: SIGKILL ${victim}, ${users.length} clients resume on ${survivors.join(' and ')}`,
  );
  killAt = performance.now();
  await cluster.kill(victim);
  await Promise.all(storming);
  const loadGeneratorCpu = process.cpuUsage(cpuBefore);
  const done = resumedAt.filter((t): t is number => t !== undefined);
  const histogram = new LatencyHistogram();
  for (const t of done) histogram.record(t);

  // The dead node's sessions expire now at the latest; resumed sessions must outlive that.
  const expiry = killAt + options.sessionTimeoutMs + 1500 - performance.now();
  if (expiry > 0) await sleep(expiry);
  const live = resumedClients.filter((c): c is ChatClient => c !== undefined && c.isOpen);
  const probe = await probeDms(live, users, resumedClients);
  await Promise.all(resumedClients.map((c) => c?.close() ?? Promise.resolve()));
  await Promise.all(clients.map((c) => c.close()));
  clients.length = 0;

  const sorted = [...done].sort((a, b) => a - b);
  const every = Math.max(1, Math.floor(sorted.length / 100));
  const cdf = sorted
    .map((ms, k) => ({ ms, fraction: (k + 1) / users.length }))
    .filter((_, k) => k % every === 0 || k === sorted.length - 1);
  return {
    label,
    victim,
    survivors,
    clients: users.length,
    loginMs,
    idleKibPerConnection,
    allResumedMs: done.length === users.length ? Math.max(...done) : undefined,
    resumed: done.length,
    perClient: histogram.summary(),
    attemptFailures,
    notResumed,
    stillConnected: live.length,
    probe,
    cdf,
    loadGeneratorCpuMs: (loadGeneratorCpu.user + loadGeneratorCpu.system) / 1000,
  };
}

/** A few DMs between resumed users, each to a user resumed on the other survivor: do they arrive? */
async function probeDms(
  live: readonly ChatClient[],
  users: readonly string[],
  resumed: ReadonlyArray<ChatClient | undefined>,
): Promise<{ sent: number; delivered: number }> {
  let sent = 0;
  let delivered = 0;
  for (let i = 0; i + 1 < users.length && sent < 10; i += Math.max(2, Math.floor(users.length / 10))) {
    const from = resumed[i];
    const to = resumed[i + 1];
    if (!from?.isOpen || !to?.isOpen || !live.includes(from)) continue;
    const text = `storm probe ${i}`;
    sent++;
    try {
      const arrived = to.waitForMessage((m) => m.text === text, 5000);
      await from.sendDirect(users[i + 1] as string, text);
      await arrived;
      delivered++;
    } catch {
      // Counted as not delivered.
    }
  }
  return { sent, delivered };
}

function render(options: StormOptions, runs: readonly StormRun[]): string {
  const reasons = (r: Record<string, number>): string =>
    Object.entries(r)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ') || 'none';
  const rows = runs.map((r) => [
    r.label,
    `${r.victim} → ${r.survivors.join('+')}`,
    fmt.int(r.clients),
    fmt.seconds(r.loginMs),
    r.idleKibPerConnection.toFixed(1),
    fmt.int(r.resumed),
    r.allResumedMs === undefined ? 'not all' : fmt.ms(r.allResumedMs),
    fmt.ms(r.perClient.p50Ms),
    fmt.ms(r.perClient.p99Ms),
    fmt.int(r.stillConnected),
    `${r.probe.delivered}/${r.probe.sent}`,
  ]);
  return [
    table(
      `storm: ${fmt.int(options.clients)} clients on one follower, SIGKILL, resume with tokens on the two survivors ` +
        `(alternating), up to ${ATTEMPTS} attempts with backoff; ZooKeeper session timeout ${options.sessionTimeoutMs} ms`,
      [
        'system',
        'killed → survivors',
        'clients',
        'login s',
        'idle KiB/conn',
        'resumed',
        'all resumed ms',
        'p50 ms',
        'p99 ms',
        'still connected',
        'probe DMs',
      ],
      rows,
    ),
    ...runs.map(
      (r) =>
        `${r.label}: failed attempts ${reasons(r.attemptFailures)}; never resumed ${reasons(r.notResumed)}; ` +
        `load generator CPU during the storm ${fmt.seconds(r.loadGeneratorCpuMs)} s`,
    ),
    'per-client times run from the kill to that client\'s LoginOk; "still connected" is counted after the dead node\'s session expired',
  ].join('\n');
}

function chart(options: StormOptions, runs: readonly StormRun[]): string {
  return renderChart(
    `Reconnect storm: ${fmt.int(options.clients)} clients of a killed node resume on the survivors`,
    [
      {
        kind: 'line',
        title: 'clients resumed since the kill',
        xLabel: 'ms since SIGKILL',
        yLabel: 'fraction resumed',
        series: runs.map((r, i) => ({
          name: r.label,
          color: colorOf('cluster', i),
          points: [{ x: 0, y: 0 }, ...r.cdf.map((p) => ({ x: p.ms, y: p.fraction }))],
        })),
      },
      {
        kind: 'bar',
        title: 'per-client resume time',
        yLabel: 'ms',
        groups: ['p50', 'p99', 'all resumed'],
        bars: runs.map((r, i) => ({
          name: r.label,
          color: colorOf('cluster', i),
          values: [r.perClient.p50Ms, r.perClient.p99Ms, r.allResumedMs ?? r.perClient.maxMs],
        })),
      },
    ],
  );
}
