import http from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import type { Socket } from 'socket.io';
import { SOCKETIO_EVENTS, parseSocketIoAuth } from './load/socketio-protocol';
import type { SocketIoSend } from './load/socketio-protocol';

/**
 * The second baseline of `npm run bench`: what a game back-end team would run
 * instead of this cluster. Socket.IO 4 with @socket.io/redis-adapter over the
 * bench's own Redis, several of these processes side by side, WebSocket
 * transport only, one connection per user. Each user joins a room named after
 * itself (and the groups it is a member of); a direct message is an emit to the
 * recipient's room, a room message an emit to the room, each acknowledged to
 * the sender once emitted. No storage, no validation, no history.
 *
 * Usage: node dist/bench/baseline-socketio.js <port> <redis url> <adapter key>
 */
function main(): void {
  const port = Number(process.argv[2] ?? '0');
  const redisUrl = process.argv[3] ?? 'redis://127.0.0.1:6379';
  const key = process.argv[4] ?? 'socket.io';
  const pub = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const sub = pub.duplicate();
  for (const client of [pub, sub]) client.on('error', (err) => console.error(`redis: ${err.message}`));

  const server = http.createServer();
  const io = new Server(server, {
    transports: ['websocket'],
    // The same frame limit as a chat node; no compression, as in the cluster and the relay.
    maxHttpBufferSize: 16384,
    perMessageDeflate: false,
    serveClient: false,
    adapter: createAdapter(pub, sub, { key }),
  });

  io.on('connection', (socket: Socket) => {
    const auth = parseSocketIoAuth(socket.handshake.auth);
    if (!auth) {
      socket.disconnect(true);
      return;
    }
    void socket.join([auth.user, ...auth.groups]);
    socket.on(SOCKETIO_EVENTS.send, (request: SocketIoSend, ack: unknown) => {
      if (typeof request?.to === 'string' && typeof request.text === 'string') {
        io.to(request.to).emit(SOCKETIO_EVENTS.message, request.text);
      }
      if (typeof ack === 'function') (ack as () => void)();
    });
  });

  server.listen(port, '127.0.0.1', () =>
    console.log(JSON.stringify({ event: 'socketio_listening', port, pid: process.pid })),
  );

  const shutdown = (): void => {
    void io.close();
    pub.disconnect();
    sub.disconnect();
    setTimeout(() => process.exit(0), 500).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main();
