import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { DescribeClusterResponse } from '../../gen/chat/v1/cluster';
import type { AdminApi } from '../cluster/rpc/admin-service';
import type { TlsMaterial } from '../cluster/tls/credentials';
import { ChatError, InvalidArgument, toErrorReply, Unavailable } from '../core/errors';
import type { Logger } from '../core/logger';
import { loadConsoleAssets } from './assets';
import type { ConsoleAssets } from './assets';
import { ConsoleAuth } from './auth';

export interface ConsoleOptions {
  host: string;
  /** 0 = a free port. */
  port: number;
  /** Opens the console (login form or Authorization: Bearer). */
  token: string | undefined;
  /** HTTPS with this node's certificate; clients with an admin certificate need no token. */
  tls: TlsMaterial | undefined;
  /** The node's AdminService methods, read at request time. */
  admin: () => AdminApi | undefined;
  logger: Logger;
  assets?: ConsoleAssets;
}

const MAX_BODY_BYTES = 4096;
/** Failed logins per address per minute. */
const LOGIN_ATTEMPTS_PER_MINUTE = 10;

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
  'referrer-policy': 'no-referrer',
};

type Reply = { status: number; type: string; body: string; headers?: Record<string, string> };

const json = (status: number, value: unknown): Reply => ({
  status,
  type: 'application/json; charset=utf-8',
  body: JSON.stringify(value),
});
const html = (status: number, body: string, headers?: Record<string, string>): Reply => ({
  status,
  type: 'text/html; charset=utf-8',
  body,
  headers,
});
const redirect = (to: string, cookie: string): Reply => ({
  status: 303,
  type: 'text/plain',
  body: '',
  headers: { location: to, 'set-cookie': cookie },
});

/**
 * The operator's web console on an internal port: the cluster view of
 * DescribeCluster, live rates (the page derives them from the counters it
 * polls), and the actions KickUser and DrainNode. Nothing is served to a
 * request that is neither logged in nor holds an admin certificate, except
 * the login form and the page's static files.
 */
export class ConsoleServer {
  private readonly server: http.Server;
  private readonly auth: ConsoleAuth;
  private readonly assets: ConsoleAssets;
  private readonly logins = new RateLimiterMemory({ points: LOGIN_ATTEMPTS_PER_MINUTE, duration: 60 });
  private readonly log: Logger;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: ConsoleOptions) {
    this.log = options.logger.child({ component: 'console' });
    this.auth = new ConsoleAuth(options.token, options.tls !== undefined);
    this.assets = options.assets ?? loadConsoleAssets();
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      this.handle(req).then(
        (reply) => send(res, reply),
        (err: unknown) => send(res, this.failure(err, req)),
      );
    };
    const tls = options.tls;
    this.server = tls
      ? https.createServer(
          { ca: tls.ca, cert: tls.cert, key: tls.key, requestCert: true, rejectUnauthorized: false },
          handler,
        )
      : http.createServer(handler);
    this.server.headersTimeout = 5000;
    this.server.requestTimeout = 10_000;
  }

  /** Resolves with the console's URL. */
  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    const host = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host;
    const url = `${this.options.tls ? 'https' : 'http'}://${host}:${port}/`;
    this.log.info({ event: 'console_listening', url }, 'admin console listening');
    return url;
  }

  close(): Promise<void> {
    this.closing ??= new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  private async handle(req: http.IncomingMessage): Promise<Reply> {
    const path = new URL(req.url ?? '/', 'http://console.invalid').pathname;
    const route = `${req.method ?? 'GET'} ${path}`;
    if (route === 'GET /console.js')
      return { status: 200, type: 'text/javascript', body: this.assets.script };
    if (route === 'GET /console.css') return { status: 200, type: 'text/css', body: this.assets.style };
    if (route === 'POST /login') return this.login(req);
    if (route === 'POST /logout') return redirect('/', this.auth.clearedCookie());
    const allowed = this.auth.allows(req);
    if (route === 'GET /') return allowed ? html(200, this.assets.page) : this.loginPage(200, '');
    if (!allowed)
      return json(401, { error: { code: 401, reason: 'UNAUTHENTICATED', message: 'Log in first.' } });
    if (route === 'GET /api/cluster') {
      const cluster = await this.call((api) => api.describeCluster?.());
      return json(200, DescribeClusterResponse.toJSON(cluster));
    }
    if (route === 'POST /api/kick') {
      const { username } = await readJson(req);
      if (typeof username !== 'string' || !username) throw new InvalidArgument('Name the user to kick.');
      const kicked = await this.call((api) => api.kickUser?.({ username, reason: '', forwarded: false }));
      this.log.info(
        { event: 'console_kick', user: username, kicked: kicked.kicked },
        'kick from the console',
      );
      return json(200, kicked);
    }
    if (route === 'POST /api/drain') {
      const { nodeId } = await readJson(req);
      if (typeof nodeId !== 'string') throw new InvalidArgument('Name the node to drain.');
      this.log.warn({ event: 'console_drain', target: nodeId }, 'drain from the console');
      return json(200, await this.call((api) => api.drainNode?.({ nodeId })));
    }
    return json(404, { error: { code: 404, reason: 'NOT_FOUND', message: `Nothing at ${route}.` } });
  }

  private async login(req: http.IncomingMessage): Promise<Reply> {
    const address = req.socket.remoteAddress ?? 'unknown';
    const form = new URLSearchParams(await readBody(req));
    if (this.auth.isToken(form.get('token') ?? '')) return redirect('/', this.auth.sessionCookie());
    const limited = await this.logins.consume(address).then(
      () => false,
      () => true,
    );
    this.log.warn(
      { event: 'console_login_failed', remoteAddress: address, limited },
      'console login refused',
    );
    return limited
      ? this.loginPage(429, 'Too many wrong tokens from this address; wait a minute.')
      : this.loginPage(401, 'That is not the admin token.');
  }

  private loginPage(status: number, message: string): Reply {
    return html(status, this.assets.login.replace('{{message}}', escapeHtml(message)));
  }

  private async call<T>(run: (api: AdminApi) => Promise<T> | undefined): Promise<T> {
    const api = this.options.admin();
    const pending = api ? run(api) : undefined;
    if (!pending) throw new Unavailable('This node is not serving its admin API (starting or stopping).');
    return pending;
  }

  private failure(err: unknown, req: http.IncomingMessage): Reply {
    const reply = toErrorReply(err);
    if (err instanceof ChatError)
      this.log.info({ event: 'console_refused', url: req.url, reason: reply.reason }, reply.message);
    else this.log.error({ event: 'console_failed', url: req.url, err }, 'console request failed');
    return json(reply.code, { error: reply });
  }
}

function send(res: http.ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, {
    ...SECURITY_HEADERS,
    'content-type': reply.type,
    'content-length': Buffer.byteLength(reply.body),
    ...reply.headers,
  });
  res.end(reply.body);
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new InvalidArgument('The request body is too large.', 'TOO_LARGE');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Actions take JSON only: a page on another origin cannot send that without
 * a CORS preflight, which this server never answers (with SameSite cookies,
 * the guard against cross-site requests).
 */
async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  if (!req.headers['content-type']?.startsWith('application/json')) {
    throw new InvalidArgument('Send the action as application/json.', 'JSON_REQUIRED');
  }
  try {
    const value: unknown = JSON.parse(await readBody(req));
    if (typeof value === 'object' && value !== null) return value as Record<string, unknown>;
  } catch (err) {
    if (err instanceof ChatError) throw err;
  }
  throw new InvalidArgument('The request body is not a JSON object.', 'INVALID_JSON');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
