import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

interface Tunnel {
  target: string;
  client: net.Socket;
  upstream: net.Socket;
  /** Bytes were dropped on it: it cannot carry a valid stream any more. */
  damaged: boolean;
}

/**
 * An HTTP CONNECT proxy on loopback that one chat node's gRPC client dials
 * its peers through (grpc-js honours `grpc_proxy`). A cut drops every byte of
 * the tunnels to the targets it names, keeping the sockets open (a network
 * that went quiet), and leaves new CONNECTs to them unanswered (SYNs that
 * never arrive). Healing resets the tunnels that lost bytes, as a firewall
 * that dropped its state would, and lets new ones through.
 */
export class ConnectProxy {
  private readonly tunnels = new Set<Tunnel>();
  private readonly waiting = new Set<net.Socket>();
  private isCut: (target: string) => boolean = () => false;

  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<ConnectProxy> {
    const server = http.createServer((_req, res) => res.writeHead(405).end());
    const proxy = new ConnectProxy(server);
    server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) =>
      proxy.onConnect(req.url ?? '', socket, head),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Cuts the tunnels whose target (`host:port`) `matches` picks. */
  cut(matches: (target: string) => boolean): void {
    this.isCut = matches;
  }

  heal(): void {
    this.isCut = () => false;
    for (const tunnel of [...this.tunnels]) if (tunnel.damaged) this.drop(tunnel);
    for (const socket of this.waiting) socket.destroy();
    this.waiting.clear();
  }

  async close(): Promise<void> {
    for (const tunnel of [...this.tunnels]) this.drop(tunnel);
    for (const socket of this.waiting) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onConnect(target: string, client: net.Socket, head: Buffer): void {
    client.on('error', () => undefined);
    if (this.isCut(target)) {
      this.waiting.add(client);
      client.on('close', () => this.waiting.delete(client));
      return;
    }
    const [host, port] = [
      target.slice(0, target.lastIndexOf(':')),
      target.slice(target.lastIndexOf(':') + 1),
    ];
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
    });
    const tunnel: Tunnel = { target, client, upstream, damaged: false };
    this.tunnels.add(tunnel);
    const forward = (from: net.Socket, to: net.Socket): void => {
      from.on('data', (chunk: Buffer) => {
        if (this.isCut(target)) tunnel.damaged = true;
        else if (!to.destroyed) to.write(chunk);
      });
      from.on('close', () => {
        if (!this.isCut(target)) this.drop(tunnel);
      });
      from.on('error', () => undefined);
    };
    forward(client, upstream);
    forward(upstream, client);
  }

  private drop(tunnel: Tunnel): void {
    if (!this.tunnels.delete(tunnel)) return;
    tunnel.client.destroy();
    tunnel.upstream.destroy();
  }
}

/**
 * One ConnectProxy per chat node: cutting a node cuts every gRPC link it has,
 * the ones it dials (its own proxy) and the ones its peers dial to it (their
 * proxies, for tunnels to its address), while ZooKeeper, Redis and clients
 * still reach it.
 */
export class LinkCutter {
  private constructor(private readonly proxies: Map<string, ConnectProxy>) {}

  static async start(nodeIds: readonly string[]): Promise<LinkCutter> {
    const proxies = new Map<string, ConnectProxy>();
    for (const id of nodeIds) proxies.set(id, await ConnectProxy.start());
    return new LinkCutter(proxies);
  }

  /** Environment for `nodeId`: its peer dials go through its proxy (no loopback exemption). */
  envFor(nodeId: string): Record<string, string> {
    const proxy = this.proxies.get(nodeId);
    if (!proxy) throw new Error(`no link proxy for ${nodeId}`);
    return { grpc_proxy: proxy.url, no_grpc_proxy: '', no_proxy: '' };
  }

  /** Cuts every link of `nodeId`, whose peers dial it at `address` (`host:port`). */
  cut(nodeId: string, address: string): void {
    for (const [id, proxy] of this.proxies) {
      proxy.cut(id === nodeId ? () => true : (target) => target === address);
    }
  }

  heal(): void {
    for (const proxy of this.proxies.values()) proxy.heal();
  }

  async close(): Promise<void> {
    await Promise.all([...this.proxies.values()].map((p) => p.close()));
  }
}
