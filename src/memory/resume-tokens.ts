import type { ResumeTokens, TokenSession } from '../chat/ports';
import { newResumeToken, parseResumeToken } from '../core/resume-token';
import { systemClock } from '../core/clock';
import type { Clock } from '../core/clock';

interface TokenRecord {
  sid: string;
  /** SHA-256 of the token's secret; the token itself is not kept. */
  hash: string;
  expiresAt: number;
}

/**
 * RedisResumeTokens in one process, with TTLs on an injectable clock: one
 * record per user, replaced by each new token, gone once used, revoked or
 * `ttlSeconds` have passed on the clock (a Redis key with EX).
 */
export class MemoryResumeTokens implements ResumeTokens {
  private readonly records = new Map<string, TokenRecord>();

  constructor(private readonly clock: Clock = systemClock) {}

  async issue(
    username: string,
    sid: string,
    ttlSeconds: number,
  ): Promise<{ token: string; expiresAt: number }> {
    this.dropExpired();
    const { token, secretHash } = newResumeToken(username);
    const expiresAt = this.clock.now() + ttlSeconds * 1000;
    this.records.set(username, { sid, hash: secretHash, expiresAt });
    return { token, expiresAt };
  }

  async consume(token: string): Promise<TokenSession | null> {
    const parsed = parseResumeToken(token);
    if (!parsed) return null;
    const record = this.live(parsed.username);
    if (record?.hash !== parsed.secretHash) return null;
    this.records.delete(parsed.username);
    return { username: parsed.username, sid: record.sid };
  }

  async revoke(username: string, sid: string): Promise<boolean> {
    if (this.live(username)?.sid !== sid) return false;
    return this.records.delete(username);
  }

  async revokeUser(username: string): Promise<boolean> {
    return this.live(username) !== undefined && this.records.delete(username);
  }

  /** What this adapter holds, as text (names and values), for tests that look for tokens in it. */
  storedText(): string[] {
    return [...this.records].map(([username, record]) => `${username} ${JSON.stringify(record)}`);
  }

  private live(username: string): TokenRecord | undefined {
    const record = this.records.get(username);
    if (record === undefined || this.clock.now() < record.expiresAt) return record;
    this.records.delete(username);
    return undefined;
  }

  /** Expired records are forgotten as new ones come in, so a long test run does not keep them all. */
  private dropExpired(): void {
    const now = this.clock.now();
    for (const [username, record] of this.records) if (now >= record.expiresAt) this.records.delete(username);
  }
}
