import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ChatError, toErrorReply } from '../core/errors';
import type { ErrorReply } from '../core/errors';
import type { Logger } from '../core/logger';
import type { ServerDirectory } from './directory';
import { CONNECTIONS_CHECK_INTERVAL_MS, DEFAULT_GATEWAY_LIMITS, RequestRate } from './limits';
import type { GatewayLimits } from './limits';
import { noGatewayMetrics } from './metrics';
import type { GatewayMetrics } from './metrics';
import type { BalancingStrategy } from './strategies';

export interface GatewayOptions {
  /** Usually a CachedDirectory over a RedisServerDirectory. */
  directory: ServerDirectory;
  strategy: BalancingStrategy;
  logger: Logger;
  /** Defaults to DEFAULT_GATEWAY_LIMITS. */
  limits?: Partial<GatewayLimits>;
  /** Request counts and times (prometheusGatewayMetrics); none by default. */
  metrics?: GatewayMetrics;
}

/** What the gateway's JSON error bodies carry (no retry field: HTTP has retry-after). */
type HttpError = Omit<ErrorReply, 'retryAfterMs'>;

export interface GatewayAddress {
  host: string;
  port: number;
}

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/**
 * The stateless HTTP front door: `GET /servers` hands a client the address
 * of one live chat node. Nothing is kept between requests except the
 * directory's short cache and the strategy's counters, so any number of
 * gateway processes can serve side by side.
 */
export class Gateway {
  private readonly directory: ServerDirectory;
  private readonly strategy: BalancingStrategy;
  private readonly logger: Logger;
  private readonly server: http.Server;
  private readonly rate: RequestRate;
  private readonly metrics: GatewayMetrics;
  private closing: Promise<void> | undefined;

  constructor(options: GatewayOptions) {
    this.directory = options.directory;
    this.strategy = options.strategy;
    this.logger = options.logger;
    this.metrics = options.metrics ?? noGatewayMetrics;
    const limits = { ...DEFAULT_GATEWAY_LIMITS, ...options.limits };
    this.rate = new RequestRate(limits);
    // Tight limits: every request is one small GET answered from memory or one Redis read.
    this.server = http.createServer({
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      keepAliveTimeout: 5_000,
      connectionsCheckingInterval: CONNECTIONS_CHECK_INTERVAL_MS,
      maxHeaderSize: 8 * 1024,
    });
    this.server.maxConnections = limits.maxConnections;
    this.server.on('drop', (data?: { remoteAddress?: string }) =>
      this.logger.warn(
        { event: 'connection-dropped', remoteAddress: data?.remoteAddress, max: limits.maxConnections },
        'connection limit reached; dropping a connection',
      ),
    );
    this.server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.handle(req, res).catch((err: unknown) => {
        this.logger.error({ event: 'response-failed', err }, 'could not answer a request');
        res.destroy();
      });
    });
    this.server.on('clientError', (err, socket) => {
      this.logger.debug({ event: 'client-error', err: err.message }, 'bad HTTP request');
      if (!socket.writable) {
        socket.destroy();
        return;
      }
      const timedOut = (err as { code?: string }).code === 'ERR_HTTP_REQUEST_TIMEOUT';
      const status = timedOut ? '408 Request Timeout' : '400 Bad Request';
      // A client still trickling bytes must not keep the socket: it goes once the answer is out.
      socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\n\r\n`, () => socket.destroy());
      setTimeout(() => socket.destroy(), 1000).unref();
    });
  }

  listen(port: number, host: string): Promise<GatewayAddress> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        const address = this.server.address() as AddressInfo;
        this.logger.info(
          {
            event: 'gateway-listening',
            host: address.address,
            port: address.port,
            strategy: this.strategy.name,
          },
          'gateway listening',
        );
        resolve({ host: address.address, port: address.port });
      });
    });
  }

  /** Stops accepting connections and lets requests in flight finish. Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      if (!this.server.listening) {
        resolve();
        return;
      }
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
    return this.closing;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = performance.now();
    // GETs carry no body worth reading; drain whatever came so keep-alive works.
    req.resume();
    let reply: Reply;
    try {
      const wait = await this.rate.take(this.rate.addressOf(req));
      reply = wait === undefined ? await this.route(req) : tooMany(wait);
    } catch (err) {
      reply = this.failure(err, req);
    }
    send(res, reply);
    this.metrics.request(pathOf(req.url), reply.status, (performance.now() - started) / 1000);
    this.logger.debug(
      {
        event: 'http-request',
        method: req.method,
        path: pathOf(req.url),
        status: reply.status,
        ms: Math.round(performance.now() - started),
      },
      'request served',
    );
  }

  private async route(req: http.IncomingMessage): Promise<Reply> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://gateway.invalid');
    } catch {
      return error(400, 'BAD_REQUEST', 'The request URL is malformed.');
    }
    const known = url.pathname === '/servers' || url.pathname === '/healthz';
    if (!known) {
      return error(404, 'NOT_FOUND', `Nothing at ${url.pathname}; try GET /servers.`);
    }
    if (req.method !== 'GET') {
      return {
        ...error(405, 'METHOD_NOT_ALLOWED', `Use GET for ${url.pathname}.`),
        headers: { allow: 'GET' },
      };
    }
    if (url.pathname === '/healthz') return this.health();
    const all = url.searchParams.get('all');
    return all === '1' || all === 'true' ? this.listAll() : this.pickOne();
  }

  private async pickOne(): Promise<Reply> {
    const servers = await this.directory.list();
    this.metrics.nodes(servers.length);
    const chosen = this.strategy.pick(servers);
    if (!chosen) {
      return {
        ...error(503, 'NO_NODE', 'No chat node is available right now; try again in a moment.'),
        headers: { 'retry-after': '1' },
      };
    }
    return { status: 200, body: { nodeId: chosen.nodeId, url: chosen.url } };
  }

  private async listAll(): Promise<Reply> {
    const servers = await this.directory.list();
    this.metrics.nodes(servers.length);
    return {
      status: 200,
      body: { servers: servers.map((s) => ({ nodeId: s.nodeId, url: s.url, connections: s.connections })) },
    };
  }

  private async health(): Promise<Reply> {
    try {
      await this.directory.check();
      return { status: 200, body: { status: 'ok' } };
    } catch (err) {
      this.logger.warn({ event: 'health-check-failed', err }, 'server directory unreachable');
      const reply = err instanceof ChatError ? httpError(err) : unavailable('The server directory');
      return { status: 503, body: { status: 'unavailable', error: { ...reply, code: 503 } } };
    }
  }

  private failure(err: unknown, req: http.IncomingMessage): Reply {
    if (err instanceof ChatError) {
      this.logger.warn({ event: 'request-failed', path: pathOf(req.url), reason: err.reason }, err.message);
      return { status: err.code, body: { error: httpError(err) }, headers: retryAfter(err.code) };
    }
    this.logger.error({ event: 'request-failed', path: pathOf(req.url), err }, 'unexpected error');
    return { status: 500, body: { error: httpError(err) } };
  }
}

function error(code: number, reason: string, message: string): Reply {
  const body: { error: HttpError } = { error: { code, reason, message } };
  return { status: code, body };
}

function tooMany(waitS: number): Reply {
  return {
    ...error(429, 'RATE_LIMITED', `Too many requests from this address; retry after ${waitS} s.`),
    headers: { 'retry-after': String(waitS) },
  };
}

function httpError(err: unknown): HttpError {
  const { code, reason, message } = toErrorReply(err);
  return { code, reason, message };
}

function unavailable(what: string): HttpError {
  return {
    code: 503,
    reason: 'DIRECTORY_UNAVAILABLE',
    message: `${what} is unreachable; try again shortly.`,
  };
}

function retryAfter(code: number): Record<string, string> | undefined {
  return code === 503 ? { 'retry-after': '1' } : undefined;
}

function send(res: http.ServerResponse, reply: Reply): void {
  const payload = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...reply.headers,
  });
  res.end(payload);
}

/** The path without the query, for logs (queries are short here, but never log them raw). */
function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  return (q === -1 ? raw : raw.slice(0, q)).slice(0, 200);
}
