import type { SyncPosition } from '../../../gen/chat/v1/client';

/** The fields of a message or an acknowledgement that identify it. */
export interface MessageRef {
  id: string;
  conversation: string;
  seq: number;
}

/** Where a conversation's numbering has a hole: sync after `afterSeq`. `fresh`: a conversation new to us. */
export interface Gap {
  conversation: string;
  afterSeq: number;
  fresh: boolean;
}

interface Position {
  /** Every seq up to here was seen (or is history we do not need). */
  mark: number;
  /** Seqs above `mark` seen already: a hole sits below the lowest one. */
  above: Set<number>;
}

interface Waiter {
  conversation: string;
  upTo: number;
  resolve: (filled: boolean) => void;
  timer: NodeJS.Timeout;
}

/**
 * What a client has seen, per conversation: the seq up to which it has seen
 * everything (its `mark`, where a sync starts) and the seqs it saw above it,
 * so a message is shown once whether it comes as a push, through sync or as
 * the acknowledgement of our own send. Message ids are remembered too (the
 * last `capacity`), so a message is never shown twice even if a server
 * misnumbers it.
 */
export class SeenLog {
  private readonly ids = new Set<string>();
  private readonly order: string[] = [];
  private readonly conversations = new Map<string, Position>();
  private readonly waiters = new Set<Waiter>();

  constructor(private readonly capacity = 5000) {}

  /** Records `m`; true when it was not seen before (so it should be shown). */
  accept(m: MessageRef): boolean {
    const fresh = this.note(m.conversation, m.seq);
    if (this.ids.has(m.id)) return false;
    this.remember(m.id);
    return fresh;
  }

  /** The hole `m` reveals, if any: seqs between what we saw and `m.seq` are missing. Call before accept(). */
  gapBefore(m: MessageRef): Gap | undefined {
    const p = this.conversations.get(m.conversation);
    if (!p) return m.seq > 1 ? { conversation: m.conversation, afterSeq: 0, fresh: true } : undefined;
    if (m.seq <= p.mark + 1 || this.hasSeen(m.conversation, m.seq)) return undefined;
    return { conversation: m.conversation, afterSeq: p.mark, fresh: false };
  }

  /** True when some seq below the highest one seen in `conversation` was not seen. */
  hasHole(conversation: string): boolean {
    return (this.conversations.get(conversation)?.above.size ?? 0) > 0;
  }

  hasSeen(conversation: string, seq: number): boolean {
    const p = this.conversations.get(conversation);
    return p !== undefined && (seq <= p.mark || p.above.has(seq));
  }

  known(conversation: string): boolean {
    return this.conversations.has(conversation);
  }

  /** Seq up to which everything in `conversation` was seen (0: nothing, or not known). */
  markOf(conversation: string): number {
    return this.conversations.get(conversation)?.mark ?? 0;
  }

  /** Highest seq seen in `conversation` (0: none). */
  seqOf(conversation: string): number {
    const p = this.conversations.get(conversation);
    if (!p) return 0;
    return Math.max(p.mark, ...p.above);
  }

  /**
   * Everything up to `seq` is accounted for: seen, history from before we
   * could have been sent it, or a hole the store says it cannot fill.
   */
  settle(conversation: string, seq: number): void {
    const p = this.position(conversation);
    if (seq <= p.mark) return;
    p.mark = seq;
    for (const s of p.above) if (s <= seq) p.above.delete(s);
    this.advance(conversation, p);
  }

  /** Stops tracking a conversation (e.g. a room we left: what it says meanwhile is not ours). */
  forget(conversation: string): void {
    this.conversations.delete(conversation);
  }

  /** Where a catch-up starts: one position per conversation known. */
  positions(): SyncPosition[] {
    return [...this.conversations].map(([conversation, p]) => ({ conversation, afterSeq: p.mark }));
  }

  /**
   * Resolves true once every seq below `upTo` in `conversation` has been seen,
   * false after `timeoutMs` (e.g. the acknowledgement of our own message
   * that a push overtook, or a push still on its way).
   */
  waitFilled(conversation: string, upTo: number, timeoutMs: number): Promise<boolean> {
    if (this.filled(conversation, upTo)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        conversation,
        upTo,
        resolve,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          resolve(false);
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  private filled(conversation: string, upTo: number): boolean {
    return (this.conversations.get(conversation)?.mark ?? 0) >= upTo - 1;
  }

  private note(conversation: string, seq: number): boolean {
    if (!conversation || seq <= 0) return true;
    const p = this.position(conversation);
    if (seq <= p.mark || p.above.has(seq)) return false;
    p.above.add(seq);
    this.advance(conversation, p);
    return true;
  }

  private advance(conversation: string, p: Position): void {
    while (p.above.delete(p.mark + 1)) p.mark++;
    for (const w of this.waiters) {
      if (w.conversation !== conversation || !this.filled(conversation, w.upTo)) continue;
      clearTimeout(w.timer);
      this.waiters.delete(w);
      w.resolve(true);
    }
  }

  private position(conversation: string): Position {
    let p = this.conversations.get(conversation);
    if (!p) this.conversations.set(conversation, (p = { mark: 0, above: new Set() }));
    return p;
  }

  private remember(id: string): void {
    this.ids.add(id);
    this.order.push(id);
    if (this.order.length > this.capacity) {
      const oldest = this.order.shift();
      if (oldest !== undefined) this.ids.delete(oldest);
    }
  }
}
