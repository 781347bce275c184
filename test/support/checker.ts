import type { ChatMessage, SendAck } from '../../gen/chat/v1/client';
import type { ShownOrigin } from '../../src/client/recovery';
import { MembershipModel } from './delivery/membership';
import type { MembershipOp } from './delivery/membership';
import { ConnectionLog, keyOf } from './delivery/records';
import type { PlannedSend, SendOutcome, SendRecord, ShownRecord } from './delivery/records';
import { checkStore } from './delivery/store-check';
import type { StoreView } from './delivery/store-check';

export { textFor, keyOf } from './delivery/records';
export type { PlannedSend, SendKind, SendOutcome } from './delivery/records';
export type { StoreView } from './delivery/store-check';
export { formatReport } from './delivery/report';

/**
 * A delivery checker that sees what the users see. The fault suite's clients
 * are ResilientClients (src/client/recovery), the recovery the client library
 * ships; the checker records every send and its outcome, every message each
 * client showed (and every raw push), when each client was connected where,
 * and every room join and leave. `check()` then reads the store directly (no
 * client ever re-reads a conversation from the start) and counts, per
 * scenario: acknowledged; missing at the recipient, split into stored but
 * never shown and not stored at all; duplicates shown; per (sender,
 * conversation) order violations; room messages pushed to non-members;
 * acknowledgements that said `delivered: true` for a push that never came;
 * and the time from the fault to the first delivery across nodes.
 */
export interface CheckReport {
  scenario: string;
  /** Sends the workload started. */
  sent: number;
  /** Sends with a SendAck. */
  acknowledged: number;
  /** Direct sends answered USER_OFFLINE (stored; the recipient gets them through LoginOk.missed). */
  storedOffline: number;
  /** Sends that gave up (allowed: not acknowledged). */
  unacknowledged: number;
  /** Failed attempts that were retried with the same key. */
  retries: number;
  /** (recipient, message) pairs that had to be shown: acknowledged or stored, recipient a member. */
  expected: number;
  /** Of those, first shown as a live push / only through a sync (gap, reconnect, hint, missed). */
  shownLive: number;
  shownAfterSync: number;
  /** Expected pairs never shown: the message is in the store / is not in the store. */
  missingStored: number;
  missingUnstored: number;
  /** One message shown more than once by one client (a key under two ids counts too). */
  duplicatesShown: number;
  /** A message shown after one its sender sent once it was answered (same conversation). */
  orderViolations: number;
  /** Room messages pushed to a user who was not a member while it was sent. */
  nonMemberDeliveries: number;
  /** Direct acks with `delivered: true` whose recipient, connected throughout, was never pushed the message. */
  falseDelivered: number;
  /** Direct sends answered USER_OFFLINE while the recipient was connected throughout. */
  offlineWhileOnline: number;
  /** Acknowledged messages the store does not have. */
  lostAcks: number;
  /** A key stored under two ids. */
  storedTwice: number;
  /** Stored seqs missing from 1..n in a conversation. */
  gaps: number;
  /** Messages shown that the workload never sent. */
  phantoms: number;
  /** Acknowledgements whose id/seq differ from what is stored. */
  ackMismatches: number;
  /** Fault to the first message shown live across nodes that was sent after the fault, in ms. */
  firstCrossNodeMs?: number;
  /** One line per problem, capped, naming message, time from the fault and nodes. */
  problems: string[];
}

/** Problem lines kept per kind (missing, order, ...), so one kind cannot hide the others. */
const MAX_PROBLEMS_PER_KIND = 8;
const PROBLEM_ORDER = [
  'missing',
  'order',
  'duplicate',
  'non-member',
  'false-delivered',
  'store',
  'phantom',
  'offline',
];
/** How long after an acknowledgement a recipient must stay connected to count as online for it. */
const ONLINE_AFTER_ACK_MS = 2000;

export class DeliveryChecker {
  readonly membership = new MembershipModel();
  readonly connections = new ConnectionLog();
  private readonly sends = new Map<string, SendRecord>();
  private readonly shownBy = new Map<string, ShownRecord[]>();
  private readonly pushedBy = new Map<string, Map<string, number>>();
  /** Local time of the fault, for the problems' timestamps and the cross-node delivery time. */
  faultAt: number | undefined;

  /** Declares the members a room starts with. */
  room(conversation: string, members: string[]): void {
    this.membership.room(conversation, members);
  }

  /** A send started (one call per key; retries are reported by attemptFailed). */
  started(plan: PlannedSend, node: string, at = Date.now()): void {
    if (this.sends.has(plan.key)) throw new Error(`checker: key ${plan.key} started twice`);
    this.sends.set(plan.key, {
      plan,
      startedAt: at,
      startNode: node,
      failures: [],
      outcome: undefined,
      ack: undefined,
      endedAt: undefined,
      endNode: '',
      lastError: '',
    });
  }

  /** True for a send's key (room commands retry under other names). */
  knows(key: string): boolean {
    return this.sends.has(key);
  }

  attemptFailed(key: string, reason: string): void {
    this.require(key).failures.push(reason);
  }

  acknowledged(key: string, ack: SendAck, node: string, at = Date.now()): void {
    this.end(key, 'acknowledged', node, at).ack = ack;
  }

  /** A direct send answered USER_OFFLINE: stored, so the recipient must get it. */
  storedOffline(key: string, node: string, at = Date.now()): void {
    this.end(key, 'stored', node, at);
  }

  gaveUp(key: string, error: string, at = Date.now()): void {
    this.end(key, 'given-up', '', at).lastError = error;
  }

  /** A message client `client` of `user` showed (after its de-duplication). */
  shown(
    client: string,
    user: string,
    m: ChatMessage,
    origin: ShownOrigin,
    node: string,
    at = Date.now(),
  ): void {
    listOf(this.shownBy, user).push({ m, origin, at, node, client });
  }

  /** A raw push as it arrived at a client of `user`, before any de-duplication. */
  pushed(user: string, m: ChatMessage): void {
    const counts = mapOf(this.pushedBy, user);
    counts.set(m.id, (counts.get(m.id) ?? 0) + 1);
  }

  /** A client of `user` connected to `node`, or (undefined) lost its connection. */
  connection(client: string, user: string, node: string | undefined, at = Date.now()): void {
    this.connections.note(client, user, node, at);
  }

  /** A room join or leave started; the returned function marks it acknowledged. */
  membershipStarted(user: string, conversation: string, op: MembershipOp, at = Date.now()): () => void {
    const done = this.membership.started(user, conversation, op, at);
    return () => done(Date.now());
  }

  outcomeCount(outcome: SendOutcome): number {
    let n = 0;
    for (const s of this.sends.values()) if (s.outcome === outcome) n++;
    return n;
  }

  /** Sends acknowledged (of `kind`) whose acknowledgement came after `since`. */
  acknowledgedCount(kind?: PlannedSend['kind'], since = 0): number {
    let n = 0;
    for (const s of this.sends.values()) {
      if (s.outcome !== 'acknowledged' || (s.endedAt ?? 0) < since) continue;
      if (kind === undefined || s.plan.kind === kind) n++;
    }
    return n;
  }

  /** Pairs still owed: every expected delivery not shown yet (for waiting until the clients settle). */
  owed(): number {
    let n = 0;
    for (const s of this.sends.values()) {
      for (const r of this.expectedRecipients(s)) if (!this.shownTo(r, s)) n++;
    }
    return n;
  }

  async check(scenario: string, store: StoreView): Promise<CheckReport> {
    const byKind = new Map<string, string[]>();
    const problem = (line: string, kind = 'store'): void => {
      const list = listOf(byKind, kind);
      if (list.length < MAX_PROBLEMS_PER_KIND) list.push(line);
    };
    const t = (at: number | undefined): string =>
      at === undefined ? '?' : `${this.faultAt === undefined ? at : at - this.faultAt} ms`;
    const r = emptyReport(scenario);
    const stored = await checkStore([...this.sends.values()], store, problem);
    Object.assign(r, stored.counts);

    for (const s of this.sends.values()) {
      r.sent++;
      r.retries += s.failures.length;
      if (s.outcome === 'acknowledged') r.acknowledged++;
      else if (s.outcome === 'stored') r.storedOffline++;
      else r.unacknowledged++;
      const { plan } = s;
      const id = s.ack?.id ?? stored.idOf(plan);
      if (s.outcome === 'stored' && plan.kind === 'direct' && s.endedAt !== undefined) {
        if (this.connections.onlineThroughout(plan.to, s.startedAt, s.endedAt)) {
          r.offlineWhileOnline++;
          problem(
            `${plan.key} to ${plan.to} answered USER_OFFLINE by ${s.endNode} at ${t(s.endedAt)} while ${plan.to} was on ${this.connections.nodesAt(plan.to, s.endedAt).join('+')}`,
            'offline',
          );
        }
      }
      // A connection that dropped soon after may have taken the push with it: only a recipient
      // connected throughout (and for a while after) counts as online.
      const settled = (s.endedAt ?? 0) + ONLINE_AFTER_ACK_MS;
      if (s.ack?.delivered && plan.kind === 'direct' && id !== undefined) {
        const online = this.connections.onlineThroughout(plan.to, s.startedAt, settled);
        if (online && !(this.pushedBy.get(plan.to)?.has(id) ?? false)) {
          r.falseDelivered++;
          problem(
            `${plan.key} acknowledged delivered:true by ${s.endNode} at ${t(s.endedAt)}, never pushed to ${plan.to} (on ${this.connections.nodesAt(plan.to, s.endedAt ?? 0).join('+') || 'no node'})`,
            'false-delivered',
          );
        }
      }
      for (const recipient of this.expectedRecipients(s)) {
        r.expected++;
        const first = this.shownTo(recipient, s);
        if (first) {
          if (first.origin === 'live') r.shownLive++;
          else r.shownAfterSync++;
          continue;
        }
        const inStore = id !== undefined && stored.has(plan.conversation, id);
        if (inStore) r.missingStored++;
        else r.missingUnstored++;
        problem(
          `${recipient} never shown ${plan.kind} ${plan.key} (${plan.conversation} seq ${s.ack?.seq ?? stored.seqOf(plan.conversation, id) ?? '?'}, ` +
            `${inStore ? 'stored' : 'NOT stored'}), sent at ${t(s.startedAt)} via ${s.startNode}, ${s.outcome} at ${t(s.endedAt)} by ${s.endNode}` +
            `${s.ack ? ` delivered:${s.ack.delivered}` : ''}; ${recipient} then on ${this.connections.nodesAt(recipient, s.endedAt ?? s.startedAt).join('+') || 'no node'}` +
            `${this.connections.onlineAtEnd(recipient) ? '' : ', offline at the end'}`,
          'missing',
        );
      }
    }
    this.checkShown(r, problem, t);
    r.firstCrossNodeMs = this.firstCrossNode();
    r.problems = PROBLEM_ORDER.flatMap((kind) => byKind.get(kind) ?? []);
    return r;
  }

  /** Duplicates, order, non-member pushes and phantoms, per user over everything shown. */
  private checkShown(
    r: CheckReport,
    problem: (line: string, kind: string) => void,
    t: (at: number) => string,
  ): void {
    for (const [user, shown] of this.shownBy) {
      // Per client: a new device of the same user may show history again, but no client twice.
      const timesShown = new Map<string, number>();
      const latest = new Map<string, number>();
      for (const entry of shown) {
        const key = keyOf(entry.m);
        const s = key === undefined ? undefined : this.sends.get(key);
        if (!s || s.plan.from !== entry.m.from || s.plan.conversation !== entry.m.conversation) {
          r.phantoms++;
          problem(
            `${user} was shown a message nobody sent: ${entry.m.conversation} seq ${entry.m.seq} from ${entry.m.from}: "${entry.m.text}"`,
            'phantom',
          );
          continue;
        }
        const shownKey = `${entry.client}\n${s.plan.key}`;
        const n = (timesShown.get(shownKey) ?? 0) + 1;
        timesShown.set(shownKey, n);
        if (n > 1) {
          r.duplicatesShown++;
          problem(
            `${entry.client} was shown ${s.plan.key} ${n} times (${entry.origin} at ${t(entry.at)}, id ${entry.m.id})`,
            'duplicate',
          );
        }
        // Sending order is what the sender could see: a message answered before another was sent
        // must be shown before it (two sends in flight at once have no order).
        const pair = `${entry.client}\n${s.plan.from}\n${s.plan.conversation}`;
        const latestStart = latest.get(pair) ?? -Infinity;
        if (n === 1 && (s.endedAt ?? Infinity) < latestStart && user !== s.plan.from) {
          r.orderViolations++;
          problem(
            `${entry.client} was shown ${s.plan.key} (${entry.origin} at ${t(entry.at)}) after a message ${s.plan.from} sent later in ${s.plan.conversation}`,
            'order',
          );
        }
        if (n === 1) latest.set(pair, Math.max(latestStart, s.startedAt));
        if (entry.origin === 'live' && s.plan.kind === 'room' && user !== s.plan.from) {
          const to = s.endedAt ?? Infinity;
          if (this.membership.surelyNotMember(user, s.plan.conversation, s.startedAt, to)) {
            r.nonMemberDeliveries++;
            problem(
              `${user} was pushed ${s.plan.key} in ${s.plan.conversation} on ${entry.node} at ${t(entry.at)} without being a member`,
              'non-member',
            );
          }
        }
      }
    }
  }

  /** Who must be shown a send: its direct recipient, or the room's members throughout it (never the sender). */
  private expectedRecipients(s: SendRecord): string[] {
    if (s.outcome !== 'acknowledged' && s.outcome !== 'stored') return [];
    const { plan } = s;
    if (plan.kind === 'direct') return plan.to === plan.from ? [] : [plan.to];
    const to = s.endedAt ?? Infinity;
    return this.membership
      .everyone(plan.conversation)
      .filter((u) => u !== plan.from && this.membership.surelyMember(u, plan.conversation, s.startedAt, to));
  }

  private shownTo(user: string, s: SendRecord): ShownRecord | undefined {
    return this.shownBy.get(user)?.find((e) => keyOf(e.m) === s.plan.key && e.m.from === s.plan.from);
  }

  private firstCrossNode(): number | undefined {
    const since = this.faultAt;
    if (since === undefined) return undefined;
    let first: number | undefined;
    for (const shown of this.shownBy.values()) {
      for (const e of shown) {
        if (e.origin !== 'live' || e.at < since || (first !== undefined && e.at >= first)) continue;
        const key = keyOf(e.m);
        const s = key === undefined ? undefined : this.sends.get(key);
        if (!s || s.startedAt < since || s.endNode === '' || s.endNode === e.node) continue;
        first = e.at;
      }
    }
    return first === undefined ? undefined : first - since;
  }

  private end(key: string, outcome: SendOutcome, node: string, at: number): SendRecord {
    const s = this.require(key);
    if (s.outcome !== undefined) throw new Error(`checker: key ${key} ended twice`);
    s.outcome = outcome;
    s.endedAt = at;
    s.endNode = node;
    return s;
  }

  private require(key: string): SendRecord {
    const s = this.sends.get(key);
    if (!s) throw new Error(`checker: no send started for key ${key}`);
    return s;
  }
}

function emptyReport(scenario: string): CheckReport {
  return {
    scenario,
    sent: 0,
    acknowledged: 0,
    storedOffline: 0,
    unacknowledged: 0,
    retries: 0,
    expected: 0,
    shownLive: 0,
    shownAfterSync: 0,
    missingStored: 0,
    missingUnstored: 0,
    duplicatesShown: 0,
    orderViolations: 0,
    nonMemberDeliveries: 0,
    falseDelivered: 0,
    offlineWhileOnline: 0,
    lostAcks: 0,
    storedTwice: 0,
    gaps: 0,
    phantoms: 0,
    ackMismatches: 0,
    problems: [],
  };
}

function listOf<V>(outer: Map<string, V[]>, key: string): V[] {
  let inner = outer.get(key);
  if (!inner) outer.set(key, (inner = []));
  return inner;
}

function mapOf<K, V>(outer: Map<string, Map<K, V>>, key: string): Map<K, V> {
  let inner = outer.get(key);
  if (!inner) outer.set(key, (inner = new Map()));
  return inner;
}
