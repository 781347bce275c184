/**
 * Splits the busy samples of the nodes' `.cpuprofile` files (BENCH_CPU_PROF)
 * into the stages of a message's path, for the cost budget in
 * docs/benchmarks.md:
 *
 *   node dist/bench/profile-stages.js [--us-per-message N] [--window FROM-TO] <dir>/*.cpuprofile
 *
 * A sample counts for the first stage that matches its function or one of
 * its callers, from the leaf upward; `--us-per-message` (the bench's CPU µs
 * per DM or per delivery) turns each share into microseconds. `--window 12-20`
 * keeps the samples taken 12 to 20 s after each profile started, to split one
 * phase of a bench that ran several.
 */
import fs from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  /** µs between consecutive samples (the first from the profile's start). */
  timeDeltas?: number[];
}

/** Seconds after a profile's start, [from, to). */
export interface SampleWindow {
  fromS: number;
  toS: number;
}

/** The samples of `profile` taken within `window`. */
function samplesIn(profile: CpuProfile, window: SampleWindow | undefined): number[] {
  if (!window || !profile.timeDeltas) return profile.samples;
  const kept: number[] = [];
  let atUs = 0;
  profile.samples.forEach((id, i) => {
    atUs += profile.timeDeltas?.[i] ?? 0;
    if (atUs >= window.fromS * 1e6 && atUs < window.toS * 1e6) kept.push(id);
  });
  return kept;
}

type Rule = [stage: string, test: (frame: CallFrame) => boolean];

const RULES: Rule[] = [
  [
    'store (SQLite, MongoDB)',
    (f) =>
      /better-sqlite3|store\/(sqlite|mongo|memory)/.test(f.url) || /sqliteTransaction/.test(f.functionName),
  ],
  ['Redis (ioredis)', (f) => /ioredis|redis-parser|\/redis\/|standard-as-callback/.test(f.url)],
  ['filter and hot words', (f) => /chat\/filter|hotwords/.test(f.url)],
  [
    'link (gRPC, HTTP/2, TLS, frames)',
    (f) =>
      /@grpc|cluster\/rpc|gen\/chat\/v1\/cluster|peer-outbox|link-bus|node:_tls|node:internal\/http2|node:tls/.test(
        f.url,
      ),
  ],
  ['peer routing on the node', (f) => /src\/node\/|cluster\/(leader-rpc|hold-queue|epoch-fence)/.test(f.url)],
  [
    'WebSocket in (ws receiver)',
    (f) =>
      /ws\/lib\/(receiver|websocket)\.js/.test(f.url) &&
      /receiver|Receiver|onData|getData/.test(f.functionName),
  ],
  [
    'WebSocket out (frames, socket writes)',
    (f) =>
      /ws\/lib\/sender|write-coalescer|src\/ws\/frame|src\/ws\/connection/.test(f.url) ||
      /sendEncoded|writev|writeGeneric|uncork/.test(f.functionName),
  ],
  [
    'edge: rate limit, auth gate, validation, dispatch',
    (f) => /src\/ws\/|core\/dispatcher|token-bucket/.test(f.url),
  ],
  [
    'protobuf encode/decode of client frames',
    (f) => /gen\/chat\/v1\/client|@bufbuild|src\/protocol\//.test(f.url),
  ],
  ['chat domain', (f) => /src\/chat\//.test(f.url)],
  ['metrics and logs', (f) => /prom-client|node\/metrics|pino|sonic-boom/.test(f.url)],
  ['garbage collection', (f) => f.functionName === '(garbage collector)'],
];

const OTHER = 'runtime, timers, event loop';

/** Busy samples per stage over every profile, and the busy total. */
export function stagesOf(
  profiles: CpuProfile[],
  window?: SampleWindow,
): { busy: number; byStage: Map<string, number> } {
  const byStage = new Map<string, number>();
  let busy = 0;
  for (const profile of profiles) {
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
    const counts = new Map<number, number>();
    for (const id of samplesIn(profile, window)) counts.set(id, (counts.get(id) ?? 0) + 1);
    for (const [id, count] of counts) {
      if (byId.get(id)?.callFrame.functionName === '(idle)') continue;
      busy += count;
      let stage: string | undefined;
      for (let at: number | undefined = id; at !== undefined && !stage; at = parent.get(at)) {
        const frame = byId.get(at)?.callFrame;
        if (frame) stage = RULES.find(([, test]) => test(frame))?.[0];
      }
      stage ??= OTHER;
      byStage.set(stage, (byStage.get(stage) ?? 0) + count);
    }
  }
  return { busy, byStage };
}

function main(argv: string[]): void {
  let perMessage = 0;
  let window: SampleWindow | undefined;
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--us-per-message') perMessage = Number(argv[++i]);
    else if (argv[i] === '--window') {
      const [fromS, toS] = String(argv[++i]).split('-').map(Number);
      window = { fromS: fromS ?? 0, toS: toS ?? Infinity };
    } else files.push(argv[i] as string);
  }
  if (files.length === 0) {
    process.stderr.write(
      'usage: node dist/bench/profile-stages.js [--us-per-message N] [--window FROM-TO] <files.cpuprofile>\n',
    );
    process.exitCode = 2;
    return;
  }
  const profiles = files.map((f) => JSON.parse(fs.readFileSync(f, 'utf8')) as CpuProfile);
  const { busy, byStage } = stagesOf(profiles, window);
  for (const [stage, count] of [...byStage].sort((a, b) => b[1] - a[1])) {
    const share = `${((100 * count) / busy).toFixed(1)} %`.padStart(7);
    const us = perMessage > 0 ? `${((perMessage * count) / busy).toFixed(1)} µs`.padStart(10) : '';
    process.stdout.write(`${share}${us}  ${stage}\n`);
  }
}

if (require.main === module) main(process.argv.slice(2));
