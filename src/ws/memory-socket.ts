import { EventEmitter } from 'node:events';
import type { ClientSocket } from './client-socket';

const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/**
 * One end of an in-process WebSocket: what one end sends arrives at the other
 * a turn later, in order, as a binary or text message like `ws` delivers it;
 * pings are answered with pongs; a close reaches both ends. Used to run a
 * whole cluster and its clients in one process (tests, demos).
 */
export class MemorySocket extends EventEmitter implements ClientSocket {
  readonly OPEN = OPEN;
  readonly bufferedAmount = 0;
  private state = OPEN;
  private other: MemorySocket | undefined;

  constructor(readonly protocol: string) {
    super();
  }

  /** A connected pair: [the client's end, the server's end]. */
  static pair(protocol: string): [MemorySocket, MemorySocket] {
    const client = new MemorySocket(protocol);
    const server = new MemorySocket(protocol);
    client.other = server;
    server.other = client;
    return [client, server];
  }

  get readyState(): number {
    return this.state;
  }

  send(data: Uint8Array | string, _options?: unknown): void {
    if (this.state !== OPEN) return;
    const binary = typeof data !== 'string';
    const payload = binary ? Buffer.from(data) : Buffer.from(data, 'utf8');
    const other = this.other;
    setImmediate(() => other?.arrive(payload, binary));
  }

  ping(): void {
    if (this.state !== OPEN) return;
    setImmediate(() => {
      if (this.state === OPEN) this.emit('pong');
    });
  }

  close(code = 1000, reason = ''): void {
    if (this.state !== OPEN) return;
    this.state = CLOSING;
    const other = this.other;
    // Like a close frame, the close reaches the other end after what was sent before it.
    setImmediate(() => {
      this.finish(code, reason);
      other?.finish(code, reason);
    });
  }

  terminate(): void {
    this.close(1006, '');
  }

  private arrive(payload: Buffer, binary: boolean): void {
    if (this.state === OPEN) this.emit('message', payload, binary);
  }

  private finish(code: number, reason: string): void {
    if (this.state === CLOSED) return;
    this.state = CLOSED;
    this.emit('close', code, Buffer.from(reason, 'utf8'));
  }
}
