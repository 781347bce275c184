import { randomUUID } from 'node:crypto';
import type { LoginOk, RoomInfo, RoomJoined, SendAck } from '../../../gen/chat/v1/client';
import type { BackoffOptions } from '../../core/backoff';
import { conversation } from '../../core/names';
import { ChatClient } from '../chat-client';
import { ChatClientError } from '../client-error';
import type { ChannelName, ChatClientOptions } from '../client-types';
import type { PickedServer } from '../gateway-client';
import type { CatchUpResult } from './catch-up';
import { DeliveryQueue } from './delivery-queue';
import type { NodeLocator } from './node-locator';
import { ownMessage } from './own-message';
import type { OwnSend } from './own-message';
import { Reconnector } from './reconnector';
import type { RecoveryListener, SessionEnd, ShownOrigin } from './recovery-events';
import { DEFAULT_SEND_RETRY, DEFAULT_SYNC_RETRY, meansNodeHangs, retryPassingFailures } from './send-policy';
import type { SendRetryOptions } from './send-policy';
import { SeenLog } from './seen-log';

export interface ResilientClientOptions {
  /** Where to connect (the gateway, or a list of nodes). */
  locate: NodeLocator;
  /** Defaults to ChatClient.connect. */
  connect?: (url: string, options: ChatClientOptions) => Promise<ChatClient>;
  clientOptions?: ChatClientOptions;
  listener?: RecoveryListener;
  seen?: SeenLog;
  /** How long reconnecting may take before giving up (default 60 s). */
  reconnectWindowMs?: number;
  /** Pauses between reconnect attempts (default 250 ms doubling to 5 s). */
  backoff?: BackoffOptions;
  sendRetry?: SendRetryOptions;
  /** How long a failed catch-up is tried again before what waits behind it shows anyway (default 15 s). */
  syncRetry?: SendRetryOptions;
  /** How long a hole may wait for the message on its way before it is synced (default 300 ms). */
  gapGraceMs?: number;
  /** How far back a conversation new to us is searched for messages that missed us (default 200). */
  lookback?: number;
}

/**
 * One user's stay in the cluster, as a careful client keeps it: it remembers,
 * per conversation, the last seq it saw (its own acknowledged sends count),
 * shows each message once, and recovers: after a drop it resumes (or logs in
 * again) on a live node and syncs every conversation it saw plus what
 * LoginOk.missed lists; a pushed seq past the last one seen syncs that
 * conversation; a SyncHint syncs what it names. Sends carry an idempotency
 * key and are retried with it on 503s, 500s, 429s, timeouts and drops.
 * Nothing more: no conversation is ever re-read from the start.
 */
export class ResilientClient {
  readonly seen: SeenLog;
  private username = '';
  private loggedInAtServer = 0;
  private loggedInAtLocal = 0;
  private readonly joinedAt = new Map<string, number>();
  private readonly listener: RecoveryListener;
  private readonly queue: DeliveryQueue;
  private readonly connection: Reconnector;
  private readonly sendRetry: SendRetryOptions;
  private lastCatchUp: Promise<CatchUpResult> = Promise.resolve({ missed: 0, incomplete: [], refused: [] });

  constructor(options: ResilientClientOptions) {
    this.seen = options.seen ?? new SeenLog();
    this.listener = options.listener ?? {};
    this.sendRetry = options.sendRetry ?? DEFAULT_SEND_RETRY;
    this.queue = new DeliveryQueue({
      seen: this.seen,
      client: () => this.connection.client,
      sessionOver: () => this.connection.ended !== undefined,
      show: (m, origin) => this.show(m, origin),
      listener: this.listener,
      gapGraceMs: options.gapGraceMs ?? 300,
      lookback: options.lookback ?? 200,
      sinceTs: (c) => this.joinedAt.get(c) ?? this.loggedInAtServer,
      syncRetry: options.syncRetry ?? DEFAULT_SYNC_RETRY,
    });
    this.connection = new Reconnector({
      locate: options.locate,
      connect: options.connect ?? ((url, o) => ChatClient.connect(url, o)),
      clientOptions: options.clientOptions ?? {},
      listener: this.listener,
      windowMs: options.reconnectWindowMs ?? 60_000,
      backoff: options.backoff ?? { initialMs: 250, maxMs: 5000 },
      onInstalled: (client) => {
        client.on('message', (m) => this.queue.push(m));
        client.on('syncHint', (h) => this.queue.hint(h));
      },
      onReconnecting: () => this.queue.hold(),
      onReconnected: (ok) => {
        void this.queue.catchUpAll(ok.missed, 'reconnect').catch(() => undefined);
        this.queue.release();
      },
      onGaveUp: () => this.queue.release(),
    });
  }

  get user(): string {
    return this.username;
  }

  /** The node of the current (or last) connection. */
  get nodeId(): string {
    return this.connection.nodeId;
  }

  get connected(): boolean {
    return this.connection.client?.isOpen === true;
  }

  get ended(): { why: SessionEnd; message: string } | undefined {
    return this.connection.ended;
  }

  /** Connects to a node (no login yet). */
  connect(): Promise<PickedServer> {
    return this.connection.connectFirst();
  }

  /**
   * Logs in (connecting first if needed) and queues the catch-up: what
   * LoginOk.missed lists, and every conversation seen before (after a
   * logout), from where we stopped. Pushes that reveal a hole wait behind
   * it, so what was missed shows first; `loginCatchUp()` says when it is done.
   */
  async login(username: string, password: string): Promise<LoginOk> {
    this.queue.hold();
    try {
      const sentAt = Date.now();
      const ok = await this.connection.login(username, password);
      this.username = ok.user?.username ?? username;
      // The server's clock when the login was sent (the pong's time, less what passed since), so
      // that "stored since we logged in" compares server timestamps only.
      const client = await this.current();
      const pong = await client.ping().catch(() => undefined);
      this.loggedInAtLocal = sentAt;
      this.loggedInAtServer = pong ? pong.serverTs - (Date.now() - pong.rttMs / 2 - sentAt) : sentAt;
      this.lastCatchUp = this.queue.catchUpAll(ok.missed, 'login');
      // Reported through the listener as well; a caller need not wait for it.
      this.lastCatchUp.catch(() => undefined);
      return ok;
    } finally {
      this.queue.release();
    }
  }

  /** The catch-up queued by the last login (rejects if it failed; the next gap or reconnect tries again). */
  loginCatchUp(): Promise<CatchUpResult> {
    return this.lastCatchUp;
  }

  /** The live connection; waits while a reconnect is under way, rejects once the session is over. */
  current(): Promise<ChatClient> {
    return this.connection.current();
  }

  sendDirect(to: string, text: string, key: string = randomUUID()): Promise<SendAck> {
    return this.send({ kind: 'direct', to, text }, key, (c) => c.sendDirect(to, text, key));
  }

  sendRoom(room: string, text: string, key: string = randomUUID()): Promise<SendAck> {
    return this.send({ kind: 'room', to: room, text }, key, (c) => c.sendRoom(room, text, key));
  }

  sendChannel(channel: ChannelName, text: string, key: string = randomUUID()): Promise<SendAck> {
    return this.send({ kind: channel, to: channel, text }, key, (c) => c.sendChannel(channel, text, key));
  }

  /** Creates a room (we are its first member). A retry that finds it created joins it instead. */
  async createRoom(room: string): Promise<RoomInfo> {
    let retried = false;
    try {
      const info = await this.retrying(`create ${room}`, (c, attempt) => {
        retried = attempt > 0;
        return c.createRoom(room);
      });
      // A new room: its first message is seq 1.
      this.seen.settle(conversation.room(room), 0);
      return info;
    } catch (error) {
      if (!retried || !(error instanceof ChatClientError) || error.reason !== 'ROOM_EXISTS') throw error;
      const joined = await this.joinRoom(room);
      return joined.room ?? { name: room, memberCount: 0, isMember: true };
    }
  }

  /** Joins a room; from now on its messages are ours (its recent ones count as seen). */
  async joinRoom(room: string): Promise<RoomJoined> {
    const joined = await this.retrying(`join ${room}`, (c) => c.joinRoom(room));
    const key = conversation.room(room);
    const first = joined.recent[0];
    if (first) {
      // What came before the recent messages is history, not something that missed us.
      this.seen.settle(key, first.seq - 1);
      for (const m of joined.recent) this.seen.accept(m);
    } else {
      this.joinedAt.set(key, this.serverNow());
    }
    return joined;
  }

  /** Leaves a room and stops tracking it. */
  async leaveRoom(room: string): Promise<RoomInfo> {
    const info = await this.retrying(`leave ${room}`, (c) => c.leaveRoom(room));
    this.seen.forget(conversation.room(room));
    this.joinedAt.delete(conversation.room(room));
    return info;
  }

  /** Resolves once every push, catch-up and hole check received so far is done. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /**
   * Logs out: closes the connection and does not reconnect, but remembers
   * what it saw, so a later login() catches up from there.
   */
  logout(): Promise<void> {
    return this.connection.logout();
  }

  /** Closes the connection and stops reconnecting. Idempotent. */
  async close(): Promise<void> {
    this.queue.close();
    await this.connection.close();
  }

  private async send(own: OwnSend, key: string, call: (c: ChatClient) => Promise<SendAck>): Promise<SendAck> {
    const ack = await this.retrying(key, call);
    const gap = this.seen.gapBefore(ack);
    if (this.seen.accept(ack)) this.show(ownMessage(ack, own, this.username), 'own');
    this.queue.acknowledged(ack, gap);
    return ack;
  }

  /** Runs `call` until it answers, retrying what isRetryable allows until the send deadline. */
  private retrying<T>(key: string, call: (c: ChatClient, attempt: number) => Promise<T>): Promise<T> {
    return retryPassingFailures(
      this.sendRetry,
      async (attempt) => {
        const client = await this.current();
        try {
          return await call(client, attempt);
        } catch (error) {
          if (!this.ended && meansNodeHangs(error)) this.connection.abandon(client);
          throw error;
        }
      },
      {
        stopped: () => this.ended !== undefined,
        failed: (info) => this.listener.sendFailed?.({ key, ...info }),
      },
    );
  }

  private serverNow(): number {
    return this.loggedInAtServer + (Date.now() - this.loggedInAtLocal);
  }

  private show(m: Parameters<NonNullable<RecoveryListener['message']>>[0], origin: ShownOrigin): void {
    this.listener.message?.(m, origin);
  }
}
