import type { Redis } from 'ioredis';
import type { LoginAttempts } from '../chat/ports';
import { RateLimited } from '../core/errors';
import type { RedisKeys } from '../core/names';

export interface LoginLimits {
  maxFailuresPerUser: number;
  maxFailuresPerAddress: number;
  windowSeconds: number;
}

/** Fixed-window counters of failed logins per account and per address. */
export class RedisLoginAttempts implements LoginAttempts {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly limits: LoginLimits,
  ) {}

  async check(username: string, address: string): Promise<void> {
    const [user, addr] = await this.redis.mget(
      this.keys.loginFailuresUser(username),
      this.keys.loginFailuresAddress(address),
    );
    if (Number(user ?? 0) >= this.limits.maxFailuresPerUser) {
      throw new RateLimited('Too many failed logins for this account; try again later.', 'LOGIN_LOCKED');
    }
    if (Number(addr ?? 0) >= this.limits.maxFailuresPerAddress) {
      throw new RateLimited('Too many failed logins from this address; try again later.', 'LOGIN_LOCKED');
    }
  }

  async recordFailure(username: string, address: string): Promise<void> {
    const ttl = this.limits.windowSeconds;
    const userKey = this.keys.loginFailuresUser(username);
    const addrKey = this.keys.loginFailuresAddress(address);
    // NX on EXPIRE keeps the window fixed from the first failure.
    await this.redis
      .multi()
      .incr(userKey)
      .expire(userKey, ttl, 'NX')
      .incr(addrKey)
      .expire(addrKey, ttl, 'NX')
      .exec();
  }
}
