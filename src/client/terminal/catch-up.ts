import type { ChatMessage, SyncPosition } from '../../../gen/chat/v1/client';
import type { ChatClient } from '../chat-client';
import type { SeenMessages } from './seen';
import type { SessionListener } from './session';

/** How far back the first message of a conversation new to us looks for undelivered ones. */
const LOOKBACK = 50;
/** Sync pages per catch-up (each up to SYNC_PAGE messages per conversation): bounded work. */
const SYNC_ROUNDS = 10;
const SYNC_PAGE = 100;

/**
 * Fetching what was stored but not pushed to us, and showing each message
 * not shown before as 'missed', oldest first.
 */
export class CatchUp {
  constructor(
    private readonly seen: SeenMessages,
    private readonly listener: Pick<SessionListener, 'message'>,
  ) {}

  /** Pages through sync from `positions`. */
  async syncFrom(
    client: ChatClient,
    positions: readonly SyncPosition[],
  ): Promise<{ missed: number; incomplete: string[] }> {
    let missed = 0;
    const incomplete = new Set<string>();
    let pending = [...positions];
    for (let round = 0; round < SYNC_ROUNDS && pending.length > 0; round++) {
      const result = await client.sync(pending, SYNC_PAGE);
      const next: SyncPosition[] = [];
      for (const c of result.conversations) {
        for (const m of c.messages) {
          if (!this.seen.accept(m)) continue;
          missed++;
          this.listener.message(m, 'missed');
        }
        if (!c.complete) incomplete.add(c.conversation);
        const last = c.messages[c.messages.length - 1];
        if (c.hasMore && last) next.push({ conversation: c.conversation, afterSeq: last.seq });
      }
      pending = next;
    }
    return { missed, incomplete: [...incomplete] };
  }

  /** The messages just before `m` (a conversation new to us) that were sent since `sinceTs`. */
  async fillBefore(client: ChatClient, m: ChatMessage, sinceTs: number): Promise<void> {
    const afterSeq = Math.max(0, m.seq - 1 - LOOKBACK);
    const result = await client.sync([{ conversation: m.conversation, afterSeq }], LOOKBACK);
    for (const c of result.conversations) {
      for (const earlier of c.messages) {
        if (earlier.seq >= m.seq || earlier.ts < sinceTs) continue;
        if (this.seen.accept(earlier)) this.listener.message(earlier, 'missed');
      }
    }
  }
}
