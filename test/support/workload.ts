import { setTimeout as delay } from 'node:timers/promises';
import { ChatClientError } from '../../src/client/chat-client';
import { ResilientClient, rotatingLocator } from '../../src/client/recovery';
import type { RecoveryListener } from '../../src/client/recovery';
import { conversation } from '../../src/core/names';
import { waitFor } from '../../src/core/wait-for';
import type { DeliveryChecker, PlannedSend } from './checker';
import { textFor } from './checker';

/** A node the clients may connect to. */
export interface WorkloadNode {
  nodeId: string;
  wsUrl: string;
}

export interface WorkloadRoom {
  name: string;
  members: string[];
}

export interface WorkloadOptions {
  /** Existing users (password `password`), spread over the nodes round-robin. */
  users: string[];
  password: string;
  /** Rooms and their members at the start; a room message goes to one of the sender's rooms. */
  rooms: WorkloadRoom[];
  /** The nodes running right now (a killed node drops out; a paused one stays in). */
  nodes: () => WorkloadNode[];
  checker: DeliveryChecker;
  /** Direct and room messages per second, over all users. */
  dmPerSecond: number;
  roomPerSecond: number;
  /** Count bound: sends in all. */
  maxSends: number;
  /** Time bound: no new send starts after this many ms. */
  durationMs: number;
  /** How long one send keeps retrying with its key before it gives up. */
  sendDeadlineMs: number;
  /** A request unanswered this long abandons its connection (the node may hang). */
  requestTimeoutMs: number;
  /** Users that receive but never send (their sessions come and go in some scenarios). */
  receiveOnly?: readonly string[];
}

export interface WorkloadStats {
  /** Failed attempts by reason (TIMEOUT, CLOSED, NO_LEADER, ...). */
  errors: Record<string, number>;
  reconnects: number;
  /** 503 answers that were not about the leader or a drain: the node shedding load. */
  overloaded: number;
  /** Error replies no retry explains (4xx other than USER_OFFLINE and rate limits). */
  unexpected: string[];
}

/** 503 reasons that say the leader changed or the node drains, not that it is overloaded. */
const LEADERSHIP_503 = new Set([
  'NO_LEADER',
  'NOT_LEADER',
  'LEADER_CHANGED',
  'LEADER_TIMEOUT',
  'STALE_EPOCH',
  'SERVER_DRAINING',
  'UNAVAILABLE',
  'BACKEND_UNAVAILABLE',
]);

/** A USER_OFFLINE answer means stored; these are the other 4xx a scenario may meet and retry. */
const EXPECTED_4XX = new Set(['USER_OFFLINE', 'RATE_LIMITED', 'TOO_MANY_PENDING']);

/**
 * The fault suite's users: each one a ResilientClient, the client library's
 * own recovery, reporting everything it shows to the checker. A dispatcher
 * starts sends at the configured rates (a user sends one message at a time,
 * as a person would), bounded by count and time.
 */
export class Workload {
  readonly stats: WorkloadStats = { errors: {}, reconnects: 0, overloaded: 0, unexpected: [] };
  /** The agent that sends for each user now. */
  readonly agents = new Map<string, UserAgent>();
  /** Every agent ever started (closed at the end, whichever replaced which). */
  private readonly everyAgent: UserAgent[] = [];
  private running: Promise<void> | undefined;
  private stopAt = 0;
  private started = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly keys = new Map<string, number>();

  constructor(readonly options: WorkloadOptions) {}

  /** Logs every user in (spread over the nodes) and starts sending. */
  async start(): Promise<void> {
    await Promise.all(this.options.users.map((user, i) => this.addAgent(user, i)));
    this.stopAt = Date.now() + this.options.durationMs;
    this.running = this.dispatch();
  }

  /** A logged-in user agent starting on node `index` (mod the node count), known to the workload. */
  async addAgent(user: string, index: number, clientTag = '1'): Promise<UserAgent> {
    const agent = new UserAgent(this, user, index, clientTag);
    this.everyAgent.push(agent);
    await agent.login();
    this.agents.set(user, agent);
    return agent;
  }

  /** The current agent of `user`. */
  agent(user: string): UserAgent {
    const agent = this.agents.get(user);
    if (!agent) throw new Error(`no client of ${user} in the workload`);
    return agent;
  }

  /** Ends new sends now; sends in flight still retry until their deadline, then this resolves. */
  async stop(): Promise<void> {
    this.stopAt = Math.min(this.stopAt, Date.now());
    await this.running;
    await Promise.all([...this.inFlight]);
  }

  /**
   * Waits until every expected delivery was shown and every client is idle,
   * at most `timeoutMs` (what is still owed then is missing).
   */
  async settle(timeoutMs: number): Promise<void> {
    await waitFor(
      async () => {
        await Promise.all([...this.agents.values()].map((a) => a.idle()));
        return this.options.checker.owed() === 0;
      },
      { what: 'every expected delivery to be shown', timeoutMs, intervalMs: 200 },
    ).catch(() => undefined);
  }

  async close(): Promise<void> {
    await Promise.all(this.everyAgent.map((agent) => agent.close()));
  }

  /** The next idempotency key of `user`: `<user>-<n>`, unique over all of the user's clients. */
  nextKey(user: string): string {
    const n = this.keys.get(user) ?? 0;
    this.keys.set(user, n + 1);
    return `${user}-${n}`;
  }

  count(reason: string): void {
    this.stats.errors[reason] = (this.stats.errors[reason] ?? 0) + 1;
  }

  /** Starts one send at a time at the combined rate, on a user that is not busy; bounded. */
  private async dispatch(): Promise<void> {
    const { dmPerSecond, roomPerSecond, maxSends } = this.options;
    const perSecond = dmPerSecond + roomPerSecond;
    if (perSecond <= 0) return;
    const tickMs = 1000 / perSecond;
    const senders = this.options.users.filter((u) => !this.options.receiveOnly?.includes(u));
    let next = Date.now();
    // Bounded by count and by time.
    while (Date.now() < this.stopAt && this.started < maxSends) {
      const free = senders.map((u) => this.agents.get(u)).filter((a) => a?.free === true) as UserAgent[];
      const agent = free[Math.floor(Math.random() * free.length)];
      if (agent) {
        const plan = this.plan(agent, Math.random() < roomPerSecond / perSecond);
        const sending = agent.send(plan).finally(() => this.inFlight.delete(sending));
        this.inFlight.add(sending);
        this.started++;
      }
      next += tickMs;
      await delay(Math.max(0, next - Date.now()));
    }
  }

  private plan(agent: UserAgent, toRoom: boolean): PlannedSend {
    const rooms = this.options.rooms.filter((r) => r.members.includes(agent.user));
    const room = toRoom ? rooms[Math.floor(Math.random() * rooms.length)] : undefined;
    const key = agent.nextKey();
    if (room) {
      return {
        key,
        kind: 'room',
        from: agent.user,
        to: room.name,
        conversation: conversation.room(room.name),
        text: textFor(key),
      };
    }
    const peers = this.options.users.filter((u) => u !== agent.user);
    const to = peers[Math.floor(Math.random() * peers.length)] as string;
    return {
      key,
      kind: 'direct',
      from: agent.user,
      to,
      conversation: conversation.direct(agent.user, to),
      text: textFor(key),
    };
  }
}

/** One client of one user: a ResilientClient wired to the checker. */
export class UserAgent {
  readonly client: ResilientClient;
  private busy = false;
  private loggedOut = false;
  private readonly clientId: string;

  constructor(
    private readonly load: Workload,
    readonly user: string,
    startIndex: number,
    tag: string,
  ) {
    this.clientId = `${user}#${tag}`;
    const { checker, nodes, requestTimeoutMs, sendDeadlineMs } = load.options;
    const listener: RecoveryListener = {
      received: (m) => checker.pushed(user, m),
      message: (m, origin) => checker.shown(this.clientId, user, m, origin, this.client.nodeId),
      lost: () => {
        load.stats.reconnects++;
        checker.connection(this.clientId, user, undefined);
      },
      reconnected: ({ nodeId }) => checker.connection(this.clientId, user, nodeId),
      ended: () => checker.connection(this.clientId, user, undefined),
      sendFailed: ({ key, error, retryInMs }) => {
        const reason = error instanceof ChatClientError ? error.reason : 'ERROR';
        load.count(reason);
        if (error instanceof ChatClientError && error.code === 503 && !LEADERSHIP_503.has(reason)) {
          load.stats.overloaded++;
        }
        if (retryInMs !== undefined && checker.knows(key)) checker.attemptFailed(key, reason);
      },
    };
    this.client = new ResilientClient({
      locate: rotatingLocator(() => nodes().map((n) => ({ nodeId: n.nodeId, url: n.wsUrl })), startIndex),
      clientOptions: { requestTimeoutMs, connectTimeoutMs: 2000 },
      listener,
      reconnectWindowMs: 60_000,
      backoff: { initialMs: 100, maxMs: 1000 },
      sendRetry: { deadlineMs: sendDeadlineMs, backoff: { initialMs: 50, maxMs: 1000 } },
    });
  }

  get free(): boolean {
    return !this.busy && !this.loggedOut && this.client.ended === undefined;
  }

  /** Logs in and syncs what the login lists as missed. */
  async login(): Promise<void> {
    await this.client.login(this.user, this.load.options.password);
    this.loggedOut = false;
    this.load.options.checker.connection(this.clientId, this.user, this.client.nodeId);
    await this.client.loginCatchUp().catch(() => undefined);
  }

  nextKey(): string {
    return this.load.nextKey(this.user);
  }

  /**
   * Sends until acknowledged, stored-offline or given up, telling the checker
   * each step. `alongside`: one of several sends of this user in flight at
   * once (a burst); otherwise the user waits for it before sending again.
   */
  async send(plan: PlannedSend, alongside = false): Promise<void> {
    const { checker } = this.load.options;
    if (!alongside) this.busy = true;
    checker.started(plan, this.client.nodeId);
    try {
      const ack =
        plan.kind === 'room'
          ? await this.client.sendRoom(plan.to, plan.text, plan.key)
          : await this.client.sendDirect(plan.to, plan.text, plan.key);
      checker.acknowledged(plan.key, ack, this.client.nodeId);
    } catch (err) {
      const reason = err instanceof ChatClientError ? err.reason : 'ERROR';
      if (reason === 'USER_OFFLINE') {
        checker.storedOffline(plan.key, this.client.nodeId);
        return;
      }
      checker.gaveUp(plan.key, err instanceof Error ? err.message : String(err));
      if (err instanceof ChatClientError && err.code >= 400 && err.code < 500 && !EXPECTED_4XX.has(reason)) {
        this.load.stats.unexpected.push(`${plan.key}: ${err.code} ${reason} ${err.message}`);
      }
    } finally {
      if (!alongside) this.busy = false;
    }
  }

  idle(): Promise<void> {
    return this.client.idle();
  }

  /** Drops the connection as a network would (no close handshake): the client reconnects elsewhere. */
  async dropConnection(): Promise<void> {
    const client = await this.client.current();
    await client.terminate();
  }

  /**
   * Logs out (closes the connection, no reconnect). `keepState`: the same
   * client logs in again later with login() and catches up from what it
   * saw; otherwise it is done, and a new agent (a new device) logs the user in.
   */
  async logout(keepState = false): Promise<void> {
    this.loggedOut = true;
    if (keepState) await this.client.logout();
    else await this.client.close();
    this.load.options.checker.connection(this.clientId, this.user, undefined);
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
