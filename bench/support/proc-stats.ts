import fs from 'node:fs';

/** Linux clock ticks per second for /proc/<pid>/stat times (USER_HZ, 100 on every mainstream kernel). */
const CLOCK_TICKS = 100;

export interface ProcSample {
  rssBytes: number;
  /** Peak RSS over the process's life (VmHWM). */
  peakRssBytes: number;
  /** User + system CPU time so far. */
  cpuMs: number;
}

/** One reading of a process from /proc; undefined once it is gone (or off Linux). */
export function readProc(pid: number): ProcSample | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name, which may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return {
      rssBytes: kib(status, 'VmRSS'),
      peakRssBytes: kib(status, 'VmHWM'),
      cpuMs: ((utime + stime) * 1000) / CLOCK_TICKS,
    };
  } catch {
    return undefined;
  }
}

function kib(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

export interface MemoryReport {
  /** Highest sum of RSS over the watched processes seen while sampling. */
  peakTotalRssBytes: number;
  /** Per process at the end: RSS, lifetime peak, CPU used while sampling. */
  processes: Array<{ name: string; pid: number; rssBytes: number; peakRssBytes: number; cpuMs: number }>;
}

/**
 * Samples the RSS of a set of processes every `intervalMs` while a load runs,
 * and the CPU time they used in between start() and stop().
 */
export class MemorySampler {
  private timer: NodeJS.Timeout | undefined;
  private peakTotal = 0;
  private readonly cpuAtStart = new Map<number, number>();
  private readonly lastSeen = new Map<number, ProcSample>();

  constructor(
    private readonly processes: ReadonlyArray<{ name: string; pid: number }>,
    private readonly intervalMs = 250,
  ) {}

  start(): this {
    for (const { pid } of this.processes) this.cpuAtStart.set(pid, readProc(pid)?.cpuMs ?? 0);
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  stop(): MemoryReport {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
    return {
      peakTotalRssBytes: this.peakTotal,
      processes: this.processes.map(({ name, pid }) => {
        const last = this.lastSeen.get(pid);
        return {
          name,
          pid,
          rssBytes: last?.rssBytes ?? 0,
          peakRssBytes: last?.peakRssBytes ?? 0,
          cpuMs: Math.max(0, (last?.cpuMs ?? 0) - (this.cpuAtStart.get(pid) ?? 0)),
        };
      }),
    };
  }

  private sample(): void {
    let total = 0;
    for (const { pid } of this.processes) {
      const sample = readProc(pid);
      if (sample) this.lastSeen.set(pid, sample);
      total += sample?.rssBytes ?? 0;
    }
    this.peakTotal = Math.max(this.peakTotal, total);
  }
}

/** Sum of the current RSS of `pids` (0 for one that is gone). */
export function totalRss(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + (readProc(pid)?.rssBytes ?? 0), 0);
}
