import WebSocket from 'ws';
import type { RawData } from 'ws';
import { Channel } from '../../gen/chat/v1/client';
import type { ClientFrame } from '../../gen/chat/v1/client';
import { decodeClientFrame, encodeClientFrame } from '../../src/protocol/codec';
import type { LoadClient, LoadTransport, Placement, Target } from './clients';
import {
  ACK_BYTES,
  TARGET_GROUP,
  TARGET_USER,
  decodeRelayRequest,
  encodeRelayRequest,
} from './relay-protocol';

/** Users of the baseline relay (bench/baseline-relay.ts). */
export class RelayTransport implements LoadTransport {
  readonly name = 'baseline relay';

  async connect(user: string, placement: Placement): Promise<LoadClient> {
    const url = new URL(placement.url);
    url.searchParams.set('user', user);
    url.searchParams.set('groups', placement.groups.join(','));
    const socket = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: 10_000 });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new RelayLoadClient(user, socket);
  }
}

class RelayError extends Error {
  constructor(readonly reason: string) {
    super(`relay request failed: ${reason}`);
  }
}

class RelayLoadClient implements LoadClient {
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private readonly listeners: Array<(text: string) => void> = [];
  private nextId = 0;
  private readonly closed: Promise<void>;

  constructor(
    readonly user: string,
    private readonly socket: WebSocket,
  ) {
    socket.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        for (const p of this.pending.values()) p.reject(new RelayError('CLOSED'));
        this.pending.clear();
        resolve();
      }),
    );
  }

  send(target: Target, text: string): Promise<void> {
    if (this.socket.readyState !== WebSocket.OPEN) return Promise.reject(new RelayError('CLOSED'));
    this.nextId = (this.nextId % 0xfffffffe) + 1;
    const id = this.nextId;
    // The frame the chat client would send for the same command.
    const cmd: ClientFrame['cmd'] =
      target.kind === 'user'
        ? { $case: 'sendDirect', value: { to: target.name, text, idempotencyKey: '' } }
        : target.kind === 'room'
          ? { $case: 'sendRoom', value: { room: target.name, text, idempotencyKey: '' } }
          : { $case: 'sendChannel', value: { channel: Channel.CHANNEL_WORLD, text, idempotencyKey: '' } };
    const payload = encodeClientFrame({ id, cmd });
    const kind = target.kind === 'user' ? TARGET_USER : TARGET_GROUP;
    const name = target.kind === 'world' ? 'world' : target.name;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RelayError('TIMEOUT'));
      }, 10_000);
      this.pending.set(id, {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      this.socket.send(encodeRelayRequest(id, kind, name, payload));
    });
  }

  onText(listener: (text: string) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.close();
    else if (this.socket.readyState === WebSocket.CONNECTING) this.socket.terminate();
    const timer = setTimeout(() => this.socket.terminate(), 2000);
    await this.closed;
    clearTimeout(timer);
  }

  private onFrame(data: RawData, isBinary: boolean): void {
    if (!isBinary || !Buffer.isBuffer(data)) return;
    if (data.length === ACK_BYTES) {
      const id = data.readUInt32BE(0);
      const pending = this.pending.get(id);
      this.pending.delete(id);
      pending?.resolve();
      return;
    }
    const request = decodeRelayRequest(data);
    if (!request) return;
    const cmd = decodeClientFrame(request.payload).cmd;
    const text =
      cmd?.$case === 'sendDirect' || cmd?.$case === 'sendRoom' || cmd?.$case === 'sendChannel'
        ? cmd.value.text
        : undefined;
    if (text === undefined) return;
    for (const listener of this.listeners) listener(text);
  }
}
