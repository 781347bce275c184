import type { Redis } from 'ioredis';
import type { LoginAttempts } from '../chat/ports';
import { backoffRefusal, waitAfterFailure } from '../core/login-limits';
import type { LoginBackoffPolicy } from '../core/login-limits';
import type { RedisKeys } from '../core/names';

/**
 * Failed logins slow down the one (account, address) pair that fails, instead
 * of locking the account or the address: after `freeFailures` consecutive
 * failures each further attempt of that pair must wait, doubling from
 * backoffBaseMs up to backoffMaxS, and is told how long (429 LOGIN_BACKOFF
 * with retry_after_ms). A success clears the pair. Nobody can lock somebody
 * else out: the owner logging in from another address, or another user behind
 * the same NAT, is not affected.
 *
 * The account and address totals still matter: an account guessed at from
 * many addresses, or an address guessing at many accounts (spraying), passes
 * its limit, and from then on every pair involving it starts its backoff
 * after a single failure. Right passwords still get in at once.
 *
 * The wait is a key with a TTL, so nodes with skewed clocks agree on it.
 */
export class RedisLoginBackoff implements LoginAttempts {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly config: LoginBackoffPolicy,
  ) {}

  async check(username: string, address: string): Promise<void> {
    const waitMs = await this.redis.pttl(this.waitKey(username, address));
    if (waitMs > 0) throw backoffRefusal(waitMs);
  }

  /** Counts a failure; returns the wait it imposes on the pair (0 while failures are free). */
  async recordFailure(username: string, address: string): Promise<number> {
    const windowS = this.config.failureWindowS;
    const pair = this.failKey(username, address);
    const userKey = this.keys.loginFailuresUser(username);
    const addrKey = this.keys.loginFailuresAddress(address);
    const replies = await this.redis
      .multi()
      .incr(pair)
      // Consecutive failures of the pair are remembered for a window after the last one.
      .expire(pair, windowS)
      .incr(userKey)
      .expire(userKey, windowS, 'NX')
      .incr(addrKey)
      .expire(addrKey, windowS, 'NX')
      .exec();
    const count = (i: number): number => Number(replies?.[i]?.[1] ?? 0);
    const waitMs = waitAfterFailure({ pair: count(0), user: count(2), address: count(4) }, this.config);
    if (waitMs > 0) await this.redis.set(this.waitKey(username, address), '1', 'PX', waitMs);
    return waitMs;
  }

  async recordSuccess(username: string, address: string): Promise<void> {
    await this.redis.del(this.failKey(username, address), this.waitKey(username, address));
  }

  private failKey(username: string, address: string): string {
    return `${this.keys.prefix}login-backoff:fails:${username}|${address}`;
  }

  private waitKey(username: string, address: string): string {
    return `${this.keys.prefix}login-backoff:wait:${username}|${address}`;
  }
}
