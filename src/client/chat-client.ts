import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import type { RawData } from 'ws';
import { Channel } from '../../gen/chat/v1/client';
import type {
  ChatMessage,
  ClientFrame,
  HistoryPage,
  Kicked,
  LoginOk,
  Pong,
  RoomInfo,
  RoomJoined,
  SendAck,
  ServerFrame,
  SyncPosition,
  SyncHint,
  SyncResult,
  UserInfo,
  WordCount,
} from '../../gen/chat/v1/client';
import {
  decodeServerFrame,
  decodeServerFrameJson,
  encodeClientFrame,
  encodeClientFrameJson,
} from '../protocol/codec';
import { SUBPROTOCOL_BINARY, SUBPROTOCOL_JSON, closeCodeName } from '../protocol/close-codes';

export type ClientCommand = NonNullable<ClientFrame['cmd']>;
export type ServerEvent = NonNullable<ServerFrame['event']>;
type EventOf<K extends ServerEvent['$case']> = Extract<ServerEvent, { $case: K }>['value'];

/**
 * A failed request. `code`/`reason` come from the server's Error reply; local
 * failures use code 0 with reason TIMEOUT, CLOSED, CONNECT_FAILED or UNEXPECTED_REPLY.
 */
export class ChatClientError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    /** The command that failed, when there was one. */
    readonly command?: string,
    /** For a 429 that names its delay (Error.retry_after_ms); 0 otherwise. */
    readonly retryAfterMs = 0,
  ) {
    super(message);
    this.name = 'ChatClientError';
  }
}

export interface ChatClientOptions {
  /** Speak the chat.v1.json text subprotocol instead of binary protobuf. */
  json?: boolean;
  /** Default time to wait for a reply; 10 s. */
  requestTimeoutMs?: number;
  /** Time to wait for the WebSocket to open; 10 s. */
  connectTimeoutMs?: number;
  /** Received messages kept for waitForMessage; 1000. */
  inboxSize?: number;
  /** Local address to connect from (e.g. another loopback address in tests of per-address limits). */
  localAddress?: string;
}

export interface ChatClientEvents {
  /** A chat message pushed by the server. */
  message: [ChatMessage];
  /** The server removed this login (e.g. a newer login elsewhere); a close follows. */
  kicked: [Kicked];
  /** The server says messages may have missed this client: sync what it lists. */
  syncHint: [SyncHint];
  close: [code: number, reason: string];
  /** An Error the server sent without a request id (e.g. an undecodable frame). */
  serverError: [ChatClientError];
}

/** What a ChatClient needs of its socket: a `ws` WebSocket, or an in-process MemorySocket. */
export interface ClientSideSocket {
  readonly readyState: number;
  send(data: Uint8Array | string, options?: { binary?: boolean }): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  on(event: 'message', listener: (data: RawData, isBinary: boolean) => void): unknown;
  on(event: 'close', listener: (code: number, reason: Buffer) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

interface Pending {
  command: string;
  resolve: (event: ServerEvent) => void;
  reject: (err: ChatClientError) => void;
  timer: NodeJS.Timeout;
}

/**
 * Node client for the chat WebSocket protocol, used by the terminal client,
 * tests and benchmarks. Requests are matched to replies by id; pushes arrive
 * as events.
 */
export class ChatClient {
  private readonly emitter = new EventEmitter();
  private readonly pending = new Map<number, Pending>();
  private readonly inbox: ChatMessage[] = [];
  private readonly requestTimeoutMs: number;
  private readonly inboxSize: number;
  private nextId = 0;
  private closeInfo: { code: number; reason: string } | undefined;
  private readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(
    private readonly socket: ClientSideSocket,
    readonly url: string,
    readonly json: boolean,
    options: ChatClientOptions,
  ) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.inboxSize = options.inboxSize ?? 1000;
    // Many listeners (one per waitForMessage) are normal in tests.
    this.emitter.setMaxListeners(0);
    socket.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString('utf8') };
        this.failPending();
        this.emitter.emit('close', code, this.closeInfo.reason);
        resolve(this.closeInfo);
      });
    });
    // Errors surface through 'close' and rejected requests.
    socket.on('error', () => undefined);
  }

  /** A client over a socket that is already open (e.g. one end of a MemorySocket pair). */
  static over(socket: ClientSideSocket, url: string, options: ChatClientOptions = {}): ChatClient {
    return new ChatClient(socket, url, options.json ?? false, options);
  }

  /** Opens a connection; rejects with CONNECT_FAILED naming the URL. */
  static connect(url: string, options: ChatClientOptions = {}): Promise<ChatClient> {
    const json = options.json ?? false;
    const timeoutMs = options.connectTimeoutMs ?? 10_000;
    const socket = new WebSocket(url, [json ? SUBPROTOCOL_JSON : SUBPROTOCOL_BINARY], {
      perMessageDeflate: false,
      maxPayload: 8 * 1024 * 1024,
      handshakeTimeout: timeoutMs,
      localAddress: options.localAddress,
    });
    return new Promise((resolve, reject) => {
      const detach = (): void => {
        socket.off('open', onOpen);
        socket.off('error', onError);
        socket.off('unexpected-response', onResponse);
      };
      const fail = (detail: string): void => {
        detach();
        socket.on('error', () => undefined);
        socket.terminate();
        reject(new ChatClientError(0, 'CONNECT_FAILED', `Cannot connect to ${url}: ${detail}`));
      };
      const onOpen = (): void => {
        detach();
        resolve(new ChatClient(socket, url, json, options));
      };
      const onError = (err: Error): void => fail(err.message);
      const onResponse = (_req: unknown, res: { statusCode?: number }): void =>
        fail(`HTTP ${res.statusCode ?? '?'} instead of a WebSocket upgrade`);
      socket.on('open', onOpen);
      socket.on('error', onError);
      socket.on('unexpected-response', onResponse);
    });
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** Close code and reason once closed. */
  get closeStatus(): { code: number; reason: string } | undefined {
    return this.closeInfo;
  }

  /** Resolves when the connection has closed. */
  waitClosed(): Promise<{ code: number; reason: string }> {
    return this.closed;
  }

  on<E extends keyof ChatClientEvents>(event: E, listener: (...args: ChatClientEvents[E]) => void): this {
    this.emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<E extends keyof ChatClientEvents>(event: E, listener: (...args: ChatClientEvents[E]) => void): this {
    this.emitter.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Sends a command; resolves with the reply event, rejects with ChatClientError on an Error reply. */
  request(cmd: ClientCommand, options: { timeoutMs?: number } = {}): Promise<ServerEvent> {
    if (!this.isOpen) {
      return Promise.reject(
        new ChatClientError(0, 'CLOSED', `Cannot send ${cmd.$case}: the connection is closed.`, cmd.$case),
      );
    }
    const id = this.allocateId();
    const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new ChatClientError(
            0,
            'TIMEOUT',
            `No reply to ${cmd.$case} (request ${id}) from ${this.url} within ${timeoutMs} ms.`,
            cmd.$case,
          ),
        );
      }, timeoutMs);
      this.pending.set(id, { command: cmd.$case, resolve, reject, timer });
      const frame: ClientFrame = { id, cmd };
      this.socket.send(this.json ? encodeClientFrameJson(frame) : encodeClientFrame(frame));
    });
  }

  /** Sends bytes (binary) or text as they are: for tests of the server's input handling. */
  sendRaw(data: Uint8Array | string): void {
    this.socket.send(data, { binary: typeof data !== 'string' });
  }

  login(username: string, password: string): Promise<LoginOk> {
    return this.call({ $case: 'login', value: { username, password, resumeToken: '' } }, 'loginOk');
  }

  /** Logs in with the resume token of an earlier login. */
  resume(resumeToken: string, username = ''): Promise<LoginOk> {
    return this.call({ $case: 'login', value: { username, password: '', resumeToken } }, 'loginOk');
  }

  /** Ends the session for good (its resume token stops working); the server then closes with 1000. */
  async logout(options: { timeoutMs?: number } = {}): Promise<void> {
    const event = await this.request({ $case: 'logout', value: {} }, options);
    if (event.$case !== 'loggedOut') {
      throw new ChatClientError(0, 'UNEXPECTED_REPLY', `Expected loggedOut, got ${event.$case}.`, 'logout');
    }
  }

  async ping(): Promise<Pong & { rttMs: number }> {
    const start = Date.now();
    const pong = await this.call({ $case: 'ping', value: { clientTs: start } }, 'pong');
    return { ...pong, rttMs: Date.now() - start };
  }

  sendDirect(to: string, text: string, idempotencyKey = ''): Promise<SendAck> {
    return this.call({ $case: 'sendDirect', value: { to, text, idempotencyKey } }, 'sendAck');
  }

  sendRoom(room: string, text: string, idempotencyKey = ''): Promise<SendAck> {
    return this.call({ $case: 'sendRoom', value: { room, text, idempotencyKey } }, 'sendAck');
  }

  sendChannel(channel: 'world' | 'alliance' | Channel, text: string, idempotencyKey = ''): Promise<SendAck> {
    const value =
      channel === 'world'
        ? Channel.CHANNEL_WORLD
        : channel === 'alliance'
          ? Channel.CHANNEL_ALLIANCE
          : channel;
    return this.call({ $case: 'sendChannel', value: { channel: value, text, idempotencyKey } }, 'sendAck');
  }

  createRoom(room: string): Promise<RoomInfo> {
    return this.call({ $case: 'createRoom', value: { room } }, 'roomCreated');
  }

  joinRoom(room: string): Promise<RoomJoined> {
    return this.call({ $case: 'joinRoom', value: { room } }, 'roomJoined');
  }

  leaveRoom(room: string): Promise<RoomInfo> {
    return this.call({ $case: 'leaveRoom', value: { room } }, 'roomLeft');
  }

  async listRooms(): Promise<RoomInfo[]> {
    return (await this.call({ $case: 'listRooms', value: {} }, 'roomList')).rooms;
  }

  userInfo(username: string): Promise<UserInfo> {
    return this.call({ $case: 'getUserInfo', value: { username } }, 'userInfo');
  }

  async popular(limit = 10): Promise<WordCount[]> {
    return (await this.call({ $case: 'getPopular', value: { limit } }, 'popular')).words;
  }

  history(
    target: { room: string } | { peer: string },
    options: { limit?: number; cursor?: string } = {},
  ): Promise<HistoryPage> {
    const t =
      'room' in target
        ? { $case: 'room' as const, value: target.room }
        : { $case: 'peer' as const, value: target.peer };
    return this.call(
      { $case: 'getHistory', value: { target: t, limit: options.limit ?? 0, cursor: options.cursor ?? '' } },
      'history',
    );
  }

  sync(positions: SyncPosition[], limit = 0): Promise<SyncResult> {
    return this.call({ $case: 'sync', value: { positions, limit } }, 'sync');
  }

  /** The last `inboxSize` messages received, oldest first. */
  received(): ChatMessage[] {
    return [...this.inbox];
  }

  /**
   * Resolves with the first message matching `predicate`: among the last
   * `inboxSize` messages already received, else the next one to arrive.
   */
  waitForMessage(predicate: (m: ChatMessage) => boolean, timeoutMs = 5000): Promise<ChatMessage> {
    const seen = this.inbox.find(predicate);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        this.off('message', onMessage);
        this.off('close', onClose);
      };
      const onMessage = (m: ChatMessage): void => {
        if (!predicate(m)) return;
        cleanup();
        resolve(m);
      };
      const onClose = (code: number): void => {
        cleanup();
        reject(
          new ChatClientError(
            0,
            'CLOSED',
            `Connection to ${this.url} closed (${closeCodeName(code)}) while waiting for a message.`,
          ),
        );
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new ChatClientError(0, 'TIMEOUT', `No matching message from ${this.url} within ${timeoutMs} ms.`),
        );
      }, timeoutMs);
      this.on('message', onMessage);
      this.on('close', onClose);
    });
  }

  /** Messages received so far (the last `inboxSize`), oldest first. */
  get messages(): readonly ChatMessage[] {
    return this.inbox;
  }

  /** Closes the connection; resolves when it is closed. */
  close(code = 1000, reason = ''): Promise<{ code: number; reason: string }> {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) {
      this.socket.close(code, reason);
      // A server that never completes the handshake must not hang the caller.
      const timer = setTimeout(() => this.socket.terminate(), 2000);
      void this.closed.then(() => clearTimeout(timer));
    }
    return this.closed;
  }

  private async call<K extends ServerEvent['$case']>(cmd: ClientCommand, expected: K): Promise<EventOf<K>> {
    const event = await this.request(cmd);
    if (event.$case !== expected) {
      throw new ChatClientError(
        0,
        'UNEXPECTED_REPLY',
        `Expected ${expected} in reply to ${cmd.$case}, got ${event.$case}.`,
        cmd.$case,
      );
    }
    return event.value as EventOf<K>;
  }

  private allocateId(): number {
    // Ids are uint32 and 0 means "no request"; skip ids still in flight after wrapping.
    for (let tries = 0; tries < 1000; tries++) {
      this.nextId = this.nextId >= 0xffffffff ? 1 : this.nextId + 1;
      if (!this.pending.has(this.nextId)) return this.nextId;
    }
    throw new ChatClientError(0, 'TOO_MANY_PENDING', 'Too many requests in flight.');
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    let frame: ServerFrame;
    try {
      const bytes = Buffer.isBuffer(data)
        ? data
        : Array.isArray(data)
          ? Buffer.concat(data)
          : Buffer.from(data);
      frame = isBinary ? decodeServerFrame(bytes) : decodeServerFrameJson(bytes.toString('utf8'));
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      this.emitter.emit(
        'serverError',
        new ChatClientError(0, 'MALFORMED_FRAME', `Unreadable frame from the server: ${detail}`),
      );
      return;
    }
    const event = frame.event;
    if (event === undefined) return;
    if (frame.replyTo !== 0) {
      const pending = this.pending.get(frame.replyTo);
      if (pending === undefined) return; // timed out already
      this.pending.delete(frame.replyTo);
      clearTimeout(pending.timer);
      if (event.$case === 'error') {
        const e = event.value;
        pending.reject(new ChatClientError(e.code, e.reason, e.message, pending.command, e.retryAfterMs));
      } else {
        pending.resolve(event);
      }
      return;
    }
    switch (event.$case) {
      case 'message':
        this.inbox.push(event.value);
        if (this.inbox.length > this.inboxSize) this.inbox.shift();
        this.emitter.emit('message', event.value);
        return;
      case 'kicked':
        this.emitter.emit('kicked', event.value);
        return;
      case 'syncHint':
        this.emitter.emit('syncHint', event.value);
        return;
      case 'error':
        this.emitter.emit(
          'serverError',
          new ChatClientError(event.value.code, event.value.reason, event.value.message),
        );
        return;
      default:
        return;
    }
  }

  private failPending(): void {
    const { code, reason } = this.closeInfo ?? { code: 1006, reason: '' };
    const why = `${closeCodeName(code)}${reason ? `: ${reason}` : ''}`;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(
        new ChatClientError(
          0,
          'CLOSED',
          `Connection to ${this.url} closed (${why}) before the reply to ${p.command} (request ${id}).`,
          p.command,
        ),
      );
    }
    this.pending.clear();
  }
}
