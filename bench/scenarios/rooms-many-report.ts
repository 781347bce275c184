import { us } from '../support/compare';
import { fmt, table } from '../support/report';
import { COLORS, renderChart } from '../support/svg-chart';
import type { Series } from '../support/svg-chart';
import { describeFailures } from './dm';
import type { ManyRoomsPhase, Mode, ModeRun, RoomsManyOptions } from './rooms-many';

const COLOR: Record<Mode, string> = { leader: COLORS.before, spread: COLORS.cluster };
const LABEL: Record<Mode, string> = { leader: 'leader-only', spread: 'spread' };

const pct = (share: number): string => `${(share * 100).toFixed(0)}%`;

export function renderRoomsMany(options: RoomsManyOptions, runs: readonly ModeRun[]): string {
  const names = runs[0]?.phases.map((p) => p.name) ?? [];
  const rows: string[][] = [];
  for (const name of names) {
    if (rows.length) rows.push(Array.from({ length: 10 }, () => ''));
    let first = true;
    for (const run of runs) {
      const p = run.phases.find((x) => x.name === name);
      if (!p) continue;
      const t = p.phase.total;
      rows.push([
        first ? name : '',
        LABEL[run.mode],
        fmt.rate(p.offeredPerSecond),
        fmt.rate(t.perSecond),
        fmt.ms(t.latency.p50Ms),
        fmt.ms(t.latency.p99Ms),
        fmt.ms(t.latency.maxMs),
        us(p.cpuUsPerDelivery),
        `${p.busiest.nodeId}${p.busiest.nodeId === run.leaderId ? ' (leader)' : ''} ${pct(p.busiest.share)}`,
        p.nodes.map((n) => `${n.nodeId} ${pct(n.share)}`).join(' '),
      ]);
      first = false;
    }
  }
  const title =
    `rooms-many: ${options.rooms} rooms x ${options.members} members, ${options.users} users over 3 nodes, ` +
    `one sender per room, ${fmt.seconds(options.durationMs)} s per phase, window ${options.pacedWindow}, ` +
    `${options.sizeChars}-char texts; leaders: ${runs.map((r) => `${LABEL[r.mode]} ${r.leaderId}`).join(', ')}`;
  const notes = [
    'busiest node: the node that used the most CPU in the phase, as a share of the three nodes’ CPU (1/3 is an even spread); paced phases stamp each message with the time it was due',
    ...runs.flatMap((run) =>
      run.phases
        .filter((p) => describeFailures(p.phase) !== 'none')
        .map((p) => `failures: ${LABEL[run.mode]}, ${p.name}: ${describeFailures(p.phase)}`),
    ),
    `connect (and log in) ${fmt.int(options.users)} users: ` +
      runs.map((r) => `${LABEL[r.mode]} ${fmt.seconds(r.connectMs)} s`).join(', '),
    ...runs.map(
      (run) =>
        `load generator CPU, ${LABEL[run.mode]}: ` +
        run.phases
          .map(
            (p) => `${fmt.seconds(p.phase.loadGeneratorCpuMs)} s in ${fmt.seconds(p.phase.send.elapsedMs)} s`,
          )
          .join(', '),
    ),
  ];
  return [
    table(
      title,
      [
        'phase',
        'ownership',
        'offered deliv/s',
        'deliveries/s',
        'p50 ms',
        'p99 ms',
        'max ms',
        'CPU µs/deliv',
        'busiest node',
        'CPU share per node',
      ],
      rows,
    ),
    ...notes,
  ].join('\n');
}

export function roomsManyChart(options: RoomsManyOptions, runs: readonly ModeRun[]): string {
  const x = (p: ManyRoomsPhase): number => p.offeredPerSecond;
  const line = (y: (p: ManyRoomsPhase) => number, dashed = false, suffix = ''): Series[] =>
    runs.map((run) => ({
      name: `${LABEL[run.mode]}${suffix}`,
      color: COLOR[run.mode],
      dashed,
      points: run.phases.map((p) => ({ x: x(p), y: y(p) })),
    }));
  return renderChart(
    `${options.rooms} rooms x ${options.members} members over 3 nodes: rooms on the leader vs spread (same run)`,
    [
      {
        kind: 'line',
        xTicksAtData: true,
        title: 'latency (p99 solid, p50 dashed)',
        xLabel: 'deliveries/s offered',
        yLabel: 'ms',
        logY: true,
        series: [
          ...line((p) => p.phase.total.latency.p99Ms, false, ' p99'),
          ...line((p) => p.phase.total.latency.p50Ms, true, ' p50'),
        ],
      },
      {
        kind: 'line',
        xTicksAtData: true,
        title: 'deliveries',
        xLabel: 'deliveries/s offered',
        yLabel: 'deliveries/s',
        diagonal: true,
        series: line((p) => p.phase.total.perSecond),
      },
      {
        kind: 'bar',
        title: `CPU share of each node, ${runs[0]?.phases.at(-1)?.name ?? ''}`,
        yLabel: '% of the nodes’ CPU',
        groups: ['n1', 'n2', 'n3'],
        bars: runs.map((run) => {
          const last = run.phases.at(-1);
          return {
            name: `${LABEL[run.mode]} (leader ${run.leaderId})`,
            color: COLOR[run.mode],
            values: ['n1', 'n2', 'n3'].map(
              (id) => (last?.nodes.find((n) => n.nodeId === id)?.share ?? 0) * 100,
            ),
          };
        }),
      },
      {
        kind: 'line',
        xTicksAtData: true,
        title: 'busiest node’s CPU share',
        xLabel: 'deliveries/s offered',
        yLabel: '%',
        series: line((p) => p.busiest.share * 100),
      },
    ],
  );
}
