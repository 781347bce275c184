import type { Redis } from 'ioredis';
import type { ResumeTokens } from '../chat/ports';
import type { RedisKeys } from '../core/names';
import { looksLikeResumeToken, newResumeToken } from '../core/resume-token';

/** Resume tokens as Redis strings with a TTL: token -> username. */
export class RedisResumeTokens implements ResumeTokens {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async issue(username: string, ttlSeconds: number): Promise<{ token: string; expiresAt: number }> {
    const token = newResumeToken();
    await this.redis.set(this.keys.token(token), username, 'EX', ttlSeconds);
    return { token, expiresAt: Date.now() + ttlSeconds * 1000 };
  }

  async resolve(token: string): Promise<string | null> {
    if (!looksLikeResumeToken(token)) return null;
    return this.redis.get(this.keys.token(token));
  }
}
