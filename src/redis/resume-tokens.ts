import type { ResumeTokens, TokenSession } from '../chat/ports';
import type { RedisKeys } from '../core/names';
import type { RedisClient } from './connect';
import { newResumeToken, parseResumeToken } from '../core/resume-token';

// Compare-and-delete on the user's one record: the token is used up by the
// first caller whose secret matches; a wrong secret leaves it in place.
const CONSUME = `local v = redis.call('GET', KEYS[1])
if not v then return false end
local t = cjson.decode(v)
if t.hash ~= ARGV[1] then return false end
redis.call('DEL', KEYS[1])
return t.sid`;

// Revokes only the session named: a logout racing a newer login keeps the newer token.
const REVOKE = `local v = redis.call('GET', KEYS[1])
if not v then return 0 end
if cjson.decode(v).sid ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1`;

/**
 * Resume tokens as one Redis string per user with a TTL: JSON {sid, hash},
 * the session the token was issued to and the SHA-256 of its secret. A new
 * token overwrites the user's record, which revokes the previous one; every
 * operation touches that one key, so each is atomic (also on Redis Cluster).
 */
export class RedisResumeTokens implements ResumeTokens {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  async issue(
    username: string,
    sid: string,
    ttlSeconds: number,
  ): Promise<{ token: string; expiresAt: number }> {
    const { token, secretHash } = newResumeToken(username);
    const record = JSON.stringify({ sid, hash: secretHash });
    await this.redis.set(this.keys.resumeToken(username), record, 'EX', ttlSeconds);
    return { token, expiresAt: Date.now() + ttlSeconds * 1000 };
  }

  async consume(token: string): Promise<TokenSession | null> {
    const parsed = parseResumeToken(token);
    if (!parsed) return null;
    const sid = (await this.redis.eval(
      CONSUME,
      1,
      this.keys.resumeToken(parsed.username),
      parsed.secretHash,
    )) as string | null;
    return sid === null ? null : { username: parsed.username, sid };
  }

  async revoke(username: string, sid: string): Promise<boolean> {
    return (await this.redis.eval(REVOKE, 1, this.keys.resumeToken(username), sid)) === 1;
  }

  async revokeUser(username: string): Promise<boolean> {
    return (await this.redis.del(this.keys.resumeToken(username))) === 1;
  }
}
