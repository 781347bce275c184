import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { TARGET_GROUP, decodeRelayRequest, encodeAck } from './load/relay-protocol';

/**
 * The baseline of `npm run bench`: a WebSocket relay with no chat logic. A
 * client connects as ws://host:port/?user=<name>&groups=<a,b>; each frame is
 * forwarded unchanged to the named user or to every member of the named group
 * (a naive loop), and the sender gets a 4-byte acknowledgement. No storage,
 * no validation, no cluster: the practical ceiling of the same load generator
 * on the same machine.
 *
 * Usage: node dist/bench/baseline-relay.js <port>
 */
function main(): void {
  const port = Number(process.argv[2] ?? '0');
  const users = new Map<string, WebSocket>();
  const groups = new Map<string, Set<WebSocket>>();
  // The same frame and buffer limits as a chat node's defaults.
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port,
    perMessageDeflate: false,
    maxPayload: 16384,
  });

  server.on('connection', (socket, request) => {
    const url = new URL(request.url ?? '/', 'ws://relay');
    const user = url.searchParams.get('user') ?? '';
    const memberOf = (url.searchParams.get('groups') ?? '').split(',').filter((g) => g !== '');
    if (user) users.set(user, socket);
    for (const group of memberOf) {
      let members = groups.get(group);
      if (!members) groups.set(group, (members = new Set()));
      members.add(socket);
    }
    socket.on('message', (data, isBinary) => {
      if (!isBinary || !Buffer.isBuffer(data)) return;
      const request = decodeRelayRequest(data);
      if (!request) return;
      if (request.kind === TARGET_GROUP) {
        for (const member of groups.get(request.target) ?? []) member.send(data);
      } else {
        users.get(request.target)?.send(data);
      }
      socket.send(encodeAck(request.id));
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (users.get(user) === socket) users.delete(user);
      for (const group of memberOf) groups.get(group)?.delete(socket);
    });
  });
  server.on('listening', () => console.log(JSON.stringify({ event: 'relay_listening', port })));

  const shutdown = (): void => {
    for (const client of server.clients) client.terminate();
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main();
