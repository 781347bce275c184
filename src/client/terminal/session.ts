import { setTimeout as sleep } from 'node:timers/promises';
import type { ChatMessage, LoginOk, SyncPosition } from '../../../gen/chat/v1/client';
import { CloseCode, closeCodeName } from '../../protocol/close-codes';
import { ChatClient, ChatClientError } from '../chat-client';
import type { ChatClientOptions } from '../chat-client';
import { pickServer } from '../gateway-client';
import type { PickedServer } from '../gateway-client';
import { backoffDelay } from '../../core/backoff';
import { CatchUp } from './catch-up';
import type { SeenMessages } from './seen';

/** How long quitting waits for the server to confirm the logout. */
const LOGOUT_TIMEOUT_MS = 2000;

/** Why a session ended for good. */
export type SessionEnd = 'replaced' | 'kicked' | 'gave-up' | 'closed';

/** What the session tells the screen. */
export interface SessionListener {
  /** A message not shown before: pushed live, or found by the catch-up after a reconnect. */
  message(m: ChatMessage, origin: 'live' | 'missed'): void;
  /** The connection closed unexpectedly; reconnecting starts. */
  lost(info: { nodeId: string; code: number; reason: string }): void;
  /** A reconnect attempt failed; the next one follows after `delayMs`. */
  retry(info: { attempt: number; delayMs: number; error: unknown }): void;
  reconnected(info: { nodeId: string; username: string }): void;
  /** The catch-up after a reconnect is done. `incomplete`: conversations whose gap history could not fill. */
  caughtUp(info: { missed: number; incomplete: string[]; error?: unknown }): void;
  /** No more reconnects: the session is over. */
  ended(info: { why: SessionEnd; message: string }): void;
}

export interface ChatSessionOptions {
  gatewayUrl: string;
  /** JSON subprotocol instead of binary protobuf. */
  json: boolean;
  seen: SeenMessages;
  listener: SessionListener;
  /** How long reconnecting may take before giving up (default 60 s). */
  reconnectWindowMs?: number;
  /** First and largest pause between reconnect attempts (default 250 ms and 5 s). */
  backoff?: { initialMs: number; maxMs: number };
  /** Tests inject these; the defaults are the gateway client and ChatClient.connect. */
  pick?: (gatewayUrl: string) => Promise<PickedServer>;
  connect?: (url: string, options: ChatClientOptions) => Promise<ChatClient>;
}

/**
 * One user's stay in the cluster across node failures: connects through the
 * gateway, logs in, and when the connection drops, asks the gateway again,
 * resumes with the newest resume token on a live node and catches up with
 * what it missed. Room membership lives on the server, so nothing is re-joined.
 */
export class ChatSession {
  private client: ChatClient | undefined;
  private username = '';
  private password = '';
  private token = '';
  private nodeIdValue = '';
  private loggedIn = false;
  /** Server time of the first login: messages since then are ours to show. */
  private loggedInAt = 0;
  private endedWith: { why: SessionEnd; message: string } | undefined;
  private kickedReason = '';
  private reconnecting: Promise<void> | undefined;
  private inbound: Promise<void> = Promise.resolve();
  private readonly stopping = new AbortController();
  private readonly pick: (gatewayUrl: string) => Promise<PickedServer>;
  private readonly connectTo: (url: string, options: ChatClientOptions) => Promise<ChatClient>;

  private readonly catchUpper: CatchUp;

  constructor(private readonly options: ChatSessionOptions) {
    this.catchUpper = new CatchUp(options.seen, options.listener);
    this.pick = options.pick ?? ((url) => pickServer(url));
    this.connectTo = options.connect ?? ((url, o) => ChatClient.connect(url, o));
  }

  get user(): string {
    return this.username;
  }

  get nodeId(): string {
    return this.nodeIdValue;
  }

  get ended(): { why: SessionEnd; message: string } | undefined {
    return this.endedWith;
  }

  /** Asks the gateway for a node and connects to it (no login yet). */
  async connect(): Promise<PickedServer> {
    const server = await this.pick(this.options.gatewayUrl);
    const client = await this.connectTo(server.url, { json: this.options.json });
    this.install(client, server.nodeId);
    return server;
  }

  /** Logs in on the current connection (connecting first if it was lost meanwhile). */
  async login(username: string, password: string): Promise<LoginOk> {
    if (!this.client?.isOpen) await this.connect();
    const client = this.requireClient();
    const ok = await client.login(username, password);
    this.username = ok.user?.username ?? username;
    // Kept in memory only, for when the resume token has expired by the time a reconnect needs it.
    this.password = password;
    this.token = ok.resumeToken;
    this.nodeIdValue = ok.nodeId || this.nodeIdValue;
    this.loggedIn = true;
    // The server's clock, so that "sent since we logged in" compares server timestamps only.
    this.loggedInAt = await client.ping().then(
      (pong) => pong.serverTs,
      () => Date.now(),
    );
    return ok;
  }

  /** The live connection; waits while a reconnect is under way, rejects once the session is over. */
  async current(): Promise<ChatClient> {
    if (this.reconnecting) await this.reconnecting;
    if (this.endedWith) {
      throw new ChatClientError(0, 'CLOSED', `Not connected: ${this.endedWith.message}`);
    }
    return this.requireClient();
  }

  /**
   * Fetches and shows (as 'missed' messages) what came after `positions`,
   * e.g. the direct conversations a login reports as changed while offline.
   */
  async fetchMissed(positions: readonly SyncPosition[]): Promise<{ missed: number; incomplete: string[] }> {
    return this.catchUpper.syncFrom(await this.current(), positions);
  }

  /**
   * Logs out (the server revokes the resume token and closes the connection)
   * and stops any reconnect. Idempotent.
   */
  async close(): Promise<void> {
    this.end('closed', 'Logged out.');
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    // An unreachable node must not hold up quitting; its token then expires on its own.
    if (this.loggedIn && client.isOpen)
      await client.logout({ timeoutMs: LOGOUT_TIMEOUT_MS }).catch(() => undefined);
    await client.close(1000, 'client quit');
  }

  private requireClient(): ChatClient {
    if (!this.client) throw new ChatClientError(0, 'CLOSED', 'Not connected to a chat node.');
    return this.client;
  }

  private install(client: ChatClient, nodeId: string): void {
    this.client = client;
    this.nodeIdValue = nodeId;
    client.on('message', (m) => {
      if (this.client !== client) return;
      // One at a time, so a gap is filled before the messages after it are shown.
      this.inbound = this.inbound.then(() => this.onLive(client, m));
    });
    client.on('kicked', (k) => {
      if (this.client === client) this.kickedReason = k.reason;
    });
    client.on('close', (code, reason) => this.onClose(client, code, reason));
  }

  /**
   * A pushed message. When its seq skips past the last one seen in its
   * conversation, something was acknowledged to the sender but not pushed to
   * us (e.g. sent while the cluster was changing leader): fetch the gap first,
   * so that it shows in order. In a conversation new to us, the same holds
   * for the messages just before it that were sent since we logged in.
   */
  private async onLive(client: ChatClient, m: ChatMessage): Promise<void> {
    const seen = this.options.seen;
    const last = seen.seqOf(m.conversation);
    try {
      if (last > 0 && m.seq > last + 1) {
        await this.catchUpper.syncFrom(client, [{ conversation: m.conversation, afterSeq: last }]);
      } else if (last === 0 && m.seq > 1) {
        await this.catchUpper.fillBefore(client, m, this.loggedInAt);
      }
    } catch {
      // The live message still shows; /history has the rest.
    }
    if (seen.accept(m)) this.options.listener.message(m, 'live');
  }

  private onClose(client: ChatClient, code: number, reason: string): void {
    if (this.client !== client || this.endedWith) return;
    const why = reason || this.kickedReason;
    if (code === CloseCode.REPLACED) {
      this.end(
        'replaced',
        `Another login of ${this.username || 'this user'} took over this session${why ? ` (${why})` : ''}.`,
      );
      return;
    }
    if (code === CloseCode.KICKED || code === CloseCode.RATE_ABUSE || code === CloseCode.POLICY_VIOLATION) {
      this.end('kicked', `The server closed the session (${closeCodeName(code)}${why ? `: ${why}` : ''}).`);
      return;
    }
    // Before login there is nothing to resume: the next login() connects again.
    if (!this.loggedIn) return;
    this.options.listener.lost({ nodeId: this.nodeIdValue, code, reason });
    this.reconnecting ??= this.reconnect().finally(() => {
      this.reconnecting = undefined;
    });
  }

  private async reconnect(): Promise<void> {
    const windowMs = this.options.reconnectWindowMs ?? 60_000;
    const { initialMs, maxMs } = this.options.backoff ?? { initialMs: 250, maxMs: 5000 };
    const deadline = Date.now() + windowMs;
    // Bounded: every failed attempt waits, and the loop ends at the deadline.
    for (let attempt = 1; !this.endedWith; attempt++) {
      try {
        const ok = await this.resumeSomewhere();
        this.options.listener.reconnected({ nodeId: this.nodeIdValue, username: this.username });
        await this.catchUp(ok.missed);
        return;
      } catch (error) {
        if (this.endedWith) return;
        if (error instanceof ChatClientError && error.code === 401) {
          this.end('gave-up', `Could not log in again: ${error.message}`);
          return;
        }
        const delayMs = backoffDelay(attempt - 1, { initialMs, maxMs });
        if (Date.now() + delayMs > deadline) {
          const detail = error instanceof Error ? error.message : String(error);
          this.end('gave-up', `Could not reconnect within ${Math.round(windowMs / 1000)} s: ${detail}`);
          return;
        }
        this.options.listener.retry({ attempt, delayMs, error });
        await sleep(delayMs, undefined, { signal: this.stopping.signal }).catch(() => undefined);
      }
    }
  }

  /** One attempt: a node from the gateway, then resume (or the password if the token is gone). */
  private async resumeSomewhere(): Promise<LoginOk> {
    const server = await this.pick(this.options.gatewayUrl);
    const client = await this.connectTo(server.url, { json: this.options.json });
    try {
      let ok: LoginOk;
      try {
        ok = await client.resume(this.token, this.username);
      } catch (error) {
        const expired = error instanceof ChatClientError && error.reason === 'BAD_RESUME_TOKEN';
        if (!expired || !this.password) throw error;
        ok = await client.login(this.username, this.password);
      }
      if (this.endedWith) {
        // Quit while reconnecting: the session just resumed ends too, with its new token.
        await client.logout({ timeoutMs: LOGOUT_TIMEOUT_MS }).catch(() => undefined);
        throw new ChatClientError(0, 'CLOSED', 'The session ended while reconnecting.');
      }
      this.kickedReason = '';
      this.install(client, ok.nodeId || server.nodeId);
      this.token = ok.resumeToken || this.token;
      return ok;
    } catch (error) {
      void client.close();
      throw error;
    }
  }

  /**
   * After a reconnect: what came after the last message seen in each
   * conversation, plus the direct conversations the server says changed
   * while we were offline.
   */
  private async catchUp(reported: readonly SyncPosition[] = []): Promise<void> {
    const seen = this.options.seen;
    const positions = [...seen.positions(), ...reported.filter((p) => seen.seqOf(p.conversation) === 0)];
    try {
      const result = await this.catchUpper.syncFrom(this.requireClient(), positions);
      this.options.listener.caughtUp(result);
    } catch (error) {
      // A failed catch-up leaves a working connection; report it rather than reconnecting again.
      this.options.listener.caughtUp({ missed: 0, incomplete: [], error });
    }
  }

  private end(why: SessionEnd, message: string): void {
    if (this.endedWith) return;
    this.endedWith = { why, message };
    this.stopping.abort();
    if (why !== 'closed') this.options.listener.ended({ why, message });
  }
}
