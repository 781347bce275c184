import { io } from 'socket.io-client';
import type { Socket } from 'socket.io-client';
import type { LoadClient, LoadTransport, Placement, Target } from './clients';
import { SOCKETIO_EVENTS } from './socketio-protocol';
import type { SocketIoAuth, SocketIoSend } from './socketio-protocol';

/** Users of the Socket.IO baseline (bench/baseline-socketio.ts), one WebSocket each. */
export class SocketIoTransport implements LoadTransport {
  readonly name = 'socket.io';

  async connect(user: string, placement: Placement): Promise<LoadClient> {
    const auth: SocketIoAuth = { user, groups: [...placement.groups] };
    const socket = io(placement.url, {
      transports: ['websocket'],
      auth,
      reconnection: false,
      // One connection per user: without this, users on one server would share a Manager.
      forceNew: true,
      timeout: 10_000,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    return new SocketIoLoadClient(user, socket);
  }
}

class SocketIoError extends Error {
  constructor(readonly reason: string) {
    super(`socket.io send failed: ${reason}`);
  }
}

class SocketIoLoadClient implements LoadClient {
  constructor(
    readonly user: string,
    private readonly socket: Socket,
  ) {}

  send(target: Target, text: string): Promise<void> {
    if (!this.socket.connected) return Promise.reject(new SocketIoError('CLOSED'));
    const request: SocketIoSend = { to: target.kind === 'world' ? 'world' : target.name, text };
    return new Promise((resolve, reject) => {
      this.socket
        .timeout(10_000)
        .emit(SOCKETIO_EVENTS.send, request, (err: Error | null) =>
          err ? reject(new SocketIoError(this.socket.connected ? 'TIMEOUT' : 'CLOSED')) : resolve(),
        );
    });
  }

  onText(listener: (text: string) => void): void {
    this.socket.on(SOCKETIO_EVENTS.message, (text: unknown) => {
      if (typeof text === 'string') listener(text);
    });
  }

  async close(): Promise<void> {
    if (!this.socket.connected) {
      this.socket.close();
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2000);
      this.socket.once('disconnect', () => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.close();
    });
  }
}
