import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import type { ServerFrame } from '../../gen/chat/v1/client';
import { NotFound } from '../../src/core/errors';
import { silentLogger } from '../../src/core/logger';
import { decodeServerFrame, decodeServerFrameJson } from '../../src/protocol/codec';
import { CloseCode } from '../../src/protocol/close-codes';
import { ClientConnection } from '../../src/ws/connection';

/** Just enough of a `ws` WebSocket for ClientConnection; the test drives its events. */
class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  sent: Array<Uint8Array | string> = [];
  pings = 0;
  closedWith: { code: number; reason: string } | undefined;
  terminated = false;
  send(data: Uint8Array | string): void {
    this.sent.push(data);
  }
  ping(): void {
    this.pings++;
  }
  close(code: number, reason: string): void {
    this.closedWith = { code, reason };
    this.readyState = 2;
  }
  terminate(): void {
    this.terminated = true;
    this.readyState = 3;
    this.emit('close', 1006, Buffer.alloc(0));
  }
}

function connection(options: { json?: boolean; maxBufferedBytes?: number } = {}): {
  conn: ClientConnection;
  socket: FakeSocket;
} {
  const socket = new FakeSocket();
  const conn = new ClientConnection(
    'c1',
    '127.0.0.1',
    // ClientConnection uses only the members FakeSocket has.
    socket as unknown as WebSocket,
    {
      maxBufferedBytes: options.maxBufferedBytes ?? 1000,
      maxPendingCommands: 4,
      maxInFlightCommands: 1,
      json: options.json ?? false,
      closeGraceMs: 50,
    },
    silentLogger(),
  );
  return { conn, socket };
}

const pong: ServerFrame['event'] = { $case: 'pong', value: { clientTs: 1, serverTs: 2 } };

describe('ClientConnection', () => {
  it('encodes binary by default and JSON text for the JSON subprotocol', () => {
    const bin = connection();
    expect(bin.conn.reply(4, pong!)).toBe(true);
    expect(decodeServerFrame(bin.socket.sent[0] as Uint8Array)).toEqual({ replyTo: 4, event: pong });
    const json = connection({ json: true });
    json.conn.error(5, new NotFound('No such user.'));
    expect(decodeServerFrameJson(json.socket.sent[0] as string).event).toEqual({
      $case: 'error',
      value: { code: 404, reason: 'NOT_FOUND', message: 'No such user.', retryAfterMs: 0 },
    });
  });

  it('closes a slow consumer with SLOW_CONSUMER instead of sending', () => {
    const { conn, socket } = connection({ maxBufferedBytes: 100 });
    socket.bufferedAmount = 100;
    expect(conn.reply(0, pong!)).toBe(true);
    socket.bufferedAmount = 101;
    expect(conn.reply(0, pong!)).toBe(false);
    expect(socket.sent).toHaveLength(1);
    expect(socket.closedWith?.code).toBe(CloseCode.SLOW_CONSUMER);
    expect(conn.isOpen).toBe(false);
  });

  it('destroys the socket when the close handshake stalls, and tells listeners once', async () => {
    const { conn, socket } = connection();
    const calls: Array<[number, string]> = [];
    conn.onClose((code, reason) => calls.push([code, reason]));
    conn.close(CloseCode.REPLACED, 'x'.repeat(200));
    conn.close(CloseCode.NORMAL, 'again');
    expect(Buffer.byteLength(socket.closedWith!.reason)).toBeLessThanOrEqual(123);
    await new Promise<void>((resolve) => conn.onClose(() => resolve()));
    expect(socket.terminated).toBe(true);
    expect(calls).toHaveLength(1);
    expect(calls[0]![0]).toBe(CloseCode.REPLACED);
  });

  it('pings, and drops a client that did not pong since the previous ping', () => {
    const { conn, socket } = connection();
    expect(conn.heartbeat()).toBe(true);
    socket.emit('pong');
    expect(conn.heartbeat()).toBe(true);
    // No pong this time; a stalled server round (judge = false) spares it once.
    expect(conn.heartbeat(false)).toBe(true);
    expect(socket.pings).toBe(3);
    expect(conn.heartbeat()).toBe(false);
    expect(socket.terminated).toBe(true);
  });

  it('never puts an unsendable close code on the wire', () => {
    const { conn, socket } = connection();
    conn.close(1006, 'abnormal');
    expect(socket.closedWith).toBeUndefined();
    expect(socket.terminated).toBe(true);
  });

  it('survives socket errors (e.g. a frame over maxPayload)', () => {
    const { socket } = connection();
    expect(() => socket.emit('error', new RangeError('Max payload size exceeded'))).not.toThrow();
  });
});
