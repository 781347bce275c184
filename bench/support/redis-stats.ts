import { Redis } from 'ioredis';

/** Calls per Redis command (lower-case name) from INFO commandstats. */
export type CommandCounts = Map<string, number>;

/**
 * Counts the commands Redis executed between two snapshots: what a phase of
 * the bench cost Redis. Commands inside MULTI/EXEC count one by one, as Redis
 * runs them; the INFO calls of the counter itself are left out.
 */
export class RedisCommandCounter {
  private readonly redis: Redis;

  constructor(url: string) {
    this.redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    this.redis.on('error', () => undefined);
  }

  async snapshot(): Promise<CommandCounts> {
    if (this.redis.status === 'wait') await this.redis.connect();
    return parseCommandStats(await this.redis.info('commandstats'));
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}

export function parseCommandStats(info: string): CommandCounts {
  const counts: CommandCounts = new Map();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    counts.set((match[1] as string).toLowerCase(), Number(match[2]));
  }
  return counts;
}

/** after − before per command, without INFO, largest first. */
export function commandDelta(before: CommandCounts, after: CommandCounts): Array<[string, number]> {
  const delta: Array<[string, number]> = [];
  for (const [name, calls] of after) {
    if (name === 'info') continue;
    const diff = calls - (before.get(name) ?? 0);
    if (diff > 0) delta.push([name, diff]);
  }
  return delta.sort((a, b) => b[1] - a[1]);
}

export interface RoundTripSample {
  /** Commands seen, MULTI/EXEC included. */
  commands: number;
  /** Requests a client waited for: a command alone, or a whole MULTI…EXEC block. */
  roundTrips: number;
  transactions: number;
  /** Messages recorded in the sample: LPUSHes onto a history list. */
  messages: number;
}

/**
 * Watches Redis with MONITOR for a short sample and counts round trips: a
 * MULTI…EXEC block is sent in one write and answered at once, so it counts
 * as one. MONITOR slows Redis down, so sample only a phase whose figures are
 * not reported (the warm-up).
 */
export class RedisRoundTripSampler {
  private readonly redis: Redis;
  private monitor: Redis | undefined;
  private readonly inTransaction = new Set<string>();
  private readonly sample: RoundTripSample = { commands: 0, roundTrips: 0, transactions: 0, messages: 0 };

  constructor(
    url: string,
    private readonly historyMarker: string,
  ) {
    this.redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    this.redis.on('error', () => undefined);
  }

  async start(): Promise<void> {
    await this.redis.connect();
    this.monitor = await this.redis.monitor();
    this.monitor.on('error', () => undefined);
    this.monitor.on('monitor', (_time: string, args: string[], source: string) =>
      this.onCommand(args, source),
    );
  }

  stop(): RoundTripSample {
    this.monitor?.disconnect();
    this.redis.disconnect();
    return { ...this.sample };
  }

  private onCommand(args: string[], source: string): void {
    const name = (args[0] ?? '').toLowerCase();
    this.sample.commands++;
    if (name === 'lpush' && (args[1] ?? '').includes(this.historyMarker)) this.sample.messages++;
    if (name === 'multi') {
      this.inTransaction.add(source);
      this.sample.transactions++;
      this.sample.roundTrips++;
    } else if (name === 'exec' || name === 'discard') {
      this.inTransaction.delete(source);
    } else if (!this.inTransaction.has(source)) {
      this.sample.roundTrips++;
    }
  }
}
