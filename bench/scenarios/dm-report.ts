import { colorOf, figures, ratioCell, us } from '../support/compare';
import { fmt, table } from '../support/report';
import { renderChart } from '../support/svg-chart';
import type { Series } from '../support/svg-chart';
import { CROSS, SAME, describeFailures } from './dm';
import type { DmOptions, ShapeRun, SystemRun } from './dm';

/** One table: every shape, every system, with the cluster rows' same-run ratios to each peer. */
export function renderDm(options: DmOptions, runs: readonly SystemRun[]): string {
  const socketio = runs.find((r) => r.kind === 'socketio');
  const relay = runs.find((r) => r.kind === 'relay');
  // Closed loop, paced rates, then many users (which ran first, on fresh processes).
  const shapes = (runs[0]?.shapes.map((s) => s.shape) ?? []).sort(
    (a, b) => Number(a.startsWith('many')) - Number(b.startsWith('many')),
  );
  const rows: string[][] = [];
  for (const name of shapes) {
    if (rows.length) rows.push(Array.from({ length: 13 }, () => ''));
    let first = true;
    for (const run of runs) {
      const s = run.shapes.find((x) => x.shape === name);
      if (!s) continue;
      const mine = rowFigures(s);
      const peer = (other: SystemRun | undefined): string => {
        const theirs = other?.shapes.find((x) => x.shape === name);
        return run.kind === 'cluster' && theirs ? ratioCell(mine, rowFigures(theirs)) : '';
      };
      const t = s.phase.total;
      rows.push([
        first ? name : '',
        run.label,
        fmt.int(s.pairs),
        s.offeredPerSecond ? fmt.rate(s.offeredPerSecond) : 'closed',
        fmt.int(t.deliveries),
        fmt.rate(t.perSecond),
        fmt.ms(t.latency.p50Ms),
        fmt.ms(t.latency.p99Ms),
        fmt.ms(t.latency.maxMs),
        us(s.cpuUsPerDm),
        us(s.redisCpuUsPerDm),
        peer(socketio),
        peer(relay),
      ]);
      first = false;
    }
  }
  const title =
    `dm: ${options.pairs} pairs (half same-node, half follower → leader → follower), closed loop window ${options.window}, ` +
    `paced window ${options.pacedWindow}, ${fmt.seconds(options.durationMs)} s per phase, ${options.sizeChars}-char texts, ` +
    `export ${options.exportSink}; leaders: ${runs.map((r) => `${r.label} ${r.leaderId}`).join(', ')}`;
  const notes: string[] = [
    'ratio columns (cluster rows): cluster / peer for msgs/s, p99 and server CPU per DM; paced phases stamp each DM with the time it was due',
    ...runs.flatMap((run) =>
      run.shapes
        .filter((s) => describeFailures(s.phase) !== 'none')
        .map((s) => `failures: ${run.label}, ${s.shape}: ${describeFailures(s.phase)}`),
    ),
    ...runs
      .filter((r) => r.kind === 'cluster')
      .map((run) => {
        const closed = run.shapes.find((s) => s.shape === 'closed loop')?.phase.categories ?? {};
        const part = (name: string): string => {
          const c = closed[name];
          return c ? `${name} ${fmt.rate(c.perSecond)} msgs/s, p99 ${fmt.ms(c.latency.p99Ms)} ms` : '';
        };
        return `${run.label} closed loop by pair kind: ${part(SAME)}; ${part(CROSS)}`;
      }),
    ...runs
      .filter((r) => r.shapes.some((s) => s.store && s.store.length > 0))
      .map(
        (run) =>
          `store commits per second per node (writes per commit, lock waits per second), ${run.label}: ` +
          run.shapes
            .filter((s) => s.store && s.store.length > 0)
            .map(
              (s) =>
                `${s.shape}: ` +
                (s.store ?? [])
                  .map(
                    (n) =>
                      `${n.nodeId} ${fmt.rate(n.commitsPerSecond)} ` +
                      `(${n.writesPerCommit.toFixed(1)}, ${fmt.rate(n.lockWaitsPerSecond)})`,
                  )
                  .join(' '),
            )
            .join('; '),
      ),
    ...runs.map(
      (run) =>
        `load generator CPU, ${run.label}: ` +
        run.shapes
          .map(
            (s) =>
              `${s.shape} ${fmt.seconds(s.phase.loadGeneratorCpuMs)} s in ${fmt.seconds(s.phase.send.elapsedMs)} s`,
          )
          .join(', '),
    ),
  ];
  const idleRows = runs
    .filter((r) => r.idle)
    .map((r) => [
      r.label,
      fmt.int(r.idle!.connections),
      fmt.mib(r.idle!.rssBeforeBytes),
      fmt.mib(r.idle!.rssAfterBytes),
      r.idle!.kibPerConnection.toFixed(1),
      r.idle!.marginalKibPerConnection.toFixed(1),
    ]);
  return [
    table(
      title,
      [
        'shape',
        'system',
        'pairs',
        'offered/s',
        'delivered',
        'msgs/s',
        'p50 ms',
        'p99 ms',
        'max ms',
        'CPU µs/DM',
        'Redis µs/DM',
        'vs socket.io thr/p99/CPU',
        'vs relay thr/p99/CPU',
      ],
      rows,
    ),
    ...notes,
    '',
    table(
      'idle memory: logged-in connections of the many-users shape (RSS of the server processes, all of them together)',
      [
        'system',
        'connections',
        'RSS before MiB',
        'RSS after MiB',
        'KiB per connection (fresh)',
        'KiB per added connection',
      ],
      idleRows,
    ),
  ].join('\n');
}

function rowFigures(s: ShapeRun): ReturnType<typeof figures> {
  return { ...figures(s.phase), cpuUs: s.cpuUsPerDm };
}

/** Latency percentiles and delivered rate against the offered rate, every system in one chart. */
export function dmChart(options: DmOptions, runs: readonly SystemRun[]): string {
  const paced = (run: SystemRun): ShapeRun[] =>
    run.shapes.filter((s) => s.offeredPerSecond !== undefined && s.shape.endsWith('offered'));
  const latency: Series[] = runs.flatMap((run, i) => {
    const color = colorOf(run.kind, i);
    const points = (pick: (s: ShapeRun) => number): Array<{ x: number; y: number }> =>
      paced(run).map((s) => ({ x: s.offeredPerSecond ?? 0, y: pick(s) }));
    return [
      { name: `${run.label} p99`, color, points: points((s) => s.phase.total.latency.p99Ms) },
      { name: `${run.label} p50`, color, dashed: true, points: points((s) => s.phase.total.latency.p50Ms) },
    ];
  });
  const delivered: Series[] = runs.map((run, i) => ({
    name: run.label,
    color: colorOf(run.kind, i),
    points: paced(run).map((s) => ({ x: s.offeredPerSecond ?? 0, y: s.phase.total.perSecond })),
  }));
  const cpu: Series[] = runs.map((run, i) => ({
    name: run.label,
    color: colorOf(run.kind, i),
    points: paced(run).map((s) => ({ x: s.offeredPerSecond ?? 0, y: s.cpuUsPerDm })),
  }));
  const closed = runs.map(
    (run) => run.shapes.find((s) => s.shape === 'closed loop')?.phase.total.perSecond ?? 0,
  );
  return renderChart(`Direct messages: ${options.pairs} pairs, half across nodes (same run)`, [
    {
      kind: 'line',
      xTicksAtData: true,
      title: 'latency (p99 solid, p50 dashed)',
      xLabel: 'DM/s offered',
      yLabel: 'ms',
      logY: true,
      logX: true,
      series: latency,
    },
    {
      kind: 'line',
      xTicksAtData: true,
      title: 'delivered',
      xLabel: 'DM/s offered',
      yLabel: 'DM/s delivered',
      diagonal: true,
      series: delivered,
    },
    {
      kind: 'line',
      xTicksAtData: true,
      title: 'server CPU per DM',
      xLabel: 'DM/s offered',
      yLabel: 'µs',
      logY: true,
      logX: true,
      series: cpu,
    },
    {
      kind: 'bar',
      title: `closed loop, ${options.pairs} × ${options.window} in flight`,
      yLabel: 'DM/s delivered',
      groups: ['closed loop'],
      bars: runs.map((run, i) => ({
        name: run.label,
        color: colorOf(run.kind, i),
        values: [closed[i] ?? 0],
      })),
    },
  ]);
}
