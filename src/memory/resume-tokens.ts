import type { ResumeTokens } from '../chat/ports';
import { looksLikeResumeToken, newResumeToken } from '../core/resume-token';
import { systemClock } from '../core/clock';
import type { Clock } from '../core/clock';

/**
 * Resume tokens in one process, with TTLs on an injectable clock: a token
 * resolves until `ttlSeconds` have passed on the clock, then never again (a
 * Redis key with EX). Tokens look like RedisResumeTokens' (24 random bytes,
 * base64url) and malformed ones are refused the same way, without a lookup.
 */
export class MemoryResumeTokens implements ResumeTokens {
  private readonly tokens = new Map<string, { username: string; expiresAt: number }>();

  constructor(private readonly clock: Clock = systemClock) {}

  async issue(username: string, ttlSeconds: number): Promise<{ token: string; expiresAt: number }> {
    this.dropExpired();
    const token = newResumeToken();
    const expiresAt = this.clock.now() + ttlSeconds * 1000;
    this.tokens.set(token, { username, expiresAt });
    return { token, expiresAt };
  }

  async resolve(token: string): Promise<string | null> {
    if (!looksLikeResumeToken(token)) return null;
    const entry = this.tokens.get(token);
    if (!entry) return null;
    if (this.clock.now() < entry.expiresAt) return entry.username;
    this.tokens.delete(token);
    return null;
  }

  /** Expired tokens are forgotten as new ones come in, so a long test run does not keep them all. */
  private dropExpired(): void {
    const now = this.clock.now();
    for (const [token, entry] of this.tokens) if (now >= entry.expiresAt) this.tokens.delete(token);
  }
}
