import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './repo';

export type Cell = string | number;

/** A plain-text table with right-aligned numbers, for stdout. */
export function table(
  title: string,
  headers: readonly string[],
  rows: ReadonlyArray<readonly Cell[]>,
): string {
  const cells = [headers.map(String), ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, col) => Math.max(...cells.map((row) => (row[col] ?? '').length)));
  const line = (row: readonly string[]): string =>
    row
      .map((cell, col) => {
        const width = widths[col] ?? 0;
        return col === 0 ? cell.padEnd(width) : cell.padStart(width);
      })
      .join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [title, line(cells[0] ?? []), rule, ...cells.slice(1).map(line)].join('\n');
}

export const fmt = {
  ms: (value: number): string =>
    value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2),
  rate: (value: number): string => Math.round(value).toLocaleString('en-US'),
  int: (value: number): string => value.toLocaleString('en-US'),
  mib: (bytes: number): string => (bytes / (1024 * 1024)).toFixed(0),
  ratio: (numerator: number, denominator: number): string =>
    denominator > 0 && Number.isFinite(numerator / denominator)
      ? `${(numerator / denominator).toFixed(2)}x`
      : '-',
  seconds: (ms: number): string => (ms / 1000).toFixed(1),
};

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  totalMemoryBytes: number;
  node: string;
  platform: string;
  release: string;
  loadAverage: number[];
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    totalMemoryBytes: os.totalmem(),
    node: process.version,
    platform: process.platform,
    release: os.release(),
    loadAverage: os.loadavg(),
  };
}

/**
 * Writes bench/results/<scenario>-<timestamp>.json (git-ignored), and the
 * chart beside it as .svg; returns both paths.
 */
export async function writeResultFile(
  scenario: string,
  data: unknown,
  chart?: string,
): Promise<{ json: string; svg?: string }> {
  const dir = path.join(repoRoot(), 'bench', 'results');
  await fs.mkdir(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const json = path.join(dir, `${scenario}-${stamp}.json`);
  await fs.writeFile(json, `${JSON.stringify(data, null, 2)}\n`);
  if (chart === undefined) return { json };
  const svg = json.replace(/\.json$/, '.svg');
  await fs.writeFile(svg, chart);
  return { json, svg };
}
