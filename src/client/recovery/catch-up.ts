import type { ChatMessage, SyncPosition } from '../../../gen/chat/v1/client';
import type { ChatClient } from '../chat-client';
import { ChatClientError } from '../client-error';
import type { SeenLog } from './seen-log';

/** Sync pages per catch-up (each up to `page` messages per conversation): bounded work. */
const SYNC_ROUNDS = 20;
/** Positions per Sync request (the node accepts up to 100). */
const POSITIONS_PER_SYNC = 50;

export interface CatchUpResult {
  /** Messages shown that had not been seen before. */
  missed: number;
  /** Conversations whose history could not fill the whole range (Sync said complete: false). */
  incomplete: string[];
  /** Conversations the node refused to sync (e.g. a room we are no longer a member of). */
  refused: string[];
}

/** One position to catch up from; `sinceTs`: history older than this is not ours to show. */
export interface CatchUpPosition extends SyncPosition {
  sinceTs?: number;
}

/**
 * Fetching what was stored but not pushed to us: pages through Sync from each
 * position and shows every message not seen before, oldest first. When a
 * conversation is done, everything up to the last message returned is settled
 * in the seen log, so a hole the store cannot fill is not asked for again.
 */
export class CatchUp {
  constructor(
    private readonly seen: SeenLog,
    private readonly show: (m: ChatMessage) => void,
    private readonly page = 200,
  ) {}

  async syncFrom(client: ChatClient, positions: readonly CatchUpPosition[]): Promise<CatchUpResult> {
    const result: CatchUpResult = { missed: 0, incomplete: [], refused: [] };
    const merged = mergePositions(positions);
    for (let i = 0; i < merged.length; i += POSITIONS_PER_SYNC) {
      await this.syncBatch(client, merged.slice(i, i + POSITIONS_PER_SYNC), result);
    }
    return result;
  }

  private async syncBatch(
    client: ChatClient,
    batch: CatchUpPosition[],
    result: CatchUpResult,
  ): Promise<void> {
    const since = new Map(batch.map((p) => [p.conversation, p.sinceTs ?? 0]));
    let pending: SyncPosition[] = batch.map(({ conversation, afterSeq }) => ({ conversation, afterSeq }));
    for (let round = 0; round < SYNC_ROUNDS && pending.length > 0; round++) {
      let reply;
      try {
        reply = await client.sync(pending, this.page);
      } catch (error) {
        // One refused conversation fails the whole request: ask for each alone to find it.
        if (!(error instanceof ChatClientError) || error.code !== 403 || pending.length === 1) {
          if (error instanceof ChatClientError && error.code === 403) {
            result.refused.push(...pending.map((p) => p.conversation));
            return;
          }
          throw error;
        }
        for (const p of pending)
          await this.syncBatch(client, [{ ...p, sinceTs: since.get(p.conversation) }], result);
        return;
      }
      const next: SyncPosition[] = [];
      for (const c of reply.conversations) {
        const sinceTs = since.get(c.conversation) ?? 0;
        for (const m of c.messages) {
          if (m.ts < sinceTs) {
            this.seen.accept(m);
            continue;
          }
          if (!this.seen.accept(m)) continue;
          result.missed++;
          this.show(m);
        }
        if (!c.complete) result.incomplete.push(c.conversation);
        const last = c.messages[c.messages.length - 1];
        if (c.hasMore && last) {
          next.push({ conversation: c.conversation, afterSeq: last.seq });
        } else if (last) {
          // Done up to what the store held when it answered: a seq below it that is still unseen
          // is a hole the store cannot fill. Later seqs may still be on their way.
          this.seen.settle(c.conversation, last.seq);
        }
      }
      pending = next;
    }
  }
}

/** One position per conversation, from the lowest seq asked for. */
function mergePositions(positions: readonly CatchUpPosition[]): CatchUpPosition[] {
  const byConversation = new Map<string, CatchUpPosition>();
  for (const p of positions) {
    const known = byConversation.get(p.conversation);
    if (!known) {
      byConversation.set(p.conversation, { ...p });
      continue;
    }
    known.afterSeq = Math.min(known.afterSeq, p.afterSeq);
    known.sinceTs = Math.min(known.sinceTs ?? 0, p.sinceTs ?? 0);
  }
  return [...byConversation.values()];
}
