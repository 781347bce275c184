import type { Redis } from 'ioredis';
import type { LoginAttempts } from '../chat/ports';
import { checkLoginFailures } from '../core/login-limits';
import type { LoginLimits } from '../core/login-limits';
import type { RedisKeys } from '../core/names';

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
    checkLoginFailures({ user: Number(user ?? 0), address: Number(addr ?? 0) }, this.limits);
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
