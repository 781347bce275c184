import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { parseRequest, replyXid, ZkPacketReader } from './zk-wire';
import type { ZkRequest } from './zk-wire';

export type ProxyMode = 'pass' | 'blackhole';

export interface TcpProxyOptions {
  /** Where connections are forwarded, e.g. a ZooKeeper server. */
  targetHost: string;
  targetPort: number;
  /** Loopback address to listen on; default 127.0.0.1. */
  host?: string;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
}

/** A ZooKeeper connection to drop at one request: see TcpProxy.cutZooKeeperAt. */
interface ZkCut {
  match: (request: ZkRequest, previous: readonly ZkRequest[]) => boolean;
  fired: (request: ZkRequest) => void;
}

/**
 * A TCP proxy on loopback for fault tests. In 'pass' mode it forwards bytes
 * both ways. In 'blackhole' mode it keeps every socket open and accepts new
 * ones, but silently drops every byte in both directions: to the client it
 * looks like a network that went quiet without a reset, which a TCP client
 * cannot tell from a slow server. `reset()` destroys the open connections.
 */
export class TcpProxy {
  private readonly pairs = new Set<Pair>();
  private server: net.Server | undefined;
  private currentMode: ProxyMode = 'pass';
  private listenPort = 0;
  private zkCut: ZkCut | undefined;

  private constructor(private readonly options: TcpProxyOptions) {}

  static async start(options: TcpProxyOptions): Promise<TcpProxy> {
    const proxy = new TcpProxy(options);
    await proxy.listen();
    return proxy;
  }

  get port(): number {
    return this.listenPort;
  }

  /** `host:port` for a connection string (ZK_HOSTS). */
  get address(): string {
    return `${this.options.host ?? '127.0.0.1'}:${this.listenPort}`;
  }

  get mode(): ProxyMode {
    return this.currentMode;
  }

  get connectionCount(): number {
    return this.pairs.size;
  }

  /** Drops every byte from now on, keeping sockets open. */
  blackhole(): void {
    this.currentMode = 'blackhole';
  }

  /**
   * Forwards again (bytes dropped meanwhile stay lost). A connection whose
   * other end closed during the blackhole is reset now, as a router's stale
   * state would be: nothing could ever flow on it again.
   */
  heal(): void {
    this.currentMode = 'pass';
    for (const pair of [...this.pairs]) {
      if (pair.client.destroyed || pair.upstream.destroyed) this.drop(pair);
    }
  }

  /**
   * For a proxy in front of ZooKeeper: the next time a client sends a request
   * that `match` picks (seeing the requests before it on that connection),
   * the request goes through, nothing the client sends after it does, and the
   * connection is reset as soon as its reply has been passed on: a connection
   * drop at a chosen step of a session's opening (e.g. right after the
   * election check answered, while the view read is still to be sent).
   * Resolves with the request once it fired.
   */
  cutZooKeeperAt(match: ZkCut['match']): Promise<ZkRequest> {
    return new Promise((resolve) => {
      this.zkCut = { match, fired: resolve };
    });
  }

  /** Destroys every open connection (the peers see a reset); new ones are accepted. */
  reset(): void {
    for (const pair of [...this.pairs]) this.drop(pair);
  }

  async close(): Promise<void> {
    this.reset();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async listen(): Promise<void> {
    const server = net.createServer((client) => this.onConnection(client));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, this.options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.listenPort = (server.address() as AddressInfo).port;
  }

  private onConnection(client: net.Socket): void {
    const upstream = net.connect(this.options.targetPort, this.options.targetHost);
    const pair: Pair = { client, upstream };
    this.pairs.add(pair);
    // A blackholed connection never learns that its peer went away: no FIN, no RST.
    const forward = (from: net.Socket, to: net.Socket): void => {
      from.on('data', (chunk) => {
        if (this.currentMode === 'pass' && !to.destroyed) to.write(chunk);
      });
      from.on('end', () => {
        if (this.currentMode === 'pass') to.end();
      });
      from.on('close', () => {
        if (this.currentMode === 'pass') this.drop(pair);
      });
      from.on('error', () => undefined);
    };
    if (this.zkCut) this.watchZooKeeper(pair);
    else {
      forward(client, upstream);
      forward(upstream, client);
    }
  }

  /** Forwards packet by packet, so a ZkCut can fire between two requests. */
  private watchZooKeeper(pair: Pair): void {
    const { client, upstream } = pair;
    const requests: ZkRequest[] = [];
    const fromClient = new ZkPacketReader();
    const fromServer = new ZkPacketReader();
    let connected = false;
    let answered = false;
    let cutXid: number | undefined;
    client.on('data', (chunk: Buffer) => {
      for (const packet of fromClient.push(chunk)) {
        if (cutXid !== undefined || this.currentMode !== 'pass' || upstream.destroyed) return;
        upstream.write(packet);
        if (!connected) {
          connected = true;
          continue;
        }
        const request = parseRequest(packet);
        if (!request) continue;
        const cut = this.zkCut;
        if (cut?.match(request, requests)) {
          this.zkCut = undefined;
          cutXid = request.xid;
          cut.fired(request);
        }
        requests.push(request);
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      for (const packet of fromServer.push(chunk)) {
        if (this.currentMode !== 'pass' || client.destroyed) return;
        if (answered && cutXid !== undefined && replyXid(packet) === cutXid) {
          // Written first, then the reset: the client reads the reply, then sees the connection die.
          client.write(packet, () => this.drop(pair));
          return;
        }
        client.write(packet);
        answered = true;
      }
    });
    for (const socket of [client, upstream]) {
      socket.on('close', () => this.drop(pair));
      socket.on('error', () => undefined);
    }
  }

  private drop(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    pair.client.destroy();
    pair.upstream.destroy();
  }
}
