import WebSocket from 'ws';
import type { ClientOptions } from 'ws';
import type { ClientFrame, ServerFrame } from '../../gen/chat/v1/client';
import { waitFor } from '../../src/core/wait-for';
import { decodeServerFrame, decodeServerFrameJson, encodeClientFrame } from '../../src/protocol/codec';
import { SUBPROTOCOL_BINARY } from '../../src/protocol/close-codes';
import type { TestScope } from './scope';

export interface RawClientOptions {
  /** Subprotocol to ask for (default binary protobuf). */
  protocol?: string;
  /** Passed to `ws` (e.g. autoPong: false for a client that never answers pings). */
  ws?: ClientOptions;
  /** Terminates the socket at scope close; without it, call close(). */
  scope?: TestScope;
}

/**
 * A bare `ws` client for the tests that need to send what ChatClient never
 * would (truncated frames, unknown fields, raw bytes): it sends frames or
 * bytes as given and records every frame the server sends back.
 */
export class RawClient {
  readonly frames: Array<{ frame: ServerFrame; isBinary: boolean }> = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data, isBinary) => {
      const bytes = Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]);
      const frame = isBinary ? decodeServerFrame(bytes) : decodeServerFrameJson(bytes.toString('utf8'));
      this.frames.push({ frame, isBinary });
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  /** Resolves once the WebSocket is open; rejects when the handshake fails. */
  static async open(url: string, options: RawClientOptions = {}): Promise<RawClient> {
    const socket = new WebSocket(url, [options.protocol ?? SUBPROTOCOL_BINARY], options.ws ?? {});
    const raw = new RawClient(socket);
    options.scope?.defer(() => socket.terminate(), 'raw client');
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return raw;
  }

  /** A ClientFrame is encoded as binary protobuf; bytes and strings go out as they are. */
  send(frame: ClientFrame | Uint8Array | string): void {
    if (typeof frame === 'string' || frame instanceof Uint8Array) this.socket.send(frame);
    else this.socket.send(encodeClientFrame(frame));
  }

  /** The first frame that answers request `id` (0: errors about frames that had no readable id). */
  reply(id: number, timeoutMs = 10_000): Promise<ServerFrame> {
    return waitFor(() => this.frames.find((f) => f.frame.replyTo === id)?.frame, {
      what: `the reply to request ${id}`,
      timeoutMs,
      intervalMs: 10,
    });
  }

  close(): void {
    this.socket.terminate();
  }
}
