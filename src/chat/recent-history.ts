import type { MessageStore } from '../store/types';
import type { RecentActivity } from './ports';
import type { StoredMessage } from './types';

/**
 * The newest messages of a conversation, read from its Redis recent list and
 * completed from the store. The list is pushed behind the store (nobody waits
 * for it, RECENT_FLUSH_MS) and a failed push leaves it short, so it may lack
 * the newest messages or have gaps: the run below its head that has no gap is
 * kept, what the store has after that head is put in front, and the store's
 * own newest page answers when the list is empty or too far behind.
 */
export class RecentHistory {
  constructor(private readonly deps: { activity: RecentActivity; messages: MessageStore }) {}

  /** Newest first, at most `limit`, no gap in seq, ending at the newest stored message. */
  async newest(conversation: string, limit: number): Promise<StoredMessage[]> {
    if (!(limit > 0)) return [];
    const listed = contiguousRun(await this.deps.activity.recent(conversation, limit));
    const head = listed[0];
    // One indexed read that finds nothing in the usual case: the list is rarely behind.
    const newer = head ? await this.deps.messages.after(conversation, head.seq, limit) : [];
    if (!head || newer.length >= limit)
      return (await this.deps.messages.page(conversation, { limit })).messages;
    return [...newer.reverse(), ...listed].slice(0, limit);
  }
}

/**
 * Newest-first messages with no gap in seq. Two senders recording at once may
 * land in the recent list slightly out of order; sorting and stopping at the
 * first gap keeps the cursor exact, and the store serves the rest.
 */
function contiguousRun(messages: StoredMessage[]): StoredMessage[] {
  const sorted = [...messages].sort((a, b) => b.seq - a.seq);
  const run: StoredMessage[] = [];
  for (const message of sorted) {
    const previous = run[run.length - 1];
    if (previous && message.seq !== previous.seq - 1) break;
    run.push(message);
  }
  return run;
}
