import type { HotWords, RecentActivity, WordCount } from '../chat/ports';
import { compareBytes } from '../core/byte-order';
import { systemClock } from '../core/clock';
import type { Clock } from '../core/clock';
import { RECENT_LIMIT, WORD_FLUSH_MS } from '../core/recent-activity';
import type { StoredMessage } from '../store/types';

export interface MemoryRecentActivityOptions {
  /** Runs the word-count flush timer; a ManualClock makes the flush happen on `advance`. */
  clock?: Clock;
  recentLimit?: number;
  flushMs?: number;
}

/**
 * Recent history lists and hot-word counts in one process, shaped like
 * RedisRecentActivity: lists keep the newest `recentLimit` messages, newest
 * first; word counts gather and reach the leaderboard only when flushed
 * (by the timer, `flushMs` after the first unflushed word, or by flushWords()),
 * so `top` lags exactly as it does on Redis. Share one instance between the
 * nodes of an in-process cluster, as they would share one Redis.
 */
export class MemoryRecentActivity implements RecentActivity, HotWords {
  private readonly lists = new Map<string, StoredMessage[]>();
  private readonly counts = new Map<string, number>();
  private pendingWords = new Map<string, number>();
  private flushTimer: unknown = null;
  private readonly clock: Clock;
  private readonly recentLimit: number;
  private readonly flushMs: number;

  constructor(options: MemoryRecentActivityOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.recentLimit = options.recentLimit ?? RECENT_LIMIT;
    this.flushMs = options.flushMs ?? WORD_FLUSH_MS;
  }

  async record(message: StoredMessage, words: readonly string[]): Promise<void> {
    const list = this.lists.get(message.conversation) ?? [];
    list.unshift({ ...message });
    if (list.length > this.recentLimit) list.length = this.recentLimit;
    this.lists.set(message.conversation, list);
    for (const word of words) this.pendingWords.set(word, (this.pendingWords.get(word) ?? 0) + 1);
    if (this.pendingWords.size > 0 && this.flushTimer === null)
      this.flushTimer = this.clock.setTimeout(() => void this.flushWords(), this.flushMs);
  }

  /** What RedisRecentActivity.flush does; the lists here never wait, so only the word counts. */
  flush(): Promise<void> {
    return this.flushWords();
  }

  /** Adds the gathered word counts to the leaderboard. */
  async flushWords(): Promise<void> {
    if (this.flushTimer !== null) this.clock.clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const counts = this.pendingWords;
    this.pendingWords = new Map();
    for (const [word, count] of counts) this.counts.set(word, (this.counts.get(word) ?? 0) + count);
  }

  async recent(conversation: string, limit: number): Promise<StoredMessage[]> {
    const n = Math.min(limit, this.recentLimit);
    if (!(n > 0)) return [];
    return (this.lists.get(conversation) ?? []).slice(0, n).map((m) => ({ ...m }));
  }

  /** Highest count first; equal counts in reverse byte order of the word, as ZREVRANGE answers. */
  async top(limit: number): Promise<WordCount[]> {
    if (!(limit > 0)) return [];
    return [...this.counts]
      .map(([word, count]) => ({ word, count }))
      .sort((a, b) => b.count - a.count || compareBytes(b.word, a.word))
      .slice(0, limit);
  }

  async reset(): Promise<void> {
    this.counts.clear();
  }
}
