import type { LoginAttempts } from '../chat/ports';
import { systemClock } from '../core/clock';
import type { Clock } from '../core/clock';
import { backoffRefusal, waitAfterFailure } from '../core/login-limits';
import type { LoginBackoffPolicy } from '../core/login-limits';

interface Counter {
  count: number;
  expiresAt: number;
}

/**
 * The failed-login backoff of RedisLoginBackoff in one process, on an
 * injectable clock: pair counts expire a window after their last failure,
 * account and address totals a window after their first, waits when due.
 */
export class MemoryLoginBackoff implements LoginAttempts {
  private readonly pairs = new Map<string, Counter>();
  private readonly totals = new Map<string, Counter>();
  private readonly waits = new Map<string, number>();

  constructor(
    private readonly policy: LoginBackoffPolicy,
    private readonly clock: Clock = systemClock,
  ) {}

  async check(username: string, address: string): Promise<void> {
    const until = this.waits.get(pairKey(username, address));
    const waitMs = until === undefined ? 0 : until - this.clock.now();
    if (waitMs > 0) throw backoffRefusal(waitMs);
  }

  async recordFailure(username: string, address: string): Promise<number> {
    const pair = pairKey(username, address);
    const counts = {
      pair: this.bump(this.pairs, pair, true),
      user: this.bump(this.totals, `user:${username}`, false),
      address: this.bump(this.totals, `addr:${address}`, false),
    };
    const waitMs = waitAfterFailure(counts, this.policy);
    if (waitMs > 0) this.waits.set(pair, this.clock.now() + waitMs);
    return waitMs;
  }

  async recordSuccess(username: string, address: string): Promise<void> {
    const pair = pairKey(username, address);
    this.pairs.delete(pair);
    this.waits.delete(pair);
  }

  /** Counts one more in `key`; `slide` restarts its window (pairs), otherwise it stays fixed (totals). */
  private bump(counters: Map<string, Counter>, key: string, slide: boolean): number {
    const now = this.clock.now();
    const windowMs = this.policy.failureWindowS * 1000;
    const current = counters.get(key);
    const live = current !== undefined && now < current.expiresAt ? current : undefined;
    const next = {
      count: (live?.count ?? 0) + 1,
      expiresAt: live !== undefined && !slide ? live.expiresAt : now + windowMs,
    };
    counters.set(key, next);
    return next.count;
  }
}

function pairKey(username: string, address: string): string {
  return `${username}|${address}`;
}
