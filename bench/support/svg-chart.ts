/**
 * Small SVG charts for the bench's result files: line charts (optionally with
 * a logarithmic y axis) and grouped bar charts, several panels to one image.
 * Plain SVG text, no fonts or scripts, so it renders on GitHub and in any
 * browser as it is.
 */

export interface Series {
  name: string;
  color: string;
  /** Dashed line (e.g. p50 beside a solid p99). */
  dashed?: boolean;
  points: ReadonlyArray<{ x: number; y: number }>;
}

export interface LinePanel {
  kind: 'line';
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  logY?: boolean;
  logX?: boolean;
  /** A grey reference line y = x (delivered = offered). */
  diagonal?: boolean;
  /** Ticks on the x axis where the measurements are (a few offered rates) instead of round numbers. */
  xTicksAtData?: boolean;
}

export interface BarPanel {
  kind: 'bar';
  title: string;
  yLabel: string;
  /** Groups along the x axis; each bar of a group is one entry of `bars`. */
  groups: readonly string[];
  bars: ReadonlyArray<{ name: string; color: string; values: readonly number[] }>;
}

export type Panel = LinePanel | BarPanel;

const PANEL_W = 560;
const PANEL_H = 340;
const M = { left: 64, right: 16, top: 36, bottom: 78 };

/** A palette that tells systems apart: this cluster, an older build, Socket.IO, the relay. */
export const COLORS = {
  cluster: '#1f5fbf',
  before: '#8a8a8a',
  socketio: '#d9731a',
  relay: '#2e9a4a',
  extra: ['#9b3fb5', '#c23b3b'],
};

/** Panels side by side (two per row), with a title line above. */
export function renderChart(title: string, panels: readonly Panel[], note = ''): string {
  const perRow = Math.min(2, panels.length);
  const rows = Math.ceil(panels.length / perRow);
  const width = perRow * PANEL_W;
  const height = 30 + rows * PANEL_H + (note ? 20 : 0);
  const body = panels
    .map((panel, i) => {
      const x = (i % perRow) * PANEL_W;
      const y = 30 + Math.floor(i / perRow) * PANEL_H;
      const inner = panel.kind === 'line' ? linePanel(panel) : barPanel(panel);
      return `<g transform="translate(${x},${y})">${inner}</g>`;
    })
    .join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`,
    body,
    note ? `<text x="10" y="${height - 6}" fill="#555">${esc(note)}</text>` : '',
    '</svg>',
    '',
  ].join('\n');
}

interface Scale {
  map(value: number): number;
  ticks: number[];
}

function scale(min: number, max: number, from: number, to: number, log: boolean, exactTop = false): Scale {
  if (log) {
    const lo = Math.pow(10, Math.floor(Math.log10(Math.max(min, 1e-6))));
    const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(max, lo * 10))));
    const ticks: number[] = [];
    for (let t = lo; t <= hi * 1.0001; t *= 10) ticks.push(t);
    const span = Math.log10(hi) - Math.log10(lo);
    return {
      map: (v) => from + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / span) * (to - from),
      ticks,
    };
  }
  const top = exactTop ? Math.max(max, 1e-9) : niceCeil(Math.max(max, 1e-9));
  const step = top / 5;
  const ticks = Array.from({ length: 6 }, (_, i) => i * step);
  return { map: (v) => from + (v / top) * (to - from), ticks };
}

function niceCeil(value: number): number {
  const magnitude = Math.pow(10, Math.floor(Math.log10(value)));
  for (const f of [1, 2, 2.5, 5, 10]) if (f * magnitude >= value) return f * magnitude;
  return 10 * magnitude;
}

function tick(value: number): string {
  if (value >= 1e6) return `${+(value / 1e6).toFixed(1)}M`;
  if (value >= 1e3) return `${+(value / 1e3).toFixed(1)}k`;
  if (value >= 1) return `${+value.toFixed(1)}`;
  return `${+value.toPrecision(2)}`;
}

function frame(title: string, xLabel: string, yLabel: string): string {
  const h = PANEL_H - M.top - M.bottom;
  return [
    `<text x="${M.left}" y="22" font-size="12" font-weight="bold">${esc(title)}</text>`,
    `<text x="${M.left + (PANEL_W - M.left - M.right) / 2}" y="${PANEL_H - 46}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text transform="translate(14,${M.top + h / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`,
  ].join('');
}

function linePanel(panel: LinePanel): string {
  const all = panel.series.flatMap((s) => s.points);
  const x0 = M.left;
  const x1 = PANEL_W - M.right;
  const y0 = PANEL_H - M.bottom;
  const y1 = M.top;
  const xs = all.map((p) => p.x);
  const ys = all.map((p) => p.y).filter((y) => y > 0 || !panel.logY);
  const xMax = Math.max(...xs, 1);
  const yMax = Math.max(...ys, panel.diagonal ? xMax : 0, 1e-3);
  // Measured rates sit inside the axis rather than on its far edge.
  const xTop = panel.xTicksAtData && !panel.logX ? xMax * 1.08 : xMax;
  const sx = scale(Math.min(...xs, xMax), xTop, x0, x1, panel.logX ?? false, panel.xTicksAtData);
  const sy = scale(Math.min(...ys, yMax), yMax, y0, y1, panel.logY ?? false);
  const out: string[] = [frame(panel.title, panel.xLabel, panel.yLabel)];
  for (const t of sy.ticks) {
    const y = sy.map(t).toFixed(1);
    out.push(`<line x1="${x0}" x2="${x1}" y1="${y}" y2="${y}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${x0 - 6}" y="${y}" dy="4" text-anchor="end">${tick(t)}</text>`);
  }
  for (const t of panel.xTicksAtData ? [...new Set(xs)].sort((a, b) => a - b) : sx.ticks) {
    const x = sx.map(t).toFixed(1);
    out.push(`<line x1="${x}" x2="${x}" y1="${y0}" y2="${y0 + 4}" stroke="#333"/>`);
    out.push(`<text x="${x}" y="${y0 + 16}" text-anchor="middle">${tick(t)}</text>`);
  }
  out.push(`<line x1="${x0}" x2="${x1}" y1="${y0}" y2="${y0}" stroke="#333"/>`);
  out.push(`<line x1="${x0}" x2="${x0}" y1="${y0}" y2="${y1}" stroke="#333"/>`);
  if (panel.diagonal) {
    out.push(
      `<line x1="${x0}" y1="${sy.map(0).toFixed(1)}" x2="${sx.map(xMax).toFixed(1)}" y2="${sy.map(xMax).toFixed(1)}" stroke="#bbb" stroke-dasharray="2 3"/>`,
    );
  }
  for (const s of panel.series) {
    const pts = s.points
      .filter((p) => !panel.logY || p.y > 0)
      .map((p) => `${sx.map(p.x).toFixed(1)},${sy.map(p.y).toFixed(1)}`);
    if (pts.length === 0) continue;
    const dash = s.dashed ? ' stroke-dasharray="5 4"' : '';
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2"${dash} points="${pts.join(' ')}"/>`);
    for (const p of pts) {
      const [cx, cy] = p.split(',');
      out.push(`<circle cx="${cx}" cy="${cy}" r="2.5" fill="${s.color}"/>`);
    }
  }
  out.push(legend(panel.series.map((s) => ({ name: s.name, color: s.color, dashed: s.dashed }))));
  return out.join('\n');
}

function barPanel(panel: BarPanel): string {
  const x0 = M.left;
  const x1 = PANEL_W - M.right;
  const y0 = PANEL_H - M.bottom;
  const y1 = M.top;
  const values = panel.bars.flatMap((b) => b.values);
  const sy = scale(0, Math.max(...values, 1e-3), y0, y1, false);
  const out: string[] = [frame(panel.title, '', panel.yLabel)];
  for (const t of sy.ticks) {
    const y = sy.map(t).toFixed(1);
    out.push(`<line x1="${x0}" x2="${x1}" y1="${y}" y2="${y}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${x0 - 6}" y="${y}" dy="4" text-anchor="end">${tick(t)}</text>`);
  }
  const groupW = (x1 - x0) / Math.max(1, panel.groups.length);
  const barW = (groupW * 0.8) / Math.max(1, panel.bars.length);
  panel.groups.forEach((group, g) => {
    const gx = x0 + g * groupW + groupW * 0.1;
    out.push(`<text x="${gx + groupW * 0.4}" y="${y0 + 16}" text-anchor="middle">${esc(group)}</text>`);
    panel.bars.forEach((bar, b) => {
      const value = bar.values[g] ?? 0;
      const top = sy.map(value);
      out.push(
        `<rect x="${(gx + b * barW).toFixed(1)}" y="${top.toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(y0 - top).toFixed(1)}" fill="${bar.color}"><title>${esc(`${bar.name} ${group}: ${tick(value)}`)}</title></rect>`,
      );
    });
  });
  out.push(`<line x1="${x0}" x2="${x1}" y1="${y0}" y2="${y0}" stroke="#333"/>`);
  out.push(legend(panel.bars.map((b) => ({ name: b.name, color: b.color }))));
  return out.join('\n');
}

function legend(items: ReadonlyArray<{ name: string; color: string; dashed?: boolean }>): string {
  const perLine = 4;
  return items
    .map((item, i) => {
      const x = M.left + (i % perLine) * 125;
      const y = PANEL_H - 28 + Math.floor(i / perLine) * 14;
      const dash = item.dashed ? ' stroke-dasharray="5 4"' : '';
      return (
        `<line x1="${x}" x2="${x + 22}" y1="${y - 4}" y2="${y - 4}" stroke="${item.color}" stroke-width="3"${dash}/>` +
        `<text x="${x + 27}" y="${y}">${esc(item.name)}</text>`
      );
    })
    .join('');
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
