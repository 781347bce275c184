import { keyOf } from './records';
import type { PlannedSend, SendRecord } from './records';

/** A stored message as the checker reads it. */
export interface StoredMessageView {
  id: string;
  conversation: string;
  seq: number;
  from: string;
  text: string;
}

/** The checker's direct view of the store: every message of a conversation, oldest first. */
export interface StoreView {
  messages(conversation: string): Promise<StoredMessageView[]>;
}

export interface StoreFacts {
  counts: { lostAcks: number; storedTwice: number; gaps: number; ackMismatches: number };
  /** The id a send was stored under (the first one, if stored twice). */
  idOf(plan: PlannedSend): string | undefined;
  has(conversation: string, id: string): boolean;
  seqOf(conversation: string, id: string | undefined): number | undefined;
}

/**
 * What the store holds for every conversation the workload wrote to: each
 * acknowledged message must be there under the acknowledged id and seq, each
 * key at most once, and each conversation numbered 1..n without holes.
 */
export async function checkStore(
  sends: readonly SendRecord[],
  store: StoreView,
  problem: (line: string) => void,
): Promise<StoreFacts> {
  const counts = { lostAcks: 0, storedTwice: 0, gaps: 0, ackMismatches: 0 };
  const byConversation = new Map<string, Map<string, StoredMessageView>>();
  const idsByKey = new Map<string, string[]>();
  for (const conversation of new Set(sends.map((s) => s.plan.conversation))) {
    const messages = await store.messages(conversation);
    const byId = new Map(messages.map((m) => [m.id, m]));
    byConversation.set(conversation, byId);
    const seqs = new Set(messages.map((m) => m.seq));
    const highest = Math.max(0, ...seqs);
    for (let seq = 1; seq <= highest; seq++) {
      if (seqs.has(seq)) continue;
      counts.gaps++;
      problem(`${conversation}: seq ${seq} is not stored (highest ${highest})`);
    }
    for (const m of messages) {
      const key = keyOf(m);
      if (key === undefined) continue;
      const tag = `${m.from}\n${conversation}\n${key}`;
      let ids = idsByKey.get(tag);
      if (!ids) idsByKey.set(tag, (ids = []));
      ids.push(m.id);
    }
  }
  const idsOf = (plan: PlannedSend): string[] =>
    idsByKey.get(`${plan.from}\n${plan.conversation}\n${plan.key}`) ?? [];
  for (const s of sends) {
    const ids = idsOf(s.plan);
    if (ids.length > 1) {
      counts.storedTwice += ids.length - 1;
      problem(`key ${s.plan.key} is stored ${ids.length} times: ${ids.join(', ')}`);
    }
    if (!s.ack) continue;
    const stored = byConversation.get(s.plan.conversation)?.get(s.ack.id);
    if (!stored) {
      counts.lostAcks++;
      problem(
        `key ${s.plan.key} was acknowledged (id ${s.ack.id}, seq ${s.ack.seq}) but is not in the store`,
      );
    } else if (stored.seq !== s.ack.seq || s.ack.conversation !== s.plan.conversation) {
      counts.ackMismatches++;
      problem(
        `key ${s.plan.key} acknowledged as ${s.ack.conversation} seq ${s.ack.seq}, stored as seq ${stored.seq}`,
      );
    }
  }
  return {
    counts,
    idOf: (plan) => idsOf(plan)[0],
    has: (conversation, id) => byConversation.get(conversation)?.has(id) ?? false,
    seqOf: (conversation, id) =>
      id === undefined ? undefined : byConversation.get(conversation)?.get(id)?.seq,
  };
}
