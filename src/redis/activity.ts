import type { Redis } from 'ioredis';
import type { HotWords, RecentActivity, Sequencer, WordCount } from '../chat/ports';
import type { RedisKeys } from '../core/names';
import type { StoredMessage } from '../store/types';

export const RECENT_LIMIT = 50;

/**
 * Recent history lists and hot-word counts. One MULTI per message: the list
 * push, its trim and every word count travel in a single round trip.
 */
export class RedisRecentActivity implements RecentActivity, HotWords {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly recentLimit = RECENT_LIMIT,
  ) {}

  async record(message: StoredMessage, words: readonly string[]): Promise<void> {
    const key = this.keys.history(message.conversation);
    const tx = this.redis
      .multi()
      .lpush(key, JSON.stringify(message))
      .ltrim(key, 0, this.recentLimit - 1);
    for (const word of words) tx.zincrby(this.keys.popular(), 1, word);
    const results = await tx.exec();
    const failed = results?.find(([err]) => err !== null);
    if (failed) throw failed[0];
  }

  async recent(conversation: string, limit: number): Promise<StoredMessage[]> {
    const raw = await this.redis.lrange(
      this.keys.history(conversation),
      0,
      Math.max(0, Math.min(limit, this.recentLimit) - 1),
    );
    return raw.map((json) => JSON.parse(json) as StoredMessage);
  }

  async top(limit: number): Promise<WordCount[]> {
    const flat = await this.redis.zrevrange(this.keys.popular(), 0, limit - 1, 'WITHSCORES');
    const words: WordCount[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2)
      words.push({ word: flat[i] as string, count: Number(flat[i + 1]) });
    return words;
  }

  async reset(): Promise<void> {
    await this.redis.del(this.keys.popular());
  }
}

/**
 * INCR per conversation. When Redis lost its counters (restart without
 * persistence), the first INCR returns 1 while the store already holds
 * higher numbers; the counter is then raised past the store's latest.
 */
export class RedisSequencer implements Sequencer {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly latestStored: (conversation: string) => Promise<number>,
  ) {}

  async next(conversation: string): Promise<number> {
    const key = this.keys.seq(conversation);
    const seq = await this.redis.incr(key);
    if (seq !== 1) return seq;
    const latest = await this.latestStored(conversation);
    if (latest === 0) return seq;
    // Raise the counter to at least latest+1 atomically; concurrent callers each get a distinct value.
    const raised = (await this.redis.eval(
      `local v = tonumber(redis.call('GET', KEYS[1]) or '0')
       local floor = tonumber(ARGV[1])
       if v <= floor then redis.call('SET', KEYS[1], floor + 1) return floor + 1 end
       return redis.call('INCR', KEYS[1])`,
      1,
      key,
      String(latest),
    )) as number;
    return raised;
  }
}
