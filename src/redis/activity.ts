import { createHash } from 'node:crypto';
import calculateSlot from 'cluster-key-slot';
import type { HotWords, RecentActivity, WordCount } from '../chat/ports';
import type { Logger } from '../core/logger';
import type { RedisKeys } from '../core/names';
import { RECENT_FLUSH_MS, RECENT_LIMIT, WORD_FLUSH_MS } from '../core/recent-activity';
import type { StoredMessage } from '../store/types';
import type { RedisClient } from './connect';

// One call per turn for every conversation that got messages: push the new
// entries (oldest first, so the newest ends up at the head), trim to the limit.
// ARGV: limit, then per key the entry count followed by the entries.
const PUSH_RECENT = `local limit = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local i = 3
for k = 1, #KEYS do
  local n = tonumber(ARGV[i])
  redis.call('LPUSH', KEYS[k], unpack(ARGV, i + 1, i + n))
  redis.call('LTRIM', KEYS[k], 0, limit - 1)
  if ttl > 0 then redis.call('EXPIRE', KEYS[k], ttl) end
  i = i + n + 1
end
return #KEYS`;

/**
 * A conversation's recent list expires this long after its last message: a
 * cache of the store (history reads the store when the list is gone), so the
 * lists of conversations nobody writes to any more do not stay in Redis forever.
 */
export const RECENT_TTL_S = 7 * 24 * 3600;

interface PendingList {
  entries: string[];
  waiters: Array<{ resolve: () => void; reject: (err: unknown) => void }>;
}

export interface RecentActivityOptions {
  /** Messages kept per list (default RECENT_LIMIT). */
  recentLimit?: number;
  /** How long word counts gather before they reach the leaderboard (default WORD_FLUSH_MS). */
  wordFlushMs?: number;
  /** A list expires this long after its last message (default RECENT_TTL_S). */
  recentTtlS?: number;
  /**
   * How long recorded messages gather before they go to their lists in one
   * call (default RECENT_FLUSH_MS); 0 sends them at the end of the turn.
   */
  listFlushMs?: number;
  /** Where a failed push is reported (the lists then lack those messages; readers tolerate it). */
  logger?: Logger;
}

/** A window's pending entries past which its push goes out at once (bounds one call's size). */
const MAX_PENDING_ENTRIES = 1000;

/**
 * Recent history lists and hot-word counts. The messages recorded within one
 * window (`listFlushMs`) go out together as one script call (one command, one round
 * trip) that pushes every conversation's new messages and trims its list. On
 * a Redis Cluster a script may only touch keys of one slot, so the turn's
 * lists go out as one call per slot instead (auto-pipelining still sends the
 * calls for one node in one write). Word counts
 * are summed in memory and flushed every WORD_FLUSH_MS as one ZINCRBY per
 * distinct word, so a busy node sends a few commands a second for the
 * leaderboard instead of a dozen per message; `popular` lags by at most that.
 */
export class RedisRecentActivity implements RecentActivity, HotWords {
  private pendingWords = new Map<string, number>();
  private flushTimer: NodeJS.Timeout | undefined;
  private pendingLists = new Map<string, PendingList>();
  private pendingEntries = 0;
  private listTimer: NodeJS.Timeout | undefined;
  private listImmediate: NodeJS.Immediate | undefined;
  private readonly pushRecentSha = createHash('sha1').update(PUSH_RECENT).digest('hex');
  private readonly recentLimit: number;
  private readonly flushMs: number;
  private readonly recentTtlS: number;
  private readonly listFlushMs: number;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly options: RecentActivityOptions = {},
  ) {
    this.recentLimit = options.recentLimit ?? RECENT_LIMIT;
    this.flushMs = options.wordFlushMs ?? WORD_FLUSH_MS;
    this.recentTtlS = options.recentTtlS ?? RECENT_TTL_S;
    this.listFlushMs = options.listFlushMs ?? RECENT_FLUSH_MS;
  }

  record(message: StoredMessage, words: readonly string[]): Promise<void> {
    for (const word of words) this.pendingWords.set(word, (this.pendingWords.get(word) ?? 0) + 1);
    if (this.pendingWords.size > 0)
      this.flushTimer ??= setTimeout(() => void this.flushWords(), this.flushMs);
    const key = this.keys.history(message.conversation);
    let list = this.pendingLists.get(key);
    if (!list) this.pendingLists.set(key, (list = { entries: [], waiters: [] }));
    list.entries.push(JSON.stringify(message));
    this.pendingEntries += 1;
    this.scheduleLists();
    const waiters = list.waiters;
    return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
  }

  private scheduleLists(): void {
    if (this.listImmediate) return;
    if (this.pendingEntries >= MAX_PENDING_ENTRIES || this.listFlushMs <= 0) {
      clearTimeout(this.listTimer);
      this.listTimer = undefined;
      this.listImmediate = setImmediate(() => this.flushLists());
    } else this.listTimer ??= setTimeout(() => this.flushLists(), this.listFlushMs);
  }

  /** One script call for the window, whatever the number of conversations (on a cluster: one per slot). */
  private flushLists(): void {
    clearTimeout(this.listTimer);
    this.listTimer = undefined;
    this.listImmediate = undefined;
    const lists = this.pendingLists;
    this.pendingLists = new Map();
    this.pendingEntries = 0;
    if (!this.redis.isCluster) return this.pushLists(lists);
    const bySlot = new Map<number, Map<string, PendingList>>();
    for (const [key, list] of lists) {
      const slot = calculateSlot(key);
      let group = bySlot.get(slot);
      if (!group) bySlot.set(slot, (group = new Map()));
      group.set(key, list);
    }
    for (const group of bySlot.values()) this.pushLists(group);
  }

  /** One PUSH_RECENT call for `lists`, settling their waiters with its outcome. */
  private pushLists(lists: Map<string, PendingList>): void {
    const keys = [...lists.keys()];
    const args: Array<string | number> = [this.recentLimit, this.recentTtlS];
    for (const list of lists.values()) args.push(list.entries.length, ...list.entries);
    const settle = (err: unknown): void => {
      if (err)
        this.options.logger?.warn(
          { event: 'recent_push_failed', err, conversations: keys.length },
          'recent history lists not updated; history reads the store for what they lack',
        );
      for (const list of lists.values())
        for (const waiter of list.waiters) {
          if (err) waiter.reject(err);
          else waiter.resolve();
        }
    };
    this.redis.evalsha(this.pushRecentSha, keys.length, ...keys, ...args).then(
      () => settle(null),
      (err: unknown) => {
        if (!(err instanceof Error && err.message.startsWith('NOSCRIPT'))) return settle(err);
        // First use on this server (or after a restart or a failover): send the script itself.
        this.redis.eval(PUSH_RECENT, keys.length, ...keys, ...args).then(() => settle(null), settle);
      },
    );
  }

  /** Sends what is still gathered in memory, recent-list entries and word counts (at shutdown). */
  async flush(): Promise<void> {
    const pushed = [...this.pendingLists.values()].map(
      (list) => new Promise<void>((resolve) => list.waiters.push({ resolve, reject: () => resolve() })),
    );
    if (this.pendingEntries > 0) this.flushLists();
    await Promise.all([...pushed, this.flushWords()]);
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
    const n = Math.min(limit, this.recentLimit);
    // LRANGE 0 -1 would be the whole list, and LRANGE 0 0 one message.
    if (!(n > 0)) return [];
    const raw = await this.redis.lrange(this.keys.history(conversation), 0, n - 1);
    return raw.map((json) => JSON.parse(json) as StoredMessage);
  }

  async top(limit: number): Promise<WordCount[]> {
    // ZREVRANGE 0 -1 would be the whole leaderboard.
    if (!(limit > 0)) return [];
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
