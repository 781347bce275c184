import type http from 'node:http';
import proxyAddr from 'proxy-addr';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/** What one gateway process accepts. */
export interface GatewayLimits {
  /** A client that has not sent its request headers within this is cut (408/close). */
  headersTimeoutMs: number;
  /** The whole request, body included. */
  requestTimeoutMs: number;
  /** Open TCP connections; Node drops connections past it at accept. */
  maxConnections: number;
  /** Requests per second from one client address; more get 429 with retry-after. */
  ratePerAddress: number;
  /** Proxies whose X-Forwarded-For names the client (see src/ws/admission.ts). */
  trustedProxies: readonly string[];
}

export const DEFAULT_GATEWAY_LIMITS: Readonly<GatewayLimits> = {
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  maxConnections: 2_000,
  ratePerAddress: 50,
  trustedProxies: [],
};

/**
 * Node checks the header and request timeouts only every
 * connectionsCheckingInterval (30 s by default), so a slow-header client was
 * cut anywhere from headersTimeout to headersTimeout + 30 s. Checking every
 * second keeps the cut within a second of the limit.
 */
export const CONNECTIONS_CHECK_INTERVAL_MS = 1_000;

/**
 * Per-address request budget. rate-limiter-flexible's memory limiter keeps
 * one fixed-window counter per key and drops it when its window ends, so the
 * memory it holds is bounded by the addresses seen within one second, which a
 * hand-written map of buckets would have to implement again.
 */
export class RequestRate {
  private readonly limiter: RateLimiterMemory;
  private readonly trust: ((addr: string, i: number) => boolean) | undefined;

  constructor(private readonly limits: GatewayLimits) {
    this.limiter = new RateLimiterMemory({ points: limits.ratePerAddress, duration: 1 });
    this.trust = limits.trustedProxies.length > 0 ? proxyAddr.compile([...limits.trustedProxies]) : undefined;
  }

  addressOf(req: http.IncomingMessage): string {
    return this.trust ? proxyAddr(req, this.trust) : (req.socket.remoteAddress ?? 'unknown');
  }

  /** undefined when the request may go on; otherwise the seconds to wait. */
  async take(address: string): Promise<number | undefined> {
    try {
      await this.limiter.consume(address);
      return undefined;
    } catch (res) {
      if (res instanceof RateLimiterRes) return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
      throw res;
    }
  }
}
