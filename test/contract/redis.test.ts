/**
 * The Redis adapters against their port contracts, on the project's shared
 * Redis (a single server, a Redis Cluster or a Sentinel-managed master; see
 * test/support/engines.ts), each test under a key prefix of its own.
 * Integration weight: run it through `heavy`.
 */
import { RedisKeys } from '../../src/core/names';
import { silentLogger } from '../../src/core/logger';
import { waitFor } from '../../src/core/wait-for';
import { RedisServerDirectory } from '../../src/gateway/redis-directory';
import { RedisRecentActivity } from '../../src/redis/activity';
import { RedisLoginBackoff } from '../../src/redis/login-backoff';
import { RedisResumeTokens } from '../../src/redis/resume-tokens';
import { RedisServerRegistry } from '../../src/redis/server-registry';
import { RedisSessionDirectory } from '../../src/redis/sessions';
import type { RedisClient } from '../../src/redis/connect';
import { connectRedis, deleteKeys, keysMatching, uniquePrefix, useScope } from '../support';
import { runLoginAttemptsContract } from './login-attempts-contract';
import { runRecentActivityContract } from './recent-activity-contract';
import { runResumeTokensContract } from './resume-tokens-contract';
import { runServerRegistryContract } from './server-registry-contract';
import { runSessionDirectoryContract } from './session-directory-contract';

const scope = useScope('all');
let redis: RedisClient;
const prefixes: string[] = [];

beforeAll(async () => {
  redis = await connectRedis(scope);
  // Registered after the connection, so it runs before the connection is quit.
  scope.defer(async () => {
    // Tagged keys start with the brace: `{<prefix>sessions}`.
    for (const prefix of prefixes) {
      await deleteKeys(redis, `${prefix}*`);
      await deleteKeys(redis, `{${prefix}*`);
    }
  }, 'delete the contract keys');
});

function freshKeys(): RedisKeys {
  const prefix = uniquePrefix(expect.getState().currentTestName ?? 'redis-contract');
  prefixes.push(prefix);
  return new RedisKeys(prefix);
}

/** Milliseconds on Redis's own clock, which is what its TTLs run on. */
async function redisNow(): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

/** Redis's clock cannot be moved, so this waits until it has moved on by more than `ms`. */
async function elapse(ms: number): Promise<void> {
  const until = (await redisNow()) + ms;
  await waitFor(async () => (await redisNow()) > until, {
    what: `Redis's clock to pass ${ms} ms`,
    timeoutMs: ms + 5000,
    intervalMs: 20,
  });
}

runSessionDirectoryContract('redis', async () => new RedisSessionDirectory(redis, freshKeys()));

runRecentActivityContract('redis', async ({ flushMs }) => ({
  activity: new RedisRecentActivity(redis, freshKeys(), { wordFlushMs: flushMs, listFlushMs: 0 }),
  elapse,
}));

/** Message `seq` of room `room`, with id `${idPrefix}${seq}`. */
function roomMessage(room: string, idPrefix: string, seq: number) {
  return {
    id: `${idPrefix}${seq}`,
    conversation: `room:${room}`,
    seq,
    kind: 'room' as const,
    from: 'amy',
    to: room,
    text: 'hi',
    ts: 1000 + seq,
  };
}

describe('RedisRecentActivity', () => {
  it('gives each recent list an expiry, renewed by every message, so idle conversations leave Redis', async () => {
    const keys = freshKeys();
    const activity = new RedisRecentActivity(redis, keys, {
      recentLimit: 5,
      wordFlushMs: 50,
      recentTtlS: 3600,
    });
    const message = (seq: number) => roomMessage('ttl', 'm', seq);
    await activity.record(message(1), []);
    const key = keys.history('room:ttl');
    const first = await redis.ttl(key);
    expect(first).toBeGreaterThan(3500);
    expect(first).toBeLessThanOrEqual(3600);
    await redis.expire(key, 10);
    await activity.record(message(2), []);
    expect(await redis.ttl(key)).toBeGreaterThan(3500);
    const expiring = new RedisRecentActivity(redis, keys, { recentLimit: 5, wordFlushMs: 50, recentTtlS: 1 });
    await expiring.record(message(3), []);
    await elapse(2100);
    expect(await redis.exists(key)).toBe(0);
    expect(await expiring.recent('room:ttl', 5)).toEqual([]);
  });

  it('gathers recorded messages for its window, and pushes at once when 1000 are waiting', async () => {
    const keys = freshKeys();
    const activity = new RedisRecentActivity(redis, keys, { listFlushMs: 600_000 });
    const message = (seq: number) => roomMessage('window', 'w', seq);
    const pushed = Array.from({ length: 999 }, (_, i) => activity.record(message(i + 1), []));
    await new Promise((resolve) => setImmediate(resolve));
    expect(await redis.llen(keys.history('room:window'))).toBe(0);
    pushed.push(activity.record(message(1000), []));
    await Promise.all(pushed);
    expect((await activity.recent('room:window', 3)).map((m) => m.seq)).toEqual([1000, 999, 998]);
  });

  it('sends what its window still holds on flush (at shutdown)', async () => {
    const keys = freshKeys();
    const activity = new RedisRecentActivity(redis, keys, { listFlushMs: 600_000 });
    void activity.record(roomMessage('flush', 'f', 1), ['hello']);
    await activity.flush();
    expect((await activity.recent('room:flush', 5)).map((m) => m.id)).toEqual(['f1']);
    expect(await activity.top(1)).toEqual([{ word: 'hello', count: 1 }]);
  });
});

/** Every key under the prefix (hash-tagged ones too) with its value (strings and hashes), as text. */
async function storedText(prefix: string): Promise<string[]> {
  const text: string[] = [];
  const keys = [...(await keysMatching(redis, `${prefix}*`)), ...(await keysMatching(redis, `{${prefix}*`))];
  for (const key of keys) {
    const type = await redis.type(key);
    const value =
      type === 'string'
        ? await redis.get(key)
        : type === 'hash'
          ? JSON.stringify(await redis.hgetall(key))
          : `(a ${type})`;
    text.push(`${key} ${value ?? ''}`);
  }
  return text;
}

runResumeTokensContract('redis', async () => {
  const keys = freshKeys();
  return {
    tokens: new RedisResumeTokens(redis, keys),
    // The adapter stamps expiresAt with this process's clock; Redis expires the key on its own.
    now: () => Date.now(),
    elapse,
    storedText: () => storedText(keys.prefix),
  };
});

runLoginAttemptsContract('redis', async (policy) => ({
  attempts: new RedisLoginBackoff(redis, freshKeys(), policy),
  elapse,
}));

runServerRegistryContract('redis', async () => {
  const keys = freshKeys();
  return {
    registry: new RedisServerRegistry(redis, keys),
    directory: new RedisServerDirectory({ redis, keys, logger: silentLogger() }),
  };
});
