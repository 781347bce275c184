import type { Redis } from 'ioredis';
import type { HotWords, RecentActivity, WordCount } from '../chat/ports';
import type { RedisKeys } from '../core/names';
import type { StoredMessage } from '../store/types';

export const RECENT_LIMIT = 50;

/** How long word counts gather in memory before one ZINCRBY per distinct word goes out. */
export const WORD_FLUSH_MS = 250;

/**
 * Recent history lists and hot-word counts. Per message, one MULTI (list push
 * and trim: one round trip). Word counts are summed in memory and flushed
 * every WORD_FLUSH_MS as one ZINCRBY per distinct word, so a busy node sends
 * a few commands a second for the leaderboard instead of a dozen per message;
 * `popular` lags by at most that interval.
 */
export class RedisRecentActivity implements RecentActivity, HotWords {
  private pendingWords = new Map<string, number>();
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly recentLimit = RECENT_LIMIT,
    private readonly flushMs = WORD_FLUSH_MS,
  ) {}

  async record(message: StoredMessage, words: readonly string[]): Promise<void> {
    const key = this.keys.history(message.conversation);
    const results = await this.redis
      .multi()
      .lpush(key, JSON.stringify(message))
      .ltrim(key, 0, this.recentLimit - 1)
      .exec();
    const failed = results?.find(([err]) => err !== null);
    if (failed) throw failed[0];
    for (const word of words) this.pendingWords.set(word, (this.pendingWords.get(word) ?? 0) + 1);
    if (this.pendingWords.size > 0)
      this.flushTimer ??= setTimeout(() => void this.flushWords(), this.flushMs);
  }

  /** Sends the gathered word counts; on failure they are kept for the next try. */
  async flushWords(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pendingWords.size === 0) return;
    const counts = this.pendingWords;
    this.pendingWords = new Map();
    const tx = this.redis.multi();
    for (const [word, count] of counts) tx.zincrby(this.keys.popular(), count, word);
    try {
      const results = await tx.exec();
      const failed = results?.find(([err]) => err !== null);
      if (failed) throw failed[0];
    } catch {
      for (const [word, count] of counts)
        this.pendingWords.set(word, (this.pendingWords.get(word) ?? 0) + count);
      this.flushTimer ??= setTimeout(() => void this.flushWords(), this.flushMs * 4);
    }
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
