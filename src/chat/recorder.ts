import { randomUUID } from 'node:crypto';
import type { MessageStore } from '../store/types';
import type { RecentActivity, Sequencer } from './ports';
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
}

export interface RecorderDeps {
  store: MessageStore;
  sequencer: Sequencer;
  activity: RecentActivity;
  filter: TextFilter;
  words: (text: string) => string[];
  now?: () => number;
}

/**
 * Turns a draft into a stored message: filtered once, numbered, stamped, in
 * the store (so an acknowledgement means stored), then in the recent list and
 * the hot-word counts.
 */
export class MessageRecorder {
  private readonly now: () => number;

  constructor(private readonly deps: RecorderDeps) {
    this.now = deps.now ?? Date.now;
  }

  async record(draft: MessageDraft): Promise<StoredMessage> {
    const text = this.deps.filter.clean(draft.text);
    const seq = await this.deps.sequencer.next(draft.conversation);
    const message: StoredMessage = { ...draft, text, id: randomUUID(), seq, ts: this.now() };
    await this.deps.store.append(message);
    // Counting the filtered text keeps masked words off the leaderboard.
    const words = this.deps.words(text).filter((word) => !word.includes('*'));
    await this.deps.activity.record(message, words);
    return message;
  }
}
