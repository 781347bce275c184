import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import type { RawData } from 'ws';
import type { Channel } from '../../gen/chat/v1/client';
import type {
  ChatMessage,
  ClientFrame,
  HistoryPage,
  LoginOk,
  Pong,
  RoomInfo,
  RoomJoined,
  SendAck,
  SyncPosition,
  SyncResult,
  UserInfo,
  WordCount,
} from '../../gen/chat/v1/client';
import { encodeClientFrame, encodeClientFrameJson } from '../protocol/codec';
import { closeCodeName } from '../protocol/close-codes';
import { ChatClientError } from './client-error';
import { channelOf, historyTargetOf } from './client-types';
import type {
  ChannelName,
  ChatClientEvents,
  ChatClientOptions,
  ClientCommand,
  ClientSideSocket,
  EventOf,
  HistoryTarget,
  ServerEvent,
} from './client-types';
import { MessageInbox } from './message-inbox';
import { decodeFrame, openSocket } from './open-socket';
import { PendingRequests } from './pending-requests';

export { ChatClientError } from './client-error';
export type {
  ChatClientEvents,
  ChatClientOptions,
  ClientCommand,
  ClientSideSocket,
  ServerEvent,
} from './client-types';

/**
 * Node client for the chat WebSocket protocol, used by the terminal client,
 * tests and benchmarks. Requests are matched to replies by id; pushes arrive
 * as events. One connection: src/client/recovery/ keeps a user's stay across
 * connections.
 */
export class ChatClient {
  private readonly emitter = new EventEmitter();
  private readonly pending: PendingRequests;
  private readonly inbox: MessageInbox;
  private readonly requestTimeoutMs: number;
  private closeInfo: { code: number; reason: string } | undefined;
  private readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(
    private readonly socket: ClientSideSocket,
    readonly url: string,
    readonly json: boolean,
    options: ChatClientOptions,
  ) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.pending = new PendingRequests(url);
    this.inbox = new MessageInbox(this, options.inboxSize ?? 1000);
    // Many listeners (one per waitForMessage) are normal in tests.
    this.emitter.setMaxListeners(0);
    socket.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        const info = { code, reason: reason.toString('utf8') };
        this.closeInfo = info;
        this.pending.failAll(`${closeCodeName(code)}${info.reason ? `: ${info.reason}` : ''}`);
        this.emitter.emit('close', code, info.reason);
        resolve(info);
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
  static async connect(url: string, options: ChatClientOptions = {}): Promise<ChatClient> {
    const socket = await openSocket(url, options);
    return new ChatClient(socket, url, options.json ?? false, options);
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
    const { id, reply } = this.pending.open(cmd, options.timeoutMs ?? this.requestTimeoutMs);
    const frame: ClientFrame = { id, cmd };
    this.socket.send(this.json ? encodeClientFrameJson(frame) : encodeClientFrame(frame));
    return reply;
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

  sendChannel(channel: ChannelName | Channel, text: string, idempotencyKey = ''): Promise<SendAck> {
    const value = channelOf(channel);
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

  history(target: HistoryTarget, options: { limit?: number; cursor?: string } = {}): Promise<HistoryPage> {
    const t = historyTargetOf(target);
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
    return [...this.inbox.messages];
  }

  /**
   * Resolves with the first message matching `predicate`: among the last
   * `inboxSize` messages already received, else the next one to arrive.
   */
  waitForMessage(predicate: (m: ChatMessage) => boolean, timeoutMs = 5000): Promise<ChatMessage> {
    return this.inbox.waitFor(predicate, timeoutMs);
  }

  /** Messages received so far (the last `inboxSize`), oldest first. */
  get messages(): readonly ChatMessage[] {
    return this.inbox.messages;
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

  /** Drops the connection at once, without a closing handshake (a node that stopped answering). */
  terminate(): Promise<{ code: number; reason: string }> {
    this.socket.terminate();
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

  private onFrame(data: RawData, isBinary: boolean): void {
    const frame = decodeFrame(data, isBinary);
    if (frame instanceof ChatClientError) {
      this.emitter.emit('serverError', frame);
      return;
    }
    const event = frame.event;
    if (event === undefined) return;
    if (frame.replyTo !== 0) {
      this.pending.settle(frame.replyTo, event);
      return;
    }
    this.onPush(event);
  }

  private onPush(event: ServerEvent): void {
    switch (event.$case) {
      case 'message':
        this.inbox.add(event.value);
        this.emitter.emit('message', event.value);
        return;
      case 'syncHint':
        this.emitter.emit('syncHint', event.value);
        return;
      case 'kicked':
        this.emitter.emit('kicked', event.value);
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
}
