import { createHash } from 'node:crypto';
import type { MessageStore } from '../store/types';
import { newMessageId } from './message-ids';
import type { ChatEvents, RecentActivity } from './ports';
import type { StoredMessage } from './types';

export interface TextFilter {
  clean(text: string): string;
}

export interface MessageDraft {
  kind: StoredMessage['kind'];
  conversation: string;
  from: string;
  to: string;
  text: string;
  /** Optional, from the client: a retried send with the same key is stored once. */
  idempotencyKey?: string;
}

export interface RecordResult {
  message: StoredMessage;
  /** False for a retried send whose first attempt was already stored. */
  created: boolean;
}

export interface RecorderDeps {
  store: MessageStore;
  activity: RecentActivity;
  filter: TextFilter;
  words: (text: string) => string[];
  events?: ChatEvents;
  now?: () => number;
}

/**
 * Turns a draft into a stored message: filtered once, numbered and stored in
 * one step by the store (so an acknowledgement means stored, and sequence
 * numbers have no gaps), then handed to the recent list and the hot words.
 */
export class MessageRecorder {
  private readonly now: () => number;

  constructor(private readonly deps: RecorderDeps) {
    this.now = deps.now ?? Date.now;
  }

  async record(draft: MessageDraft): Promise<RecordResult> {
    const { kind, conversation, from, to, idempotencyKey } = draft;
    const text = this.deps.filter.clean(draft.text);
    // Time-ordered ids (UUIDv7) land at the end of the store's id index; a retry is
    // recognised by its idempotency, the same on whichever node the retry arrives.
    const idempotency = idempotencyKey ? idempotentId(from, conversation, idempotencyKey) : '';
    // Named fields, not `{ idempotencyKey, ...fields }` and a spread: see numbered() in the store.
    const result = await this.deps.store.appendNext({
      id: newMessageId(),
      conversation,
      kind,
      from,
      to,
      text,
      ts: this.now(),
      idempotency,
    });
    if (result.created) {
      // Counting the filtered text keeps masked words off the leaderboard.
      const words = this.deps.words(text).filter((word) => !word.includes('*'));
      // Not awaited: the recent list is a cache of the store that readers complete
      // from the store (recent-history.ts), so nothing a client relies on waits for
      // it; the adapter reports a failed push itself.
      this.deps.activity.record(result.message, words).catch(() => undefined);
      this.deps.events?.({ type: 'messageStored', message: result.message });
    }
    return result;
  }
}

/**
 * The same (sender, conversation, key) always gives the same idempotency, so
 * the store recognises a retry even when the first attempt's node died after
 * storing and before answering.
 */
export function idempotentId(from: string, conversationKey: string, key: string): string {
  const hex = createHash('sha256').update(`${from}\u0000${conversationKey}\u0000${key}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
