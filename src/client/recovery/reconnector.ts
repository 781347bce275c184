import { setTimeout as sleep } from 'node:timers/promises';
import type { LoginOk } from '../../../gen/chat/v1/client';
import { backoffDelay } from '../../core/backoff';
import type { BackoffOptions } from '../../core/backoff';
import { CloseCode, closeCodeName } from '../../protocol/close-codes';
import type { ChatClient } from '../chat-client';
import { ChatClientError } from '../client-error';
import type { ChatClientOptions } from '../client-types';
import type { PickedServer } from '../gateway-client';
import type { NodeLocator } from './node-locator';
import type { RecoveryListener, SessionEnd } from './recovery-events';

export interface ReconnectorOptions {
  locate: NodeLocator;
  connect: (url: string, options: ChatClientOptions) => Promise<ChatClient>;
  clientOptions: ChatClientOptions;
  listener: RecoveryListener;
  /** How long reconnecting may take before giving up. */
  windowMs: number;
  backoff: BackoffOptions;
  /** A new connection opened: subscribe to its pushes. */
  onInstalled: (client: ChatClient) => void;
  /** A drop: reconnecting starts. */
  onReconnecting: () => void;
  /** Logged in again after a drop: time to catch up. */
  onReconnected: (ok: LoginOk) => void;
  /** Reconnecting ended without a connection. */
  onGaveUp: () => void;
}

/** How long quitting waits for the server to confirm the logout. */
const LOGOUT_TIMEOUT_MS = 2000;

/** Close codes after which reconnecting would only be refused again, or would fight another login. */
const FINAL_CLOSES = new Set<number>([CloseCode.KICKED, CloseCode.RATE_ABUSE, CloseCode.POLICY_VIOLATION]);

/**
 * The connection of a ResilientClient: the first connect and login, and after
 * a drop (a node that died, drained with SERVER_SHUTDOWN, or stopped
 * answering) a new connection to another node, resumed with the newest resume
 * token, or logged in with the password if the token is gone. A login that
 * replaced this one elsewhere (REPLACED) or a kick ends the session instead.
 */
export class Reconnector {
  private current_: ChatClient | undefined;
  private node = '';
  private username = '';
  private password = '';
  private token = '';
  private loggedIn = false;
  private kickedReason = '';
  private endedWith: { why: SessionEnd; message: string } | undefined;
  private reconnecting: Promise<void> | undefined;
  private readonly stopping = new AbortController();

  constructor(private readonly o: ReconnectorOptions) {}

  get client(): ChatClient | undefined {
    return this.current_;
  }

  get nodeId(): string {
    return this.node;
  }

  get ended(): { why: SessionEnd; message: string } | undefined {
    return this.endedWith;
  }

  async connectFirst(): Promise<PickedServer> {
    const server = await this.o.locate({ attempt: 0 });
    const client = await this.o.connect(server.url, this.o.clientOptions);
    this.watch(client);
    this.install(client, server.nodeId);
    return server;
  }

  async login(username: string, password: string): Promise<LoginOk> {
    if (!this.current_?.isOpen) await this.connectFirst();
    const ok = await this.require().login(username, password);
    this.username = ok.user?.username ?? username;
    // Kept in memory only, for when the resume token has expired by the time a reconnect needs it.
    this.password = password;
    this.token = ok.resumeToken;
    this.node = ok.nodeId || this.node;
    this.loggedIn = true;
    return ok;
  }

  async current(): Promise<ChatClient> {
    if (this.reconnecting) await this.reconnecting;
    if (this.endedWith) throw new ChatClientError(0, 'CLOSED', `Not connected: ${this.endedWith.message}`);
    return this.require();
  }

  /** The node stopped answering on `client`: drop the connection, which starts a reconnect. */
  abandon(client: ChatClient): void {
    if (client === this.current_) void client.terminate();
  }

  /** Ends the session (Logout, then close) without reconnecting; login() may start a new one later. */
  async logout(): Promise<void> {
    const client = this.current_;
    const loggedIn = this.loggedIn;
    this.current_ = undefined;
    this.loggedIn = false;
    if (client) await endSession(client, loggedIn, 'logged out');
  }

  /** Logs out (the server revokes the resume token and closes) and stops any reconnect. Idempotent. */
  async close(): Promise<void> {
    this.end('closed', 'Logged out.');
    const client = this.current_;
    this.current_ = undefined;
    if (client) await endSession(client, this.loggedIn, 'client quit');
  }

  private require(): ChatClient {
    if (!this.current_) throw new ChatClientError(0, 'CLOSED', 'Not connected to a chat node.');
    return this.current_;
  }

  /**
   * Listens before the login is even sent: pushes may follow the LoginOk in
   * the same read, before the code awaiting the login runs again.
   */
  private watch(client: ChatClient): void {
    client.on('kicked', (k) => {
      if (this.current_ === client) this.kickedReason = k.reason;
    });
    client.on('close', (code, reason) => this.onClose(client, code, reason));
    this.o.onInstalled(client);
  }

  private install(client: ChatClient, nodeId: string): void {
    this.current_ = client;
    this.node = nodeId;
  }

  private onClose(client: ChatClient, code: number, reason: string): void {
    if (this.current_ !== client || this.endedWith) return;
    const why = reason || this.kickedReason;
    if (code === CloseCode.REPLACED) {
      this.end(
        'replaced',
        `Another login of ${this.username || 'this user'} took over this session${why ? ` (${why})` : ''}.`,
      );
      return;
    }
    if (FINAL_CLOSES.has(code)) {
      this.end('kicked', `The server closed the session (${closeCodeName(code)}${why ? `: ${why}` : ''}).`);
      return;
    }
    // Before login there is nothing to resume: the next login() connects again.
    if (!this.loggedIn) return;
    this.o.listener.lost?.({ nodeId: this.node, code, reason });
    this.o.onReconnecting();
    this.reconnecting ??= this.reconnect(this.node).finally(() => {
      this.reconnecting = undefined;
    });
  }

  private async reconnect(lost: string): Promise<void> {
    await this.tryReconnect(lost);
    if (this.endedWith || !this.current_?.isOpen) this.o.onGaveUp();
  }

  private async tryReconnect(lost: string): Promise<void> {
    const deadline = Date.now() + this.o.windowMs;
    // Bounded: every failed attempt waits, and the loop ends at the deadline.
    for (let attempt = 1; !this.endedWith; attempt++) {
      try {
        const ok = await this.resumeSomewhere(attempt, lost);
        this.o.listener.reconnected?.({ nodeId: this.node, username: this.username });
        this.o.onReconnected(ok);
        return;
      } catch (error) {
        if (this.endedWith) return;
        if (error instanceof ChatClientError && error.code === 401) {
          this.end('gave-up', `Could not log in again: ${error.message}`);
          return;
        }
        const asked = error instanceof ChatClientError ? error.retryAfterMs : 0;
        const delayMs = asked > 0 ? asked : backoffDelay(attempt - 1, this.o.backoff);
        if (Date.now() + delayMs > deadline) {
          const detail = error instanceof Error ? error.message : String(error);
          this.end(
            'gave-up',
            `Could not reconnect within ${Math.round(this.o.windowMs / 1000)} s: ${detail}`,
          );
          return;
        }
        this.o.listener.retry?.({ attempt, delayMs, error });
        await sleep(delayMs, undefined, { signal: this.stopping.signal }).catch(() => undefined);
      }
    }
  }

  /** One attempt: a node from the locator, then resume (or the password if the token is gone). */
  private async resumeSomewhere(attempt: number, lost: string): Promise<LoginOk> {
    const server = await this.o.locate({ attempt, avoid: lost });
    const client = await this.o.connect(server.url, this.o.clientOptions);
    this.watch(client);
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
      this.token = ok.resumeToken || this.token;
      this.install(client, ok.nodeId || server.nodeId);
      return ok;
    } catch (error) {
      void client.close();
      throw error;
    }
  }

  private end(why: SessionEnd, message: string): void {
    if (this.endedWith) return;
    this.endedWith = { why, message };
    this.stopping.abort();
    if (why !== 'closed') this.o.listener.ended?.({ why, message });
  }
}

/** Logout (the token stops working), then close. An unreachable node must not hold up quitting. */
async function endSession(client: ChatClient, loggedIn: boolean, reason: string): Promise<void> {
  if (loggedIn && client.isOpen) await client.logout({ timeoutMs: LOGOUT_TIMEOUT_MS }).catch(() => undefined);
  await client.close(1000, reason);
}
