import { setTimeout as delay } from 'node:timers/promises';
import type { SendAck } from '../../gen/chat/v1/client';
import { ChatClient, ChatClientError } from '../../src/client/chat-client';
import { backoffDelay } from '../../src/core/backoff';
import { conversation } from '../../src/core/names';
import type { DeliveryChecker, PlannedSend } from './checker';
import { textFor } from './checker';

/** A node the workload may connect to. */
export interface WorkloadNode {
  nodeId: string;
  wsUrl: string;
}

export interface WorkloadOptions {
  /** Existing users (password `password`), spread over the nodes round-robin. */
  users: string[];
  password: string;
  /** A room every user is a member of. */
  room: string;
  /** The nodes running right now (a killed node drops out; a paused one stays in). */
  nodes: () => WorkloadNode[];
  checker: DeliveryChecker;
  /** Count bound: sends per user. */
  maxSendsPerUser: number;
  /** Time bound: no new send starts after this many ms. */
  durationMs: number;
  /** A send still unacknowledged this long after the workload stopped is given up. */
  drainMs: number;
  /** Pause between one user's sends. */
  pauseMs?: number;
  /** Share of sends that go to the room (the rest are direct messages). */
  roomShare?: number;
  /** Per-request timeout; a timed-out connection is abandoned for another node. */
  requestTimeoutMs?: number;
}

export interface WorkloadStats {
  /** Failed attempts by reason (TIMEOUT, CLOSED, NO_LEADER, ...). */
  errors: Record<string, number>;
  reconnects: number;
  /** Error replies no retry explains (4xx other than USER_OFFLINE and rate limits). */
  unexpected: string[];
}

/** Reasons a retry with the same key is the documented answer to. */
const TRANSIENT = new Set([
  'TIMEOUT',
  'CLOSED',
  'CONNECT_FAILED',
  'NO_LEADER',
  'NOT_LEADER',
  'LEADER_CHANGED',
  'LEADER_TIMEOUT',
  'STALE_EPOCH',
  'RATE_LIMITED',
  'UNAVAILABLE',
  'INTERNAL',
]);

const MAX_SYNC_ROUNDS = 50;
const SYNC_LIMIT = 500;

/**
 * A bounded load generator: every user sends direct messages to random peers
 * and messages to a shared room, each with an idempotency key, and retries the
 * same key after any error, timeout or lost connection (moving to another
 * node when its connection died) until the send is acknowledged or the
 * deadline passes. Bounded by count and by time.
 */
export class Workload {
  readonly stats: WorkloadStats = { errors: {}, reconnects: 0, unexpected: [] };
  private readonly agents: Agent[];
  private running: Promise<void> | undefined;
  private stopAt = 0;
  private giveUpAt = 0;

  constructor(private readonly options: WorkloadOptions) {
    this.agents = options.users.map((username, index) => new Agent(this, username, index));
  }

  get opts(): WorkloadOptions {
    return this.options;
  }

  /** Logs every user in (spread over the nodes) and starts sending. */
  async start(): Promise<void> {
    await Promise.all(this.agents.map((agent) => agent.connect()));
    this.stopAt = Date.now() + this.options.durationMs;
    this.giveUpAt = this.stopAt + this.options.drainMs;
    this.running = Promise.all(this.agents.map((agent) => agent.run())).then(() => undefined);
  }

  /** Ends new sends now (in-flight ones still retry until the drain deadline) and waits. */
  async stop(): Promise<void> {
    this.stopAt = Math.min(this.stopAt, Date.now());
    this.giveUpAt = Math.min(this.giveUpAt, this.stopAt + this.options.drainMs);
    await this.running;
  }

  /** Resolves when every user has finished its sends. */
  finished(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  /** Every user syncs every conversation it belongs to from seq 0 and hands the result to the checker. */
  async finalSync(): Promise<void> {
    await Promise.all(this.agents.map((agent) => agent.finalSync()));
  }

  async close(): Promise<void> {
    await Promise.all(this.agents.map((agent) => agent.close()));
  }

  get sendsOpen(): boolean {
    return Date.now() < this.stopAt;
  }

  get deadline(): number {
    return this.giveUpAt;
  }

  count(reason: string): void {
    this.stats.errors[reason] = (this.stats.errors[reason] ?? 0) + 1;
  }
}

class Agent {
  private client: ChatClient | undefined;
  private token = '';
  private nodeIndex: number;
  private sent = 0;

  constructor(
    private readonly load: Workload,
    readonly username: string,
    index: number,
  ) {
    this.nodeIndex = index;
  }

  private get opts(): WorkloadOptions {
    return this.load.opts;
  }

  /** Connects to the next live node in turn (starting at its own) and logs in, resuming when it can. */
  async connect(): Promise<ChatClient> {
    if (this.client?.isOpen) return this.client;
    if (this.client) {
      // Closed under us (the node died or kicked us): try the next node.
      this.client = undefined;
      this.nodeIndex++;
      this.load.stats.reconnects++;
    }
    const nodes = this.opts.nodes();
    if (nodes.length === 0) throw new ChatClientError(0, 'CONNECT_FAILED', 'no node is running');
    const node = nodes[this.nodeIndex % nodes.length] as WorkloadNode;
    const client = await ChatClient.connect(node.wsUrl, {
      requestTimeoutMs: this.opts.requestTimeoutMs ?? 6000,
      connectTimeoutMs: 2000,
    });
    client.on('message', (m) => this.opts.checker.delivered(this.username, m));
    try {
      let ok = false;
      if (this.token) {
        try {
          this.token = (await client.resume(this.token, this.username)).resumeToken;
          ok = true;
        } catch (err) {
          if (!(err instanceof ChatClientError) || err.reason !== 'BAD_RESUME_TOKEN') throw err;
        }
      }
      if (!ok) this.token = (await client.login(this.username, this.opts.password)).resumeToken;
    } catch (err) {
      await client.close();
      throw err;
    }
    this.client = client;
    return client;
  }

  async run(): Promise<void> {
    const { users, room, maxSendsPerUser } = this.opts;
    const peers = users.filter((u) => u !== this.username);
    const roomShare = this.opts.roomShare ?? 0.5;
    // Bounded by count here and by time in `sendsOpen`.
    while (this.sent < maxSendsPerUser && this.load.sendsOpen) {
      const key = `${this.username}-${this.sent}`;
      const toRoom = peers.length === 0 || Math.random() < roomShare;
      const to = toRoom ? room : (peers[Math.floor(Math.random() * peers.length)] as string);
      const plan: PlannedSend = {
        key,
        kind: toRoom ? 'room' : 'direct',
        from: this.username,
        to,
        conversation: toRoom ? conversation.room(room) : conversation.direct(this.username, to),
        text: textFor(key),
      };
      this.sent++;
      await this.sendUntilSettled(plan);
      await delay(this.opts.pauseMs ?? 50);
    }
  }

  /** Retries the same key until acknowledged, stored-offline or the deadline. */
  private async sendUntilSettled(plan: PlannedSend): Promise<void> {
    const { checker } = this.opts;
    // Bounded by the workload deadline; every round waits at least the backoff.
    for (let attempt = 0; ; attempt++) {
      checker.attempt(plan);
      const attemptAt = Date.now();
      try {
        const client = await this.connect();
        const ack: SendAck =
          plan.kind === 'room'
            ? await client.sendRoom(plan.to, plan.text, plan.key)
            : await client.sendDirect(plan.to, plan.text, plan.key);
        checker.acknowledged(plan.key, ack, attemptAt);
        return;
      } catch (err) {
        const reason = err instanceof ChatClientError ? err.reason : 'ERROR';
        this.load.count(reason);
        if (reason === 'USER_OFFLINE') {
          checker.storedOffline(plan.key);
          return;
        }
        if (err instanceof ChatClientError && err.code >= 400 && err.code < 500 && !TRANSIENT.has(reason)) {
          this.load.stats.unexpected.push(`${plan.key}: ${err.code} ${reason} ${err.message}`);
        }
        // A closed connection is replaced by connect(); one that hangs is given up here.
        if (reason === 'TIMEOUT' || reason === 'CONNECT_FAILED') await this.abandonConnection();
      }
      if (Date.now() >= this.load.deadline) {
        checker.gaveUp(plan.key);
        return;
      }
      await delay(backoffDelay(attempt, { initialMs: 50, maxMs: 1000 }));
    }
  }

  /** The connection is dead or hangs: drop it and move to the next node. */
  private async abandonConnection(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.nodeIndex++;
    this.load.stats.reconnects++;
    if (client) await client.close();
  }

  async finalSync(): Promise<void> {
    const { users, room, checker } = this.opts;
    const keys = [
      conversation.room(room),
      ...users.filter((u) => u !== this.username).map((u) => conversation.direct(this.username, u)),
    ];
    let positions = keys.map((c) => ({ conversation: c, afterSeq: 0 }));
    // Bounded: at most MAX_SYNC_ROUNDS pages per conversation; a failed round is retried on another node.
    for (let round = 0; positions.length > 0 && round < MAX_SYNC_ROUNDS; round++) {
      let result;
      try {
        const client = await this.connect();
        result = await client.sync(positions, SYNC_LIMIT);
      } catch (err) {
        this.load.count(`sync:${err instanceof ChatClientError ? err.reason : 'ERROR'}`);
        await this.abandonConnection();
        await delay(200);
        continue;
      }
      const next: typeof positions = [];
      for (const caughtUp of result.conversations) {
        const position = positions.find((p) => p.conversation === caughtUp.conversation);
        if (position?.afterSeq === 0 && !caughtUp.complete) {
          checker.incompleteSync(this.username, caughtUp.conversation);
        }
        for (const message of caughtUp.messages) checker.synced(this.username, message);
        const last = caughtUp.messages[caughtUp.messages.length - 1];
        if (caughtUp.hasMore && last) next.push({ conversation: caughtUp.conversation, afterSeq: last.seq });
      }
      positions = next;
    }
    if (positions.length > 0) throw new Error(`${this.username}: final sync did not finish`);
  }

  async close(): Promise<void> {
    await this.client?.close();
    this.client = undefined;
  }
}
