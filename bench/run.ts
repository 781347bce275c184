import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { otherBuild, ownBuild } from './support/cluster';
import type { ClusterBuild } from './support/cluster';
import { machineInfo, writeResultFile } from './support/report';
import { PEER_KINDS } from './support/systems';
import type { SystemPlan } from './support/systems';
import { Teardown } from './support/teardown';
import type { ScenarioContext, ScenarioResult } from './scenarios/context';
import { DM_DEFAULTS, runDm } from './scenarios/dm';
import { FAILOVER_DEFAULTS, runFailover } from './scenarios/failover';
import { ROOM_DEFAULTS, runRoom } from './scenarios/room';
import { ROOMS_MANY_DEFAULTS, runRoomsMany } from './scenarios/rooms-many';
import { STORM_DEFAULTS, runStorm } from './scenarios/storm';

const USAGE = `Usage: npm run bench -- [dm|room|rooms-many|failover|storm|all] [options]

Scenarios (default all, run one after another, each on its own Redis and ZooKeeper). dm and room
measure the cluster (3 nodes), Socket.IO 4 + @socket.io/redis-adapter (3 processes) and the raw
relay (1 process) in the same run, with the same load generator, and print same-run ratios.
  dm        direct messages: closed loop, paced rates offered, many users at a human rate; idle memory
  room      a room of --members over 3 nodes at --room-rates, then the world channel with --online users
  rooms-many --rooms rooms of --members among --users over 3 nodes, one sender per room at --rates
            msg/s in total, once with ROOM_OWNERSHIP=leader and once with spread: deliveries/s, p99
            and each node's share of the CPU
  failover  SIGKILL the leader --runs times; time to a new leader and to the first room delivery;
            then a follower cut from ZooKeeper only, a follower reload and a leader reload (SIGINT,
            start again): time to the first delivery to its users and messages never shown
  storm     --clients logged in on one follower, SIGKILL it; time until all resumed on the survivors

Options (each applies to the scenarios that use it):
  --pairs N            dm: sender/receiver pairs (default ${DM_DEFAULTS.pairs})
  --messages N         dm, room: at most N messages per sender and phase (default ${DM_DEFAULTS.messages})
  --duration S         dm, room: seconds of measured load per phase (default ${DM_DEFAULTS.durationMs / 1000})
  --rate R             dm closed loop, room closed loop and world: messages per second per sender
                       (default: as fast as the window allows)
  --window N           dm closed loop, room closed loop and world: messages per sender on their way
                       at once (default dm ${DM_DEFAULTS.window}, room ${ROOM_DEFAULTS.window})
  --rates LIST         dm: paced phases, DM/s offered in total over the senders, e.g. 1000,5000, or
                       none (default ${DM_DEFAULTS.rates.join(',')}); rooms-many: room messages/s in
                       total over the rooms (default ${ROOMS_MANY_DEFAULTS.rates.join(',')})
  --paced-window N     dm, room: per-sender window of the paced phases (default dm ${DM_DEFAULTS.pacedWindow}, room ${ROOM_DEFAULTS.pacedWindow})
  --many-pairs N       dm: pairs of the many-users shape, 0 to skip (default ${DM_DEFAULTS.manyPairs})
  --many-interval S    dm: seconds between two DMs of one many-users sender (default ${DM_DEFAULTS.manyIntervalMs / 1000})
  --size N             dm, room: characters per chat text (default ${DM_DEFAULTS.sizeChars})
  --export off|redis   dm: export every chat record to a Redis stream on the nodes (default off)
  --members N          room, rooms-many: members of the room (default ${ROOM_DEFAULTS.members}), of each
                       room (default ${ROOMS_MANY_DEFAULTS.members})
  --rooms N            rooms-many: rooms (default ${ROOMS_MANY_DEFAULTS.rooms})
  --users N            rooms-many: users, each in rooms x members / users rooms (default ${ROOMS_MANY_DEFAULTS.users})
  --online N           room: users online for the world channel (default ${ROOM_DEFAULTS.online})
  --senders N          room: concurrent senders (default ${ROOM_DEFAULTS.senders})
  --room-rates LIST    room: messages/s offered in total, e.g. 100,200; "closed" is a closed loop
                       with --window and --rate (default ${ROOM_DEFAULTS.roomRates.join(',')})
  --runs N             failover: leader kills (default ${FAILOVER_DEFAULTS.runs})
  --clients N          storm: clients on the node that is killed (default ${STORM_DEFAULTS.clients})
  --systems LIST       dm, room: which of cluster,socketio,relay to measure (default all three)
  --cluster-dir DIR    also run the cluster phases of every scenario from the compiled dist/ of
                       another checkout (e.g. a git worktree of an older commit, after npm ci and
                       npm run build there), right after this checkout's: before and after in one
                       run. Also BENCH_CLUSTER_DIR.
  --session-timeout MS ZooKeeper session timeout of the nodes (default ${DM_DEFAULTS.sessionTimeoutMs})
  -h, --help           this text

Each scenario writes bench/results/<scenario>-<time>.json and an SVG chart beside it.
`;

const SCENARIOS = ['dm', 'room', 'rooms-many', 'failover', 'storm'] as const;
type Scenario = (typeof SCENARIOS)[number];

interface Cli {
  scenarios: Scenario[];
  values: Record<string, string | undefined>;
}

function parseCli(argv: string[]): Cli | undefined {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      pairs: { type: 'string' },
      messages: { type: 'string' },
      duration: { type: 'string' },
      rate: { type: 'string' },
      window: { type: 'string' },
      size: { type: 'string' },
      members: { type: 'string' },
      rooms: { type: 'string' },
      users: { type: 'string' },
      online: { type: 'string' },
      senders: { type: 'string' },
      runs: { type: 'string' },
      'session-timeout': { type: 'string' },
      export: { type: 'string' },
      rates: { type: 'string' },
      'paced-window': { type: 'string' },
      'many-pairs': { type: 'string' },
      'many-interval': { type: 'string' },
      'room-rates': { type: 'string' },
      clients: { type: 'string' },
      systems: { type: 'string' },
      'cluster-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return undefined;
  if (positionals.length > 1) throw new Error(`Give one scenario, not ${positionals.join(' ')}.`);
  const name = positionals[0] ?? 'all';
  if (name !== 'all' && !(SCENARIOS as readonly string[]).includes(name)) {
    throw new Error(`Unknown scenario "${name}": use ${SCENARIOS.join(', ')} or all.`);
  }
  const { help: _help, ...rest } = values;
  return { scenarios: name === 'all' ? [...SCENARIOS] : [name as Scenario], values: rest };
}

/** A positive number option, with a message naming the option when it is not. */
function num(
  values: Cli['values'],
  name: string,
  fallback: number,
  options: { integer?: boolean; max?: number } = {},
): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  const integer = options.integer ?? true;
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new Error(`--${name} must be a positive ${integer ? 'whole ' : ''}number, not "${raw}".`);
  }
  if (options.max !== undefined && value > options.max)
    throw new Error(`--${name} must be at most ${options.max}.`);
  return value;
}

function exportOption(values: Cli['values']): 'off' | 'redis' {
  const raw = values.export ?? 'off';
  if (raw !== 'off' && raw !== 'redis')
    throw new Error(`--export must be off or redis, not "${String(raw)}".`);
  return raw;
}

function optionalRate(values: Cli['values']): number | undefined {
  return values.rate === undefined ? undefined : num(values, 'rate', 1, { integer: false, max: 100_000 });
}

/** A comma-separated list of positive numbers (or the words in `words`), or `fallback`. */
function list<W extends string>(
  values: Cli['values'],
  name: string,
  fallback: Array<number | W>,
  words: readonly W[] = [],
): Array<number | W> {
  const raw = values[name];
  if (raw === undefined) return fallback;
  if (raw === 'none') return [];
  return raw.split(',').map((item) => {
    if ((words as readonly string[]).includes(item)) return item as W;
    const value = Number(item);
    if (!Number.isFinite(value) || value <= 0 || value > 1_000_000)
      throw new Error(
        `--${name}: "${item}" is not a positive number${words.length ? ` or ${words.join('/')}` : ''}.`,
      );
    return value;
  });
}

/** This checkout's build, then the one of --cluster-dir (or BENCH_CLUSTER_DIR) if given. */
function builds(values: Cli['values']): ClusterBuild[] {
  const dir = values['cluster-dir'] ?? process.env.BENCH_CLUSTER_DIR;
  return dir ? [ownBuild(), otherBuild(dir)] : [ownBuild()];
}

function systems(values: Cli['values']): SystemPlan[] {
  const kinds = (values.systems ?? 'cluster,socketio,relay').split(',');
  const known = ['cluster', ...PEER_KINDS];
  const unknown = kinds.filter((k) => !known.includes(k));
  if (unknown.length || kinds.length === 0)
    throw new Error(`--systems takes a list of ${known.join(', ')}, not "${values.systems}".`);
  return [
    ...(kinds.includes('cluster')
      ? builds(values).map((build) => ({ kind: 'cluster' as const, build }))
      : []),
    ...PEER_KINDS.filter((k) => kinds.includes(k)).map((kind) => ({ kind })),
  ];
}

async function runScenario(
  scenario: Scenario,
  values: Cli['values'],
  ctx: ScenarioContext,
): Promise<ScenarioResult> {
  const sessionTimeoutMs = num(values, 'session-timeout', DM_DEFAULTS.sessionTimeoutMs, { max: 60_000 });
  const durationMs = (d: number): number =>
    num(values, 'duration', d / 1000, { integer: false, max: 600 }) * 1000;
  switch (scenario) {
    case 'dm':
      return runDm(ctx, {
        pairs: num(values, 'pairs', DM_DEFAULTS.pairs, { max: 2000 }),
        messages: num(values, 'messages', DM_DEFAULTS.messages),
        durationMs: durationMs(DM_DEFAULTS.durationMs),
        rate: optionalRate(values),
        window: num(values, 'window', DM_DEFAULTS.window, { max: 64 }),
        sizeChars: num(values, 'size', DM_DEFAULTS.sizeChars, { max: 1000 }),
        sessionTimeoutMs,
        exportSink: exportOption(values),
        rates: list(values, 'rates', DM_DEFAULTS.rates) as number[],
        pacedWindow: num(values, 'paced-window', DM_DEFAULTS.pacedWindow, { max: 10_000 }),
        manyPairs:
          values['many-pairs'] === '0' ? 0 : num(values, 'many-pairs', DM_DEFAULTS.manyPairs, { max: 5000 }),
        manyIntervalMs:
          num(values, 'many-interval', DM_DEFAULTS.manyIntervalMs / 1000, { integer: false, max: 60 }) * 1000,
        systems: systems(values),
      });
    case 'room':
      return runRoom(ctx, {
        members: num(values, 'members', ROOM_DEFAULTS.members, { max: 10_000 }),
        online: num(values, 'online', ROOM_DEFAULTS.online, { max: 10_000 }),
        senders: num(values, 'senders', ROOM_DEFAULTS.senders, { max: 100 }),
        messages: num(values, 'messages', ROOM_DEFAULTS.messages),
        durationMs: durationMs(ROOM_DEFAULTS.durationMs),
        rate: optionalRate(values),
        window: num(values, 'window', ROOM_DEFAULTS.window, { max: 64 }),
        sizeChars: num(values, 'size', ROOM_DEFAULTS.sizeChars, { max: 1000 }),
        sessionTimeoutMs,
        roomRates: list(values, 'room-rates', ROOM_DEFAULTS.roomRates, ['closed'] as const),
        pacedWindow: num(values, 'paced-window', ROOM_DEFAULTS.pacedWindow, { max: 10_000 }),
        systems: systems(values),
      });
    case 'rooms-many':
      return runRoomsMany(ctx, {
        rooms: num(values, 'rooms', ROOMS_MANY_DEFAULTS.rooms, { max: 2000 }),
        members: num(values, 'members', ROOMS_MANY_DEFAULTS.members, { max: 1000 }),
        users: num(values, 'users', ROOMS_MANY_DEFAULTS.users, { max: 20_000 }),
        rates: list(values, 'rates', ROOMS_MANY_DEFAULTS.rates) as number[],
        durationMs: durationMs(ROOMS_MANY_DEFAULTS.durationMs),
        messages: num(values, 'messages', ROOMS_MANY_DEFAULTS.messages),
        pacedWindow: num(values, 'paced-window', ROOMS_MANY_DEFAULTS.pacedWindow, { max: 10_000 }),
        sizeChars: num(values, 'size', ROOMS_MANY_DEFAULTS.sizeChars, { max: 1000 }),
        sessionTimeoutMs,
        build: ownBuild(),
      });
    case 'failover':
      return runFailover(ctx, {
        runs: num(values, 'runs', FAILOVER_DEFAULTS.runs, { max: 50 }),
        sessionTimeoutMs,
        builds: builds(values),
      });
    case 'storm':
      return runStorm(ctx, {
        clients: num(values, 'clients', STORM_DEFAULTS.clients, { max: 20_000 }),
        sessionTimeoutMs,
        builds: builds(values),
      });
  }
}

async function main(): Promise<number> {
  let cli: Cli | undefined;
  try {
    cli = parseCli(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    return 2;
  }
  if (!cli) {
    process.stdout.write(USAGE);
    return 0;
  }
  let current: Teardown | undefined;
  const interrupt = (signal: NodeJS.Signals): void => {
    process.stderr.write(`\n${signal}: stopping everything the bench started...\n`);
    const stopping = current?.run() ?? Promise.resolve([]);
    void stopping.finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);

  let failures = 0;
  for (const scenario of cli.scenarios) {
    const started = new Date();
    const machineAtStart = machineInfo();
    const teardown = (current = new Teardown());
    const workDir = await fs.mkdtemp(path.join(os.tmpdir(), `chat-bench-${scenario}-`));
    teardown.add('work dir', () => fs.rm(workDir, { recursive: true, force: true }));
    const progress = (message: string): void => {
      process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
    };
    try {
      const result = await runScenario(scenario, cli.values, { workDir, teardown, progress });
      const files = await writeResultFile(
        scenario,
        {
          scenario,
          startedAt: started.toISOString(),
          finishedAt: new Date().toISOString(),
          machine: machineAtStart,
          loadAverageAtEnd: machineInfo().loadAverage,
          ...result.data,
        },
        result.chart,
      );
      const m = machineAtStart;
      const load = m.loadAverage.map((l) => l.toFixed(1)).join(' ');
      process.stdout.write(
        `\n${result.table}\nmachine: ${m.cpus} CPUs (${m.cpuModel}), Node ${m.node}, load average at start ${load}\n` +
          `raw figures: ${path.relative(process.cwd(), files.json)}` +
          (files.svg ? `, chart: ${path.relative(process.cwd(), files.svg)}` : '') +
          '\n',
      );
    } catch (err) {
      failures++;
      process.stderr.write(
        `\n${scenario} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
    } finally {
      const problems = await teardown.run();
      for (const problem of problems) process.stderr.write(`cleanup: ${problem}\n`);
      current = undefined;
    }
  }
  return failures ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
