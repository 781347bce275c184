import http from 'node:http';
import type { Duplex } from 'node:stream';
import proxyAddr from 'proxy-addr';
import type { Logger } from '../core/logger';
import { CloseCode } from '../protocol/close-codes';
import type { ClientConnection } from './connection';
import type { EdgeMetrics, RefusalReason } from './metrics';

export interface AdmissionLimits {
  /** Open client connections of this node; past it new ones get 503. */
  maxConnections: number;
  /** Open connections from one client address; past it new ones get 429. */
  maxConnectionsPerAddress: number;
  /**
   * Proxies whose X-Forwarded-For is believed (addresses, CIDRs or the
   * proxy-addr names loopback/linklocal/uniquelocal). Empty: the socket's
   * peer is the client, whatever the headers say.
   */
  trustedProxies: readonly string[];
}

export interface Refusal {
  reason: RefusalReason;
  status: number;
  message: string;
}

/**
 * Who may open a connection: counts the open connections, in total and per
 * client address, and says which address a request comes from (the peer, or
 * the forwarded client when the peer is a trusted proxy). Address counts live
 * only while the address has connections, so the map is bounded by them.
 */
export class Admission {
  private readonly perAddress = new Map<string, number>();
  private total = 0;
  private readonly trust: (addr: string, i: number) => boolean;

  constructor(private readonly limits: AdmissionLimits) {
    // proxy-addr walks X-Forwarded-For from the right and stops at the first untrusted hop,
    // which is the one a client cannot forge.
    this.trust = proxyAddr.compile([...limits.trustedProxies]);
  }

  /** The client address of a request. */
  addressOf(req: http.IncomingMessage): string {
    if (this.limits.trustedProxies.length === 0) return req.socket.remoteAddress ?? 'unknown';
    return proxyAddr(req, this.trust);
  }

  /** Why a new connection from `address` must be refused now, or undefined. */
  check(address: string): Refusal | undefined {
    if (this.total >= this.limits.maxConnections) {
      return {
        reason: 'max_connections',
        status: 503,
        message: 'This chat node is full; ask the gateway for another one.',
      };
    }
    if ((this.perAddress.get(address) ?? 0) >= this.limits.maxConnectionsPerAddress) {
      return {
        reason: 'max_per_address',
        status: 429,
        message: `At most ${this.limits.maxConnectionsPerAddress} connections per address.`,
      };
    }
    return undefined;
  }

  /** Counts a connection in; the returned function counts it out (once). */
  enter(address: string): () => void {
    this.total++;
    this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.total--;
      const n = (this.perAddress.get(address) ?? 1) - 1;
      if (n <= 0) this.perAddress.delete(address);
      else this.perAddress.set(address, n);
    };
  }
}

/** A plain HTTP answer to an upgrade request that is refused before any WebSocket exists. */
export function writeRefusal(socket: Duplex, refusal: Refusal): void {
  const body = `${refusal.message}\n`;
  socket.end(
    `HTTP/1.1 ${refusal.status} ${http.STATUS_CODES[refusal.status] ?? ''}\r\n` +
      'connection: close\r\ncontent-type: text/plain\r\nretry-after: 5\r\n' +
      `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/**
 * Answering pings is not enough to stay: a connection that has not logged in
 * `ms` after connecting is closed (4005). Returns the timer to clear on close.
 */
export function loginDeadline(
  conn: ClientConnection,
  ms: number,
  metrics: EdgeMetrics,
  logger: Logger,
): NodeJS.Timeout | undefined {
  if (!(ms > 0)) return undefined;
  const timer = setTimeout(() => {
    if (conn.user !== undefined || !conn.isOpen) return;
    metrics.refused('login_timeout');
    logger.info(
      { event: 'login-timeout', connId: conn.id, remoteAddress: conn.remoteAddress, ms },
      'no login within the deadline; closing',
    );
    conn.close(CloseCode.LOGIN_TIMEOUT, `Log in within ${Math.ceil(ms / 1000)} s of connecting.`);
  }, ms);
  timer.unref();
  return timer;
}
