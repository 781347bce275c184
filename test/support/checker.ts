import type { ChatMessage, SendAck } from '../../gen/chat/v1/client';

/**
 * A Jepsen-style set checker for chat delivery. The workload tells it every
 * send attempt (by idempotency key), every acknowledgement, every message a
 * recipient saw pushed live and everything the final `sync` returned; `check()`
 * then says whether an acknowledged message went missing, was stored twice,
 * left a hole in a conversation's numbering, or appeared without being sent.
 *
 * Message texts carry the idempotency key (`textFor`), so any message seen
 * anywhere maps back to the send that produced it.
 */

export type SendKind = 'direct' | 'room';

export interface PlannedSend {
  /** Idempotency key, unique in the run. */
  key: string;
  kind: SendKind;
  from: string;
  /** Recipient user (direct) or room name. */
  to: string;
  conversation: string;
  text: string;
}

/** How a send ended; 'stored' is a 404 USER_OFFLINE answer: not acknowledged, but stored by contract. */
export type SendOutcome = 'acknowledged' | 'stored' | 'given-up';

export interface CheckReport {
  scenario: string;
  /** Sends the workload started. */
  sent: number;
  /** Sends with a SendAck. */
  acknowledged: number;
  /** Direct sends answered USER_OFFLINE (stored; the recipient syncs them). */
  storedOffline: number;
  /** Sends abandoned at the deadline (allowed: not acknowledged). */
  unacknowledged: number;
  /** Send attempts beyond the first (retries with the same key). */
  retries: number;
  /** Distinct (recipient, message) pairs first seen as a live push (the sender's own copies aside). */
  deliveredLive: number;
  /** Distinct (recipient, message) pairs that only the final sync brought (the sender's own aside). */
  deliveredAfterSync: number;
  /** (recipient, acknowledged or stored message) pairs in no final view. */
  missing: number;
  /** Live pushes of a message a recipient had already been pushed (at-least-once). */
  duplicatesRaw: number;
  /** After de-dup by id: one key stored under two ids, or one id at two seqs. */
  duplicates: number;
  /** Sequence numbers missing from 1..n in a conversation, plus incomplete syncs from 0. */
  gaps: number;
  /** Messages seen that the workload never sent. */
  phantoms: number;
  /** Acknowledgements whose id/seq differ from what is stored. */
  ackMismatches: number;
  /** Fault to the first room message acknowledged through the new leader, in ms. */
  failoverMs?: number;
  /** One line per problem, capped, for the assertion message. */
  problems: string[];
}

interface SendState {
  plan: PlannedSend;
  attempts: number;
  outcome: SendOutcome | undefined;
  acks: SendAck[];
  /** Local time the first acknowledgement arrived. */
  ackedAt: number | undefined;
  /** Local time of the attempt that got acknowledged. */
  ackAttemptAt: number | undefined;
}

const KEY_MARK = 'msg ';
const MAX_PROBLEMS = 25;

/** The text a workload sends for `key`; the checker reads the key back from any message. */
export function textFor(key: string): string {
  return `${KEY_MARK}${key}`;
}

export function keyOf(message: { text: string }): string | undefined {
  return message.text.startsWith(KEY_MARK) ? message.text.slice(KEY_MARK.length) : undefined;
}

export class DeliveryChecker {
  private readonly sends = new Map<string, SendState>();
  /** recipient → message id → how many live pushes. */
  private readonly live = new Map<string, Map<string, number>>();
  /** recipient → message id → message (live ∪ sync). */
  private readonly views = new Map<string, Map<string, ChatMessage>>();
  /** recipient → ids that came through sync only. */
  private readonly syncOnly = new Map<string, Set<string>>();
  /** conversation → id → seqs seen (from any recipient, live or sync). */
  private readonly stored = new Map<string, Map<string, Set<number>>>();
  private readonly incompleteSyncs: string[] = [];
  private readonly members = new Map<string, string[]>();

  /** Declares who should see a room's messages (every member). */
  room(conversation: string, memberNames: string[]): void {
    this.members.set(conversation, [...memberNames]);
  }

  attempt(plan: PlannedSend): void {
    const state = this.sends.get(plan.key);
    if (state) {
      state.attempts++;
      return;
    }
    this.sends.set(plan.key, {
      plan,
      attempts: 1,
      outcome: undefined,
      acks: [],
      ackedAt: undefined,
      ackAttemptAt: undefined,
    });
  }

  acknowledged(key: string, ack: SendAck, attemptAt: number, at = Date.now()): void {
    const state = this.require(key);
    state.acks.push(ack);
    if (state.outcome !== 'acknowledged') {
      state.outcome = 'acknowledged';
      state.ackedAt = at;
      state.ackAttemptAt = attemptAt;
    }
  }

  /** A direct send answered USER_OFFLINE: stored, so it must turn up in the recipient's sync. */
  storedOffline(key: string): void {
    const state = this.require(key);
    state.outcome ??= 'stored';
  }

  gaveUp(key: string): void {
    const state = this.require(key);
    state.outcome ??= 'given-up';
  }

  /** A live push seen by `recipient`. */
  delivered(recipient: string, message: ChatMessage): void {
    const counts = mapOf(this.live, recipient);
    counts.set(message.id, (counts.get(message.id) ?? 0) + 1);
    this.see(recipient, message, false);
  }

  /** A message returned by the final sync of `recipient`. */
  synced(recipient: string, message: ChatMessage): void {
    this.see(recipient, message, true);
  }

  /** A sync from seq 0 that did not start at seq 1. */
  incompleteSync(recipient: string, conversation: string): void {
    this.incompleteSyncs.push(`${recipient}:${conversation}`);
  }

  /** Messages only the final sync brought, by recipient: for diagnosing live delivery. */
  syncOnlyMessages(): Array<{ recipient: string; message: ChatMessage }> {
    const out: Array<{ recipient: string; message: ChatMessage }> = [];
    for (const [recipient, ids] of this.syncOnly) {
      const view = this.views.get(recipient);
      for (const id of ids) {
        const message = view?.get(id);
        if (message) out.push({ recipient, message });
      }
    }
    return out;
  }

  /** Sends that ended with `outcome` so far. */
  outcomeCount(outcome: SendOutcome): number {
    let n = 0;
    for (const s of this.sends.values()) if (s.outcome === outcome) n++;
    return n;
  }

  /** Acknowledged sends so far (of `kind`, with their acknowledgement after `since`). */
  acknowledgedCount(kind?: SendKind, since = 0): number {
    let n = 0;
    for (const s of this.sends.values()) {
      if (s.ackedAt === undefined || s.ackedAt < since) continue;
      if (kind === undefined || s.plan.kind === kind) n++;
    }
    return n;
  }

  /** The longest time without a room acknowledgement between `from` and `to` (the room outage). */
  longestRoomAckGap(from: number, to: number): number {
    const times = [...this.sends.values()]
      .filter((s) => s.plan.kind === 'room' && s.ackedAt !== undefined)
      .map((s) => s.ackedAt as number)
      .filter((t) => t >= from && t <= to)
      .sort((a, b) => a - b);
    let longest = 0;
    let previous = from;
    for (const t of [...times, to]) {
      longest = Math.max(longest, t - previous);
      previous = t;
    }
    return longest;
  }

  /** Room acknowledgements whose attempt started after `since` (local time), earliest first. */
  firstRoomAckAfter(since: number): number | undefined {
    let first: number | undefined;
    for (const s of this.sends.values()) {
      if (s.plan.kind !== 'room' || s.ackedAt === undefined || s.ackAttemptAt === undefined) continue;
      if (s.ackAttemptAt < since) continue;
      if (first === undefined || s.ackedAt < first) first = s.ackedAt;
    }
    return first;
  }

  check(scenario: string, failoverMs?: number): CheckReport {
    const problems: string[] = [];
    const problem = (line: string): void => {
      if (problems.length < MAX_PROBLEMS) problems.push(line);
    };
    let acknowledged = 0;
    let storedOffline = 0;
    let unacknowledged = 0;
    let retries = 0;
    let missing = 0;
    let ackMismatches = 0;
    let duplicates = 0;

    const storedIdOf = (conversation: string, key: string, from: string): string[] => {
      const ids: string[] = [];
      for (const [id, message] of this.messagesOf(conversation)) {
        if (keyOf(message) === key && message.from === from) ids.push(id);
      }
      return ids;
    };

    for (const state of this.sends.values()) {
      const { plan } = state;
      retries += state.attempts - 1;
      if (state.outcome === 'acknowledged') acknowledged++;
      else if (state.outcome === 'stored') storedOffline++;
      else unacknowledged++;

      // (b) one key, one id: every acknowledgement of a key names the same message.
      const ackIds = new Set(state.acks.map((a) => a.id));
      if (ackIds.size > 1) {
        duplicates += ackIds.size - 1;
        problem(`key ${plan.key} was acknowledged with ${ackIds.size} ids: ${[...ackIds].join(', ')}`);
      }
      const ids = storedIdOf(plan.conversation, plan.key, plan.from);
      if (ids.length > 1) {
        duplicates += ids.length - 1;
        problem(`key ${plan.key} is stored ${ids.length} times: ${ids.join(', ')}`);
      }
      const first = state.acks[0];
      if (first) {
        const seen = this.anyCopy(plan.conversation, first.id);
        if (first.conversation !== plan.conversation) {
          ackMismatches++;
          problem(`key ${plan.key} acknowledged for ${first.conversation}, sent to ${plan.conversation}`);
        } else if (seen && seen.seq !== first.seq) {
          ackMismatches++;
          problem(`key ${plan.key} acknowledged as seq ${first.seq} but stored as seq ${seen.seq}`);
        }
        for (const ack of state.acks) {
          if (ack.seq !== first.seq || ack.id !== first.id) {
            ackMismatches++;
            problem(
              `key ${plan.key} retry acknowledged seq ${ack.seq}/${ack.id}, first ${first.seq}/${first.id}`,
            );
          }
        }
      }

      // (a) every acknowledged (or stored-offline) message is in every intended recipient's view.
      if (state.outcome !== 'acknowledged' && state.outcome !== 'stored') continue;
      const id = first?.id ?? ids[0];
      for (const recipient of this.recipientsOf(plan)) {
        const view = this.views.get(recipient);
        const found = id !== undefined && view?.has(id);
        if (!found) {
          missing++;
          problem(`${recipient} never saw ${plan.kind} ${plan.key} (${plan.conversation}, id ${id ?? '?'})`);
        }
      }
    }

    // (c) per conversation the stored seqs are 1..n, and no id sits at two seqs.
    let gaps = this.incompleteSyncs.length;
    for (const entry of this.incompleteSyncs) problem(`sync from 0 was not complete for ${entry}`);
    for (const [conversation, byId] of this.stored) {
      const seqOwner = new Map<number, string>();
      for (const [id, seqs] of byId) {
        if (seqs.size > 1) {
          duplicates++;
          problem(`${conversation}: id ${id} seen at seqs ${[...seqs].join(', ')}`);
        }
        for (const seq of seqs) {
          const owner = seqOwner.get(seq);
          if (owner !== undefined && owner !== id) {
            duplicates++;
            problem(`${conversation}: seq ${seq} held by ${owner} and ${id}`);
          }
          seqOwner.set(seq, id);
        }
      }
      const highest = Math.max(0, ...seqOwner.keys());
      for (let seq = 1; seq <= highest; seq++) {
        if (seqOwner.has(seq)) continue;
        gaps++;
        problem(`${conversation}: seq ${seq} missing (highest ${highest})`);
      }
    }

    // (d) everything seen was sent by the workload, by its sender, in its conversation.
    let phantoms = 0;
    const phantomIds = new Set<string>();
    for (const view of this.views.values()) {
      for (const message of view.values()) {
        const key = keyOf(message);
        const plan = key === undefined ? undefined : this.sends.get(key)?.plan;
        const genuine =
          plan !== undefined && plan.from === message.from && plan.conversation === message.conversation;
        if (genuine || phantomIds.has(message.id)) continue;
        phantomIds.add(message.id);
        phantoms++;
        problem(`phantom ${message.conversation} seq ${message.seq} from ${message.from}: "${message.text}"`);
      }
    }

    let deliveredLive = 0;
    let duplicatesRaw = 0;
    for (const [recipient, counts] of this.live) {
      const view = this.views.get(recipient);
      for (const [id, n] of counts) {
        duplicatesRaw += n - 1;
        if (view?.get(id)?.from !== recipient) deliveredLive++;
      }
    }
    let deliveredAfterSync = 0;
    for (const ids of this.syncOnly.values()) deliveredAfterSync += ids.size;

    return {
      scenario,
      sent: this.sends.size,
      acknowledged,
      storedOffline,
      unacknowledged,
      retries,
      deliveredLive,
      deliveredAfterSync,
      missing,
      duplicatesRaw,
      duplicates,
      gaps,
      phantoms,
      ackMismatches,
      failoverMs,
      problems,
    };
  }

  private recipientsOf(plan: PlannedSend): string[] {
    if (plan.kind === 'direct') return [plan.to, plan.from];
    return this.members.get(plan.conversation) ?? [plan.from];
  }

  private see(recipient: string, message: ChatMessage, fromSync: boolean): void {
    const view = mapOf(this.views, recipient);
    if (!view.has(message.id)) {
      view.set(message.id, message);
      // A sender is never pushed its own direct message: only other recipients count here.
      if (fromSync && message.from !== recipient) setOf(this.syncOnly, recipient).add(message.id);
    }
    const byId = mapOf(this.stored, message.conversation);
    let seqs = byId.get(message.id);
    if (!seqs) byId.set(message.id, (seqs = new Set()));
    seqs.add(message.seq);
  }

  private *messagesOf(conversation: string): Generator<[string, ChatMessage]> {
    const seen = new Set<string>();
    for (const view of this.views.values()) {
      for (const [id, message] of view) {
        if (message.conversation !== conversation || seen.has(id)) continue;
        seen.add(id);
        yield [id, message];
      }
    }
  }

  private anyCopy(conversation: string, id: string): ChatMessage | undefined {
    for (const view of this.views.values()) {
      const message = view.get(id);
      if (message && message.conversation === conversation) return message;
    }
    return undefined;
  }

  private require(key: string): SendState {
    const state = this.sends.get(key);
    if (!state) throw new Error(`checker: no attempt recorded for key ${key}`);
    return state;
  }
}

/** One table line: the counts a scenario is judged by. */
export function formatReport(r: CheckReport): string {
  const cells: Array<[string, string | number]> = [
    ['scenario', r.scenario.padEnd(22)],
    ['sent', r.sent],
    ['acked', r.acknowledged],
    ['offline-stored', r.storedOffline],
    ['unacked', r.unacknowledged],
    ['retries', r.retries],
    ['live', r.deliveredLive],
    ['after-sync', r.deliveredAfterSync],
    ['missing', r.missing],
    ['dup-raw', r.duplicatesRaw],
    ['dup', r.duplicates],
    ['gaps', r.gaps],
    ['phantoms', r.phantoms],
    ['ack-mismatch', r.ackMismatches],
    ['failover-ms', r.failoverMs ?? '-'],
  ];
  return `| ${cells.map(([k, v]) => `${k}=${v}`).join(' | ')} |`;
}

function mapOf<K, V>(outer: Map<string, Map<K, V>>, key: string): Map<K, V> {
  let inner = outer.get(key);
  if (!inner) outer.set(key, (inner = new Map()));
  return inner;
}

function setOf<V>(outer: Map<string, Set<V>>, key: string): Set<V> {
  let inner = outer.get(key);
  if (!inner) outer.set(key, (inner = new Set()));
  return inner;
}
