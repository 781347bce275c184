import type { ServerFrame } from '../../gen/chat/v1/client';
import { ChatError, toWireError } from '../core/errors';
import type { Logger } from '../core/logger';
import { encodeServerFrame, encodeServerFrameJson } from '../protocol/codec';
import { CloseCode, closeCodeName } from '../protocol/close-codes';
import type { ClientSocket } from './client-socket';
import { CommandQueue } from './command-queue';
import { dataFrame } from './frame';
import type { CommandTask, EnqueueResult } from './command-queue';

/** What a server frame may carry: a reply or a push. */
export type ServerEvent = NonNullable<ServerFrame['event']>;

/** Set by the login handler; read by the auth gate and the chat layer. */
export interface AuthenticatedUser {
  username: string;
  alliance: string;
  /** Identifies this login cluster-wide; a newer login gets a new one. */
  sid: string;
  /** When the account was created (ms); plugins judge new accounts by it. */
  createdAt: number;
}

export interface ConnectionOptions {
  /** Past this many unsent bytes the client is a slow consumer and is disconnected. */
  maxBufferedBytes: number;
  /** Commands waiting or running per connection; more get a 429 error. */
  maxPendingCommands: number;
  /** Commands of one connection that may overlap once each has done its ordered part. */
  maxInFlightCommands: number;
  /** Replies as JSON text (the chat.v1.json subprotocol) instead of binary protobuf. */
  json: boolean;
  /** How long a close handshake may take before the socket is destroyed. */
  closeGraceMs: number;
  /** Called before every frame written (e.g. to coalesce one turn's frames into one write). */
  beforeWrite?: () => void;
  /**
   * Writes a complete WebSocket frame straight to the TCP socket, for pushes
   * framed once for all their recipients (see ws/frame.ts). Without it, such
   * pushes go through the socket's own send.
   */
  writeFrame?: (frame: Buffer) => void;
}

export type CloseListener = (code: number, reason: string) => void;

/** Close reasons travel in a control frame: at most 123 bytes of UTF-8. */
const MAX_CLOSE_REASON_BYTES = 123;

/**
 * One client WebSocket: sends frames with a bound on what the client has not
 * read yet, runs its commands one at a time, and tells listeners once when it
 * is gone. Everything protocol-specific above the frame level lives elsewhere.
 */
export class ClientConnection {
  /** The logged-in user; undefined until a login succeeds. */
  user: AuthenticatedUser | undefined;
  readonly connectedAt = Date.now();

  private readonly queue: CommandQueue;
  private readonly closeListeners: CloseListener[] = [];
  /** Set when this side decided to close; wins over what the socket reports. */
  private closing: { code: number; reason: string } | undefined;
  private closed = false;
  private graceTimer: NodeJS.Timeout | undefined;
  private awaitingPong = false;

  constructor(
    readonly id: string,
    readonly remoteAddress: string,
    private readonly socket: ClientSocket,
    private readonly options: ConnectionOptions,
    private readonly logger: Logger,
  ) {
    this.queue = new CommandQueue(options.maxPendingCommands, options.maxInFlightCommands, (err) => {
      // The pipeline turns handler errors into replies; reaching here is a bug.
      this.logger.error({ event: 'command-task-failed', connId: id, err }, 'command task threw');
    });
    socket.on('pong', () => {
      this.awaitingPong = false;
    });
    socket.on('close', (code, reason) => this.onSocketClose(code, reason.toString('utf8')));
    // Without a listener, an 'error' (e.g. a frame over maxPayload) would crash the process.
    socket.on('error', (err) => {
      this.logger.info({ event: 'ws-error', connId: id, err: err.message }, 'client WebSocket error');
    });
  }

  /** True until this side starts closing or the socket closes. */
  get isOpen(): boolean {
    return this.closing === undefined && !this.closed && this.socket.readyState === this.socket.OPEN;
  }

  /** Bytes queued on the socket that the client has not taken yet. */
  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  get json(): boolean {
    return this.options.json;
  }

  /**
   * Sends a frame unless the connection is closing. A client that has let more
   * than maxBufferedBytes pile up is disconnected instead: the node must not
   * hold unbounded memory for a client that does not read.
   */
  send(frame: ServerFrame): boolean {
    if (!this.mayWrite()) return false;
    this.options.beforeWrite?.();
    this.socket.send(this.options.json ? encodeServerFrameJson(frame) : encodeServerFrame(frame));
    return true;
  }

  /**
   * Writes an already-encoded frame (a push shared by many recipients): the
   * bytes as they are for binary clients, the JSON text for JSON clients.
   */
  sendEncoded(encoded: {
    bytes: Uint8Array;
    json(): string;
    memo<T>(key: string, make: () => T): T;
  }): boolean {
    if (!this.mayWrite()) return false;
    this.options.beforeWrite?.();
    const json = this.options.json;
    const write = this.options.writeFrame;
    if (write) {
      write(
        json
          ? encoded.memo('ws-text-frame', () => dataFrame(encoded.json()))
          : encoded.memo('ws-binary-frame', () => dataFrame(encoded.bytes)),
      );
    } else {
      this.socket.send(json ? encoded.json() : encoded.bytes);
    }
    return true;
  }

  /** Open and not a slow consumer (which it closes). */
  private mayWrite(): boolean {
    if (!this.isOpen) return false;
    const buffered = this.socket.bufferedAmount;
    if (buffered > this.options.maxBufferedBytes) {
      this.logger.warn(
        {
          event: 'slow-consumer',
          connId: this.id,
          user: this.user?.username,
          bufferedBytes: buffered,
          maxBufferedBytes: this.options.maxBufferedBytes,
        },
        'client does not read fast enough; disconnecting',
      );
      this.close(CloseCode.SLOW_CONSUMER, 'Too much unread data: the client did not keep up.');
      return false;
    }
    return true;
  }

  /** Sends `event` as the reply to request `replyTo` (0 for a push). */
  reply(replyTo: number, event: ServerEvent): boolean {
    return this.send({ replyTo, event });
  }

  /** Sends an Error reply. Unknown errors are logged with their stack and shown as a generic 500. */
  error(replyTo: number, err: unknown): boolean {
    if (!(err instanceof ChatError)) {
      this.logger.error(
        { event: 'command-failed', connId: this.id, user: this.user?.username, replyTo, err },
        'unexpected error while serving a command',
      );
    }
    return this.reply(replyTo, { $case: 'error', value: toWireError(err) });
  }

  /**
   * Starts the close handshake; idempotent. Queued commands are dropped: the
   * client got no acknowledgement for them and may retry with the same
   * idempotency key. The socket is destroyed if the handshake stalls (a slow
   * consumer cannot even read the close frame).
   */
  close(code: number, reason: string): void {
    if (this.closing !== undefined || this.closed) return;
    const trimmed = trimReason(reason);
    this.closing = { code, reason: trimmed };
    this.queue.close();
    this.logger.debug(
      { event: 'ws-closing', connId: this.id, code, codeName: closeCodeName(code) },
      'closing',
    );
    if (!isSendableCloseCode(code)) {
      // 1005/1006/1015 and out-of-range codes cannot go on the wire; drop the socket instead.
      this.socket.terminate();
      return;
    }
    this.graceTimer = setTimeout(() => this.socket.terminate(), this.options.closeGraceMs);
    this.graceTimer.unref();
    this.socket.close(code, trimmed);
  }

  /** Drops the socket without a close handshake (dead peers). */
  terminate(code: number, reason: string): void {
    if (this.closed) return;
    this.closing ??= { code, reason: trimReason(reason) };
    this.queue.close();
    this.socket.terminate();
  }

  /** Called once with the close code this side chose, or the one the client sent. */
  onClose(listener: CloseListener): () => void {
    if (this.closed) {
      const { code, reason } = this.closing ?? { code: 1006, reason: '' };
      queueMicrotask(() => listener(code, reason));
      return () => undefined;
    }
    this.closeListeners.push(listener);
    return () => {
      const i = this.closeListeners.indexOf(listener);
      if (i >= 0) this.closeListeners.splice(i, 1);
    };
  }

  /**
   * Stops taking commands; resolves once those already taken have answered
   * (a drain: their acknowledgements go out before the connection closes).
   */
  drain(): Promise<void> {
    this.queue.seal();
    return this.queue.idle();
  }

  /** Queues a command task; see CommandQueue. */
  enqueue(task: CommandTask): EnqueueResult {
    return this.queue.push(task);
  }

  /**
   * One heartbeat tick: a client that did not answer the previous ping is
   * dead (or too slow to matter) and is dropped; otherwise it is pinged again.
   * With `judge` false (the server's own event loop was stalled) it only pings.
   * Returns false when the connection was dropped.
   */
  heartbeat(judge = true): boolean {
    if (this.closed) return false;
    if (judge && this.awaitingPong) {
      this.logger.info(
        { event: 'heartbeat-timeout', connId: this.id, user: this.user?.username },
        'client missed a ping; dropping it',
      );
      this.terminate(1006, 'No pong since the previous ping.');
      return false;
    }
    if (this.socket.readyState !== this.socket.OPEN) return true;
    this.awaitingPong = true;
    this.socket.ping();
    return true;
  }

  private onSocketClose(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.close();
    if (this.graceTimer !== undefined) clearTimeout(this.graceTimer);
    const final = this.closing ?? { code, reason };
    this.logger.debug(
      { event: 'ws-closed', connId: this.id, code: final.code, codeName: closeCodeName(final.code) },
      'client connection closed',
    );
    const listeners = this.closeListeners.splice(0);
    for (const listener of listeners) {
      try {
        listener(final.code, final.reason);
      } catch (err) {
        this.logger.error({ event: 'close-listener-failed', connId: this.id, err }, 'close listener threw');
      }
    }
  }
}

function trimReason(reason: string): string {
  if (Buffer.byteLength(reason) <= MAX_CLOSE_REASON_BYTES) return reason;
  // Trim by code points so no character is cut in half; reasons are short, the loop is too.
  const chars = Array.from(reason.slice(0, MAX_CLOSE_REASON_BYTES));
  while (Buffer.byteLength(chars.join('')) > MAX_CLOSE_REASON_BYTES) chars.pop();
  return chars.join('');
}

/** Codes an endpoint may send in a close frame (RFC 6455 section 7.4). */
function isSendableCloseCode(code: number): boolean {
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006;
}
