import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { useScope, waitFor } from '../support';
import { TcpProxy } from '../support/tcp-proxy';

/** An echo server on loopback, closed at scope end. */
async function echoServer(scope: ReturnType<typeof useScope>): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  scope.defer(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
    'close echo server',
  );
  return (server.address() as AddressInfo).port;
}

function client(
  scope: ReturnType<typeof useScope>,
  port: number,
): { socket: net.Socket; received: () => string } {
  let data = '';
  const socket = net.connect(port, '127.0.0.1');
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (data += chunk));
  socket.on('error', () => undefined);
  scope.defer(() => socket.destroy(), 'destroy client socket');
  return { socket, received: () => data };
}

describe('TcpProxy (test support)', () => {
  const scope = useScope();

  it('forwards, drops silently while blackholed, forwards again when healed, and resets', async () => {
    const proxy = await TcpProxy.start({ targetHost: '127.0.0.1', targetPort: await echoServer(scope) });
    scope.defer(() => proxy.close(), 'close proxy');
    const c = client(scope, proxy.port);
    c.socket.write('one ');
    await waitFor(() => c.received() === 'one ', { what: 'the echo through the proxy' });

    proxy.blackhole();
    c.socket.write('lost ');
    // Nothing comes back and the socket stays open: the silent drop a TCP client cannot see.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(c.received()).toBe('one ');
    expect(c.socket.destroyed).toBe(false);
    expect(proxy.connectionCount).toBe(1);

    proxy.heal();
    c.socket.write('two');
    await waitFor(() => c.received() === 'one two', { what: 'the echo after healing' });

    const closed = new Promise<void>((resolve) => c.socket.once('close', () => resolve()));
    proxy.reset();
    await closed;
    expect(proxy.connectionCount).toBe(0);
  });
});
