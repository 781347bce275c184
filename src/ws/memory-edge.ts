import type { ClientConnection } from './connection';
import type { ClientEdge } from './edge';
import { MemorySocket } from './memory-socket';
import { SUBPROTOCOL_BINARY, SUBPROTOCOL_JSON } from '../protocol/close-codes';
import { WsServer } from './server';
import type { WsServerOptions } from './server';

/**
 * A client edge without a network: the WebSocket server's connection
 * handling, fed in-process sockets. `connect` returns the client's end of a
 * new MemorySocket pair (for ChatClient.over).
 */
export class MemoryEdge implements ClientEdge {
  private readonly server: WsServer;

  constructor(
    private readonly name: string,
    options: WsServerOptions,
  ) {
    this.server = new WsServer(options);
  }

  get url(): string {
    return `memory://${this.name}`;
  }

  async listen(): Promise<{ url: string }> {
    return { url: this.url };
  }

  get connectionCount(): number {
    return this.server.connectionCount;
  }

  onCount(listener: (count: number) => void): () => void {
    return this.server.onCount(listener);
  }

  /** A new client connection from `remoteAddress`; the server side is served like a WebSocket. */
  connect(options: { json?: boolean; remoteAddress?: string } = {}): {
    client: MemorySocket;
    connection: ClientConnection;
  } {
    const [client, server] = MemorySocket.pair(options.json ? SUBPROTOCOL_JSON : SUBPROTOCOL_BINARY);
    const connection = this.server.attach(server, options.remoteAddress ?? '127.0.0.1');
    return { client, connection };
  }

  close(options?: { code?: number; reason?: string; drainMs?: number }): Promise<void> {
    return this.server.close(options);
  }
}
