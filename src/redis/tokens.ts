import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { LoginAttempts, ResumeTokens, ServerRegistry } from '../chat/ports';
import { RateLimited } from '../core/errors';
import type { RedisKeys } from '../core/names';

export class RedisResumeTokens implements ResumeTokens {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async issue(username: string, ttlSeconds: number): Promise<{ token: string; expiresAt: number }> {
    const token = randomBytes(24).toString('base64url');
    await this.redis.set(this.keys.token(token), username, 'EX', ttlSeconds);
    return { token, expiresAt: Date.now() + ttlSeconds * 1000 };
  }

  async resolve(token: string): Promise<string | null> {
    if (!/^[A-Za-z0-9_-]{16,64}$/.test(token)) return null;
    return this.redis.get(this.keys.token(token));
  }
}

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

export class RedisServerRegistry implements ServerRegistry {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async writeServers(nodes: ReadonlyArray<{ nodeId: string; url: string }>): Promise<void> {
    await this.redis.set(this.keys.servers(), JSON.stringify(nodes));
  }

  async publishLoad(nodeId: string, connections: number): Promise<void> {
    await this.redis.hset(this.keys.load(), nodeId, connections);
  }

  async removeLoad(nodeId: string): Promise<void> {
    await this.redis.hdel(this.keys.load(), nodeId);
  }
}
