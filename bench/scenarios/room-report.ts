import { colorOf, ratioCell, us } from '../support/compare';
import type { RowFigures } from '../support/compare';
import { fmt, table } from '../support/report';
import { renderChart } from '../support/svg-chart';
import type { Series } from '../support/svg-chart';
import { describeFailures } from './dm';
import type { GroupRun, RoomOptions, SystemRun } from './room';

function rowFigures(g: GroupRun): RowFigures {
  return {
    perSecond: g.phase.total.perSecond,
    p99Ms: g.phase.total.latency.p99Ms,
    cpuUs: g.cpuUsPerDelivery,
  };
}

export function renderRoom(options: RoomOptions, runs: readonly SystemRun[]): string {
  const socketio = runs.find((r) => r.kind === 'socketio');
  const relay = runs.find((r) => r.kind === 'relay');
  const names = runs[0]?.groups.map((g) => g.name) ?? [];
  const rows: string[][] = [];
  for (const name of names) {
    if (rows.length) rows.push(Array.from({ length: 13 }, () => ''));
    let first = true;
    for (const run of runs) {
      const g = run.groups.find((x) => x.name === name);
      if (!g) continue;
      const peer = (other: SystemRun | undefined): string => {
        const theirs = other?.groups.find((x) => x.name === name);
        return run.kind === 'cluster' && theirs ? ratioCell(rowFigures(g), rowFigures(theirs)) : '';
      };
      const t = g.phase.total;
      const seconds = g.phase.send.elapsedMs / 1000;
      rows.push([
        first ? `${name} (${fmt.int(g.recipients)})` : '',
        run.label,
        g.offeredPerSecond ? fmt.rate(g.offeredPerSecond * g.recipients) : 'closed',
        fmt.rate(seconds > 0 ? t.completed / seconds : 0),
        fmt.rate(t.perSecond),
        fmt.ms(t.latency.p50Ms),
        fmt.ms(t.latency.p99Ms),
        fmt.ms(t.latency.maxMs),
        us(g.cpuUsPerDelivery),
        us(g.redisCpuUsPerDelivery),
        g.redis ? g.redis.roundTripsPerMessage.toFixed(1) : '-',
        peer(socketio),
        peer(relay),
      ]);
      first = false;
    }
  }
  const title =
    `room: ${options.members} members / ${options.online} online over 3 nodes, ${options.senders} senders, ` +
    `${fmt.seconds(options.durationMs)} s per phase, paced window ${options.pacedWindow}, world window ${options.window}, ` +
    `${options.sizeChars}-char texts; leaders: ${runs.map((r) => `${r.label} ${r.leaderId}`).join(', ')}`;
  const cluster = runs.find((r) => r.kind === 'cluster');
  const topCommands = (g: GroupRun): string =>
    Object.entries(g.redis?.byCommand ?? {})
      .slice(0, 8)
      .map(([name, n]) => `${name} ${n.toFixed(2)}`)
      .join(', ');
  const notes = [
    'ratio columns (cluster rows): cluster / peer for deliveries/s, p99 and server CPU per delivery; paced phases stamp each message with the time it was due',
    ...(cluster?.groups.map(
      (g) => `Redis commands per message, ${cluster.label}, ${g.name}: ${topCommands(g)}`,
    ) ?? []),
    ...runs.flatMap((run) =>
      run.groups
        .filter((g) => describeFailures(g.phase) !== 'none')
        .map((g) => `failures: ${run.label}, ${g.name}: ${describeFailures(g.phase)}`),
    ),
    `connect (and log in) ${fmt.int(options.online)} users: ` +
      runs.map((r) => `${r.label} ${fmt.seconds(r.connectMs)} s`).join(', '),
    ...runs.map(
      (run) =>
        `load generator CPU, ${run.label}: ` +
        run.groups
          .map(
            (g) => `${fmt.seconds(g.phase.loadGeneratorCpuMs)} s in ${fmt.seconds(g.phase.send.elapsedMs)} s`,
          )
          .join(', '),
    ),
  ];
  return [
    table(
      title,
      [
        'phase (recipients)',
        'system',
        'offered deliv/s',
        'msgs/s',
        'deliveries/s',
        'p50 ms',
        'p99 ms',
        'max ms',
        'CPU µs/deliv',
        'Redis µs/deliv',
        'Redis trips/msg',
        'vs socket.io thr/p99/CPU',
        'vs relay thr/p99/CPU',
      ],
      rows,
    ),
    ...notes,
  ].join('\n');
}

export function roomChart(options: RoomOptions, runs: readonly SystemRun[]): string {
  const paced = (run: SystemRun): GroupRun[] => run.groups.filter((g) => g.offeredPerSecond !== undefined);
  const x = (g: GroupRun): number => (g.offeredPerSecond ?? 0) * g.recipients;
  const latency: Series[] = runs.flatMap((run, i) => [
    {
      name: `${run.label} p99`,
      color: colorOf(run.kind, i),
      points: paced(run).map((g) => ({ x: x(g), y: g.phase.total.latency.p99Ms })),
    },
    {
      name: `${run.label} p50`,
      color: colorOf(run.kind, i),
      dashed: true,
      points: paced(run).map((g) => ({ x: x(g), y: g.phase.total.latency.p50Ms })),
    },
  ]);
  const cpu: Series[] = runs.map((run, i) => ({
    name: run.label,
    color: colorOf(run.kind, i),
    points: paced(run).map((g) => ({ x: x(g), y: g.cpuUsPerDelivery })),
  }));
  const delivered: Series[] = runs.map((run, i) => ({
    name: run.label,
    color: colorOf(run.kind, i),
    points: paced(run).map((g) => ({ x: x(g), y: g.phase.total.perSecond })),
  }));
  const world = runs.map((run) => run.groups.find((g) => g.name === 'world'));
  return renderChart(`Room of ${options.members} over 3 nodes, and the world channel (same run)`, [
    {
      kind: 'line',
      xTicksAtData: true,
      title: 'room latency (p99 solid, p50 dashed)',
      xLabel: 'deliveries/s offered',
      yLabel: 'ms',
      logY: true,
      series: latency,
    },
    {
      kind: 'line',
      xTicksAtData: true,
      title: 'room deliveries',
      xLabel: 'deliveries/s offered',
      yLabel: 'deliveries/s',
      diagonal: true,
      series: delivered,
    },
    {
      kind: 'line',
      xTicksAtData: true,
      title: 'server CPU per room delivery',
      xLabel: 'deliveries/s offered',
      yLabel: 'µs',
      series: cpu,
    },
    {
      kind: 'bar',
      title: `world channel, ${options.online} online: p50 and p99`,
      yLabel: 'ms',
      groups: ['p50', 'p99'],
      bars: runs.map((run, i) => ({
        name: run.label,
        color: colorOf(run.kind, i),
        values: [world[i]?.phase.total.latency.p50Ms ?? 0, world[i]?.phase.total.latency.p99Ms ?? 0],
      })),
    },
  ]);
}
