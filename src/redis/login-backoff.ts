import type { LoginAttempts } from '../chat/ports';
import { backoffRefusal, waitAfterFailure } from '../core/login-limits';
import type { LoginBackoffPolicy } from '../core/login-limits';
import type { RedisKeys } from '../core/names';
import type { RedisClient } from './connect';

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
 * Each counter is incremented and given its TTL in one transaction of its
 * own: nothing relates the three counters but the decision read from them,
 * so on a Redis Cluster they may live in different slots.
 */
export class RedisLoginBackoff implements LoginAttempts {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly config: LoginBackoffPolicy,
  ) {}

  async check(username: string, address: string): Promise<void> {
    const waitMs = await this.redis.pttl(this.keys.loginPairWait(username, address));
    if (waitMs > 0) throw backoffRefusal(waitMs);
  }

  /** Counts a failure; returns the wait it imposes on the pair (0 while failures are free). */
  async recordFailure(username: string, address: string): Promise<number> {
    const windowS = this.config.failureWindowS;
    const [pair, user, fromAddress] = await Promise.all([
      // Consecutive failures of the pair are remembered for a window after the last one.
      this.count(this.keys.loginPairFailures(username, address), windowS, 'always'),
      this.count(this.keys.loginFailuresUser(username), windowS, 'first'),
      this.count(this.keys.loginFailuresAddress(address), windowS, 'first'),
    ]);
    const waitMs = waitAfterFailure({ pair, user, address: fromAddress }, this.config);
    if (waitMs > 0) await this.redis.set(this.keys.loginPairWait(username, address), '1', 'PX', waitMs);
    return waitMs;
  }

  async recordSuccess(username: string, address: string): Promise<void> {
    // One slot (one hash tag): a single DEL on a Redis Cluster too.
    await this.redis.del(
      this.keys.loginPairFailures(username, address),
      this.keys.loginPairWait(username, address),
    );
  }

  /** INCR and EXPIRE in one transaction, so no counter is ever left without its TTL. */
  private async count(key: string, windowS: number, ttl: 'always' | 'first'): Promise<number> {
    const tx = this.redis.multi().incr(key);
    const replies = await (ttl === 'always' ? tx.expire(key, windowS) : tx.expire(key, windowS, 'NX')).exec();
    const failed = replies?.find(([err]) => err !== null);
    if (failed) throw failed[0];
    return Number(replies?.[0]?.[1] ?? 0);
  }
}
