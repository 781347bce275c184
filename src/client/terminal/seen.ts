import type { SyncPosition } from '../../../gen/chat/v1/client';

/** The fields of a message or an acknowledgement that identify it. */
export interface MessageRef {
  id: string;
  conversation: string;
  seq: number;
}

/**
 * What this client has already shown: message ids (so a message that arrives
 * both as a push and through sync, or as an echo of our own send after its
 * acknowledgement, is printed once) and the highest sequence number seen per
 * conversation (the positions a reconnect syncs from).
 */
export class SeenMessages {
  private readonly ids = new Set<string>();
  private readonly order: string[] = [];
  private readonly highest = new Map<string, number>();

  /** `capacity`: ids remembered; older ones are forgotten first. */
  constructor(private readonly capacity = 5000) {}

  /** Records `m`; true when it was not seen before (so it should be shown). */
  accept(m: MessageRef): boolean {
    this.noteSeq(m.conversation, m.seq);
    if (this.ids.has(m.id)) return false;
    this.ids.add(m.id);
    this.order.push(m.id);
    if (this.order.length > this.capacity) {
      const oldest = this.order.shift();
      if (oldest !== undefined) this.ids.delete(oldest);
    }
    return true;
  }

  /** Highest sequence number seen in `conversation` (0: none). */
  seqOf(conversation: string): number {
    return this.highest.get(conversation) ?? 0;
  }

  /** Stops tracking a conversation (e.g. a room we left: what it says meanwhile is not ours to catch up on). */
  forget(conversation: string): void {
    this.highest.delete(conversation);
  }

  /** Where a catch-up should start, one position per conversation seen. */
  positions(): SyncPosition[] {
    return [...this.highest].map(([conversation, afterSeq]) => ({ conversation, afterSeq }));
  }

  private noteSeq(conversation: string, seq: number): void {
    if (!conversation || seq <= 0) return;
    if (seq > this.seqOf(conversation)) this.highest.set(conversation, seq);
  }
}
