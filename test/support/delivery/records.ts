import type { ChatMessage, SendAck } from '../../../gen/chat/v1/client';
import type { ShownOrigin } from '../../../src/client/recovery';

/**
 * What the checker records while a scenario runs. Message texts carry the
 * idempotency key (`textFor`), so any message seen anywhere maps back to the
 * send that produced it.
 */
export type SendKind = 'direct' | 'room';

export interface PlannedSend {
  /** Idempotency key, unique in the run: `<sender>-<n>`, n counting the sender's sends. */
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

export interface SendRecord {
  plan: PlannedSend;
  startedAt: number;
  /** The node the sender was connected to when the send started. */
  startNode: string;
  /** Failed attempts before the last one, by reason. */
  failures: string[];
  outcome: SendOutcome | undefined;
  ack: SendAck | undefined;
  endedAt: number | undefined;
  /** The node that answered (acknowledged, or said USER_OFFLINE). */
  endNode: string;
  /** The last error of a send that gave up. */
  lastError: string;
}

export interface ShownRecord {
  m: ChatMessage;
  origin: ShownOrigin;
  at: number;
  /** The node the client was connected to. */
  node: string;
  /** Which of the user's clients showed it. */
  client: string;
}

const KEY_MARK = 'msg ';

/** The text a workload sends for `key`; the checker reads the key back from any message. */
export function textFor(key: string): string {
  return `${KEY_MARK}${key}`;
}

export function keyOf(message: { text: string }): string | undefined {
  return message.text.startsWith(KEY_MARK) ? message.text.slice(KEY_MARK.length) : undefined;
}

/**
 * When each client was connected, and to which node (`undefined`: not
 * connected). A user may have several clients (two logins racing); the user
 * is online while any of them is.
 */
export class ConnectionLog {
  private readonly spans = new Map<string, Array<{ at: number; node: string | undefined }>>();
  private readonly clientsOf = new Map<string, Set<string>>();

  note(client: string, user: string, node: string | undefined, at: number): void {
    let list = this.spans.get(client);
    if (!list) this.spans.set(client, (list = []));
    list.push({ at, node });
    let clients = this.clientsOf.get(user);
    if (!clients) this.clientsOf.set(user, (clients = new Set()));
    clients.add(client);
  }

  /** The nodes `user` was connected to at `at`. */
  nodesAt(user: string, at: number): string[] {
    const nodes: string[] = [];
    for (const client of this.clientsOf.get(user) ?? []) {
      const node = this.clientNodeAt(client, at);
      if (node !== undefined) nodes.push(node);
    }
    return nodes;
  }

  /** Some client of `user` was connected for the whole of [from, to]. */
  onlineThroughout(user: string, from: number, to: number): boolean {
    for (const client of this.clientsOf.get(user) ?? []) {
      const spans = this.spans.get(client) ?? [];
      if (this.clientNodeAt(client, from) === undefined) continue;
      if (spans.every((s) => s.at <= from || s.at > to || s.node !== undefined)) return true;
    }
    return false;
  }

  /** Some client of `user` is connected now. */
  onlineAtEnd(user: string): boolean {
    for (const client of this.clientsOf.get(user) ?? []) {
      const spans = this.spans.get(client) ?? [];
      if (spans[spans.length - 1]?.node !== undefined) return true;
    }
    return false;
  }

  private clientNodeAt(client: string, at: number): string | undefined {
    let node: string | undefined;
    for (const span of this.spans.get(client) ?? []) {
      if (span.at > at) break;
      node = span.node;
    }
    return node;
  }
}
