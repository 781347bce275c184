import type { PhaseResult } from '../load/phase';
import { fmt } from './report';
import { COLORS } from './svg-chart';
import type { SystemPlan } from './systems';

/** CPU of the server processes (or of the infrastructure) during a phase, per delivery, in µs. */
export function cpuUsPer(
  phase: PhaseResult,
  count: number,
  of: 'servers' | 'infrastructure' = 'servers',
): number {
  const report = of === 'servers' ? phase.memory : phase.infrastructure;
  const ms = report.processes.reduce((sum, p) => sum + p.cpuMs, 0);
  return count > 0 ? (ms * 1000) / count : 0;
}

/** The figures every comparison row shows. */
export interface RowFigures {
  perSecond: number;
  p99Ms: number;
  cpuUs: number;
}

export function figures(phase: PhaseResult): RowFigures {
  return {
    perSecond: phase.total.perSecond,
    p99Ms: phase.total.latency.p99Ms,
    cpuUs: cpuUsPer(phase, phase.total.deliveries),
  };
}

/** "throughput / p99 / CPU per delivery" of a cluster row over a peer's: same-run ratios. */
export function ratioCell(mine: RowFigures, peer: RowFigures | undefined): string {
  if (!peer) return '';
  return [
    fmt.ratio(mine.perSecond, peer.perSecond),
    fmt.ratio(mine.p99Ms, peer.p99Ms),
    fmt.ratio(mine.cpuUs, peer.cpuUs),
  ].join(' / ');
}

export function colorOf(kind: SystemPlan['kind'], index: number): string {
  if (kind === 'socketio') return COLORS.socketio;
  if (kind === 'relay') return COLORS.relay;
  return index === 0 ? COLORS.cluster : (COLORS.extra[index - 1] ?? COLORS.before);
}

export const us = (value: number): string => (value >= 100 ? value.toFixed(0) : value.toFixed(1));
