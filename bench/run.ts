import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { machineInfo, writeResultFile } from './support/report';
import { Teardown } from './support/teardown';
import type { ScenarioContext, ScenarioResult } from './scenarios/context';
import { DM_DEFAULTS, runDm } from './scenarios/dm';
import { FAILOVER_DEFAULTS, runFailover } from './scenarios/failover';
import { ROOM_DEFAULTS, runRoom } from './scenarios/room';

const USAGE = `Usage: npm run bench -- [dm|room|failover|all] [options]

Scenarios (default all, run one after another, each on its own Redis, ZooKeeper and 3 nodes):
  dm        direct messages between pairs, same-node and cross-node, vs the baseline relay
  room      one room of --members members and the world channel with --online users, vs the relay
  failover  SIGKILL the leader --runs times; time to a new leader and to the first room delivery

Options (each applies to the scenarios that use it):
  --pairs N            dm: sender/receiver pairs (default ${DM_DEFAULTS.pairs})
  --messages N         dm, room: at most N messages per sender (default dm ${DM_DEFAULTS.messages}, room ${ROOM_DEFAULTS.messages})
  --duration S         dm, room: seconds of measured load per phase (default ${DM_DEFAULTS.durationMs / 1000})
  --rate R             dm, room: messages per second per sender (default: as fast as the window allows)
  --window N           dm, room: messages per sender on their way at once (default dm ${DM_DEFAULTS.window}, room ${ROOM_DEFAULTS.window})
  --size N             dm, room: characters per chat text (default ${DM_DEFAULTS.sizeChars})
  --export off|redis   dm: export every chat record to a Redis stream on the nodes (default off)
  --members N          room: members of the room (default ${ROOM_DEFAULTS.members})
  --online N           room: users online for the world channel (default ${ROOM_DEFAULTS.online})
  --senders N          room: concurrent senders (default ${ROOM_DEFAULTS.senders})
  --runs N             failover: leader kills (default ${FAILOVER_DEFAULTS.runs})
  --session-timeout MS ZooKeeper session timeout of the nodes (default ${DM_DEFAULTS.sessionTimeoutMs})
  -h, --help           this text
`;

const SCENARIOS = ['dm', 'room', 'failover'] as const;
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
      online: { type: 'string' },
      senders: { type: 'string' },
      runs: { type: 'string' },
      'session-timeout': { type: 'string' },
      export: { type: 'string' },
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
      });
    case 'failover':
      return runFailover(ctx, {
        runs: num(values, 'runs', FAILOVER_DEFAULTS.runs, { max: 50 }),
        sessionTimeoutMs,
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
      const file = await writeResultFile(scenario, {
        scenario,
        startedAt: started.toISOString(),
        finishedAt: new Date().toISOString(),
        machine: machineAtStart,
        loadAverageAtEnd: machineInfo().loadAverage,
        ...result.data,
      });
      const m = machineAtStart;
      const load = m.loadAverage.map((l) => l.toFixed(1)).join(' ');
      process.stdout.write(
        `\n${result.table}\nmachine: ${m.cpus} CPUs (${m.cpuModel}), Node ${m.node}, load average at start ${load}\n` +
          `raw figures: ${path.relative(process.cwd(), file)}\n`,
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
