import { compareBytes } from '../../core/byte-order';
import { numbered, seqTaken } from '../messages';
import { decodeCursor, toPage } from '../paging';
import type { AppendResult, MessageStore, NewMessage, Page, StoredMessage } from '../types';
import type { StoreLimits } from '../validation';
import { checkKey, checkLimit, checkMessage, checkSeqFloor } from '../validation';

/**
 * Messages in memory, with the SQLite adapter's rules: ids unique across the
 * store (a repeated id is the first write), (conversation, seq) unique,
 * appendNext numbering max + 1 in the same step as the insert (no await in
 * between, so concurrent appends get distinct numbers without gaps), the
 * same input checks and the same cursors. Every answer is a copy.
 */
export class MemoryMessageStore implements MessageStore {
  private readonly byId = new Map<string, StoredMessage>();
  /** conversation + NUL + idempotency → the message stored for it. */
  private readonly byIdem = new Map<string, StoredMessage>();
  /** Per conversation, sorted by seq ascending. */
  private readonly conversations = new Map<string, StoredMessage[]>();

  constructor(private readonly limits: StoreLimits) {}

  async appendNext(message: NewMessage): Promise<AppendResult> {
    const m = checkMessage(numbered(message, 1), this.limits);
    const idem = message.idempotency ? `${m.conversation}\u0000${message.idempotency}` : '';
    const existing = (idem ? this.byIdem.get(idem) : undefined) ?? this.byId.get(m.id);
    if (existing) return { message: { ...existing }, created: false };
    const list = this.list(m.conversation);
    const stored = numbered(m, (list[list.length - 1]?.seq ?? 0) + 1);
    list.push(stored);
    this.byId.set(stored.id, stored);
    if (idem) this.byIdem.set(idem, stored);
    return { message: { ...stored }, created: true };
  }

  async append(message: StoredMessage): Promise<void> {
    const m = checkMessage(message, this.limits);
    if (this.byId.has(m.id)) return;
    const list = this.list(m.conversation);
    const at = lowerBound(list, m.seq);
    if (list[at]?.seq === m.seq) throw seqTaken(m);
    const stored = { ...m };
    list.splice(at, 0, stored);
    this.byId.set(stored.id, stored);
  }

  async page(conversation: string, opts: { limit: number; cursor?: string }): Promise<Page> {
    checkKey('conversation', conversation);
    const limit = checkLimit(opts.limit);
    const before = decodeCursor(opts.cursor);
    const list = this.conversations.get(conversation) ?? [];
    const end = before === null ? list.length : lowerBound(list, before);
    const rows = list.slice(Math.max(0, end - (limit + 1)), end).reverse();
    return toPage(rows.map(copy), limit);
  }

  async after(conversation: string, afterSeq: number, limit: number): Promise<StoredMessage[]> {
    checkKey('conversation', conversation);
    checkSeqFloor(afterSeq);
    checkLimit(limit);
    const list = this.conversations.get(conversation) ?? [];
    const start = lowerBound(list, afterSeq + 1);
    return list.slice(start, start + limit).map(copy);
  }

  async missedDirect(
    username: string,
    sinceTs: number,
    limit: number,
  ): Promise<Array<{ conversation: string; afterSeq: number }>> {
    checkKey('username', username);
    checkLimit(limit);
    const missed = new Map<string, { first: number; since: number }>();
    for (const m of this.byId.values()) {
      if (m.kind !== 'direct' || m.to !== username || !(m.ts > sinceTs)) continue;
      const seen = missed.get(m.conversation);
      if (!seen) missed.set(m.conversation, { first: m.seq, since: m.ts });
      else {
        seen.first = Math.min(seen.first, m.seq);
        seen.since = Math.min(seen.since, m.ts);
      }
    }
    // Oldest missed message first, as SQLite's ORDER BY MIN(ts); ties by conversation, to be stable.
    return [...missed]
      .sort(([a, x], [b, y]) => x.since - y.since || compareBytes(a, b))
      .slice(0, limit)
      .map(([conversation, { first }]) => ({ conversation, afterSeq: first - 1 }));
  }

  async latestSeq(conversation: string): Promise<number> {
    checkKey('conversation', conversation);
    const list = this.conversations.get(conversation) ?? [];
    return list[list.length - 1]?.seq ?? 0;
  }

  private list(conversation: string): StoredMessage[] {
    let list = this.conversations.get(conversation);
    if (!list) {
      list = [];
      this.conversations.set(conversation, list);
    }
    return list;
  }
}

/** Index of the first message with seq >= `seq` (list sorted by seq). */
function lowerBound(list: readonly StoredMessage[], seq: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid] as StoredMessage).seq < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function copy(message: StoredMessage): StoredMessage {
  return { ...message };
}
