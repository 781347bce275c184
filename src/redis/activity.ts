import type { Redis } from 'ioredis';
import type { HotWords, RecentActivity, WordCount } from '../chat/ports';
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
