import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import pino from 'pino';
import { Registry } from 'prom-client';
import WebSocket from 'ws';
import type { ClientOptions } from 'ws';
import type { ServerFrame } from '../../gen/chat/v1/client';
import { ClientFrame } from '../../gen/chat/v1/client';
import { ChatClient, ChatClientError } from '../../src/client/chat-client';
import { Unauthenticated } from '../../src/core/errors';
import type { Logger } from '../../src/core/logger';
import { encodeClientFrame } from '../../src/protocol/codec';
import { CloseCode, SUBPROTOCOL_BINARY, SUBPROTOCOL_JSON } from '../../src/protocol/close-codes';
import type { ClientConnection } from '../../src/ws/connection';
import type { CommandHandlers } from '../../src/ws/context';
import { createWsEdge } from '../../src/ws/index';
import { effectiveConnectionCap, FD_RESERVE, openFileLimit } from '../../src/ws/fd-limit';
import { WS_HTTP_TIMEOUTS } from '../../src/ws/http-limits';
import type { WsServer } from '../../src/ws/server';
import { RawClient } from '../support/raw-client';
import { useScope } from '../support/scope';
import { waitFor } from '../../src/core/wait-for';

const scope = useScope();

type LogLine = Record<string, unknown>;

/** A debug logger whose lines the test can inspect. */
function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => lines.push(JSON.parse(s) as LogLine) });
  return { logger, lines };
}

const baseLimits = {
  maxFrameBytes: 4096,
  maxTextLength: 50,
  heartbeatMs: 10_000,
  maxBufferedBytes: 64 * 1024,
  ratePerSecond: 1000,
  rateBurst: 1000,
  rateMaxStrikes: 5,
  loginTimeoutMs: 0,
  maxConnections: 1000,
  maxConnectionsPerAddress: 1000,
  trustedProxies: [] as string[],
};

interface Edge {
  server: WsServer;
  url: string;
  lines: LogLine[];
  /** Texts in the order the sendDirect handler started them, per user. */
  handled: string[];
  /** Lets the getPopular handlers (blocked until then) finish. */
  release: () => void;
  /** Commands that reached a handler, by name. */
  reached: string[];
  metrics: Registry;
}

/** A WsServer with a small handler map made for these tests. */
async function startEdge(
  overrides: Partial<typeof baseLimits> = {},
  extra: { maxPendingCommands?: number; closeGraceMs?: number } = {},
): Promise<Edge> {
  const { logger, lines } = captureLogger();
  const handled: string[] = [];
  const reached: string[] = [];
  const metrics = new Registry();
  let seq = 0;
  let releaseBlocked: () => void = () => undefined;
  const blocked = new Promise<void>((resolve) => (releaseBlocked = resolve));
  const handlers: CommandHandlers = {
    login: async (ctx, login) => {
      reached.push('login');
      if (login.password !== 'pw')
        throw new Unauthenticated('Wrong user name or password.', 'BAD_CREDENTIALS');
      ctx.conn.user = { username: login.username, alliance: 'red', sid: `sid-${ctx.conn.id}`, createdAt: 0 };
      return {
        $case: 'loginOk',
        value: {
          user: { username: login.username, alliance: 'red', createdAt: 0 },
          nodeId: 'test-node',
          resumeToken: '',
          resumeTokenExpiresAt: 0,
          missed: [],
        },
      };
    },
    ping: async (_ctx, ping) => ({ $case: 'pong', value: { clientTs: ping.clientTs, serverTs: Date.now() } }),
    sendDirect: async (_ctx, send) => {
      handled.push(send.text);
      // Uneven handler times: order must come from the per-connection queue, not luck.
      await delay(Math.floor(Math.random() * 4));
      seq += 1;
      return {
        $case: 'sendAck',
        value: { id: `m${seq}`, conversation: `dm:${send.to}`, seq, ts: Date.now(), delivered: true },
      };
    },
    getUserInfo: async () => {
      throw new Error('database exploded (internal detail)');
    },
    getPopular: async () => {
      reached.push('getPopular');
      await blocked;
      return { $case: 'popular', value: { words: [] } };
    },
  };
  const server = createWsEdge({
    ws: { ...baseLimits, ...overrides },
    handlers,
    maxPopularLimit: 50,
    maxHistoryLimit: 100,
    logger,
    metrics,
    ...extra,
  });
  const { url } = await server.listen('127.0.0.1', 0);
  scope.defer(() => server.close(), 'ws server');
  return {
    server,
    url,
    lines,
    handled,
    release: () => releaseBlocked(),
    reached,
    metrics,
  };
}

async function client(url: string, options: { json?: boolean; login?: string } = {}): Promise<ChatClient> {
  const c = await ChatClient.connect(url, { json: options.json, requestTimeoutMs: 5000 });
  scope.defer(() => c.close(), 'chat client');
  if (options.login !== undefined) await c.login(options.login, 'pw');
  return c;
}

/** The bystander: must keep getting answers whatever other clients do. */
async function expectHealthy(c: ChatClient): Promise<void> {
  expect(c.isOpen).toBe(true);
  const pong = await c.ping();
  expect(pong.serverTs).toBeGreaterThan(0);
  await expect(c.sendDirect('bob', 'still here')).resolves.toMatchObject({ delivered: true });
}

async function errorOf(p: Promise<unknown>): Promise<ChatClientError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ChatClientError) return err;
    throw err;
  }
  throw new Error('expected the request to fail');
}

function errorEvent(frame: ServerFrame): { code: number; reason: string; message: string } {
  if (frame.event?.$case !== 'error') throw new Error(`expected an error, got ${frame.event?.$case}`);
  return frame.event.value;
}

const loginFrame = (id: number, username = 'raw'): ClientFrame => ({
  id,
  cmd: { $case: 'login', value: { username, password: 'pw', resumeToken: '' } },
});

describe('WebSocket edge: bad input', () => {
  it('answers garbage bytes with 400 MALFORMED_FRAME (reply_to 0) and keeps the connection', async () => {
    const edge = await startEdge();
    const bystander = await client(edge.url, { login: 'alice' });
    const c = await client(edge.url, { login: 'mallory' });
    const errors: ChatClientError[] = [];
    c.on('serverError', (e) => errors.push(e));
    c.sendRaw(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02]));
    await waitFor(() => errors.length === 1, { what: 'the error for garbage bytes' });
    expect([errors[0]!.code, errors[0]!.reason]).toEqual([400, 'MALFORMED_FRAME']);
    await expect(c.ping()).resolves.toBeDefined();
    await expectHealthy(bystander);
  });

  it('answers a truncated frame with 400 MALFORMED_FRAME', async () => {
    const edge = await startEdge();
    const bystander = await client(edge.url, { login: 'alice' });
    const raw = await RawClient.open(edge.url, { scope });
    const full = encodeClientFrame({
      id: 3,
      cmd: { $case: 'sendDirect', value: { to: 'bob', text: 'hello there', idempotencyKey: '' } },
    });
    raw.send(full.subarray(0, full.length - 4));
    const reply = await raw.reply(0);
    expect(errorEvent(reply)).toMatchObject({ code: 400, reason: 'MALFORMED_FRAME' });
    raw.send({ id: 4, cmd: { $case: 'ping', value: { clientTs: 1 } } });
    expect((await raw.reply(4)).event?.$case).toBe('pong');
    await expectHealthy(bystander);
  });

  it('closes an oversized frame with 1009 and stays up for everyone else', async () => {
    const edge = await startEdge({ maxFrameBytes: 1024 });
    const bystander = await client(edge.url, { login: 'alice' });
    const c = await client(edge.url, { login: 'mallory' });
    c.sendRaw(Buffer.alloc(1025, 1));
    const closed = await c.waitClosed();
    expect(closed.code).toBe(CloseCode.MESSAGE_TOO_BIG);
    await expectHealthy(bystander);
    const again = await client(edge.url, { login: 'mallory' });
    await expect(again.ping()).resolves.toBeDefined();
    await waitFor(() => edge.server.connectionCount === 2, { what: 'the oversized connection to be gone' });
  });

  it('answers an unknown command with 400 UNKNOWN_COMMAND and its request id', async () => {
    const edge = await startEdge();
    const bystander = await client(edge.url, { login: 'alice' });
    const raw = await RawClient.open(edge.url, { scope });
    raw.send(loginFrame(1));
    expect((await raw.reply(1)).event?.$case).toBe('loginOk');
    // id = 7 (field 1, varint), then field 99 as an empty length-delimited message.
    raw.send(Buffer.from([0x08, 0x07, 0x9a, 0x06, 0x00]));
    expect(errorEvent(await raw.reply(7))).toMatchObject({ code: 400, reason: 'UNKNOWN_COMMAND' });
    // A protocol command without a handler goes the same way.
    raw.send({ id: 8, cmd: { $case: 'listRooms', value: {} } });
    expect(errorEvent(await raw.reply(8))).toMatchObject({ code: 400, reason: 'UNKNOWN_COMMAND' });
    await expectHealthy(bystander);
  });

  it('refuses commands before login with 401', async () => {
    const edge = await startEdge();
    const bystander = await client(edge.url, { login: 'alice' });
    const c = await client(edge.url);
    const err = await errorOf(c.sendDirect('bob', 'hi'));
    expect([err.code, err.reason, err.command]).toEqual([401, 'UNAUTHENTICATED', 'sendDirect']);
    await expect(c.ping()).resolves.toBeDefined();
    expect((await errorOf(c.login('carol', 'wrong'))).reason).toBe('BAD_CREDENTIALS');
    await expectHealthy(bystander);
  });

  it('answers a too-long text with 413 and invalid names with 400', async () => {
    const edge = await startEdge({ maxTextLength: 10 });
    const bystander = await client(edge.url, { login: 'alice' });
    const c = await client(edge.url, { login: 'mallory' });
    const long = await errorOf(c.sendDirect('bob', 'x'.repeat(11)));
    expect([long.code, long.reason]).toEqual([413, 'TEXT_TOO_LONG']);
    await expectHealthy(bystander);
    const badTo = await errorOf(c.sendDirect('bob smith', 'hi'));
    expect([badTo.code, badTo.reason]).toEqual([400, 'INVALID_NAME']);
    const badRoom = await errorOf(c.joinRoom('../etc'));
    expect([badRoom.code, badRoom.reason]).toEqual([400, 'INVALID_NAME']);
    const fresh = await client(edge.url);
    const badLogin = await errorOf(fresh.login('no spaces please', 'pw'));
    expect([badLogin.code, badLogin.reason]).toEqual([400, 'INVALID_NAME']);
    await expectHealthy(bystander);
  });

  it('hides unexpected handler errors behind a generic 500 and logs them with the connection id', async () => {
    const edge = await startEdge();
    const bystander = await client(edge.url, { login: 'alice' });
    const c = await client(edge.url, { login: 'mallory' });
    const err = await errorOf(c.userInfo('bob'));
    expect([err.code, err.reason]).toEqual([500, 'INTERNAL']);
    expect(err.message).not.toContain('exploded');
    const logged = edge.lines.find((l) => l.event === 'command-failed');
    expect(logged).toBeDefined();
    expect(typeof logged!.connId).toBe('string');
    expect(JSON.stringify(logged!.err)).toContain('database exploded');
    await expectHealthy(bystander);
  });
});

describe('WebSocket edge: limits and liveness', () => {
  it('answers a flood with 429, then disconnects sustained abuse with RATE_ABUSE', async () => {
    const edge = await startEdge({ ratePerSecond: 1, rateBurst: 5, rateMaxStrikes: 5 });
    const bystander = await client(edge.url, { login: 'alice' });
    const c = await client(edge.url);
    const results = await Promise.allSettled(Array.from({ length: 30 }, () => c.ping()));
    const reasons = results.map((r) =>
      r.status === 'fulfilled' ? 'ok' : r.reason instanceof ChatClientError ? r.reason.reason : 'other',
    );
    // Five pings fit the burst; the next five are strikes (429); one more strike is abuse.
    expect(reasons.filter((r) => r === 'ok').length).toBeGreaterThanOrEqual(5);
    expect(reasons).toContain('RATE_LIMITED');
    expect(reasons).toContain('RATE_ABUSE');
    const closed = await c.waitClosed();
    expect(closed.code).toBe(CloseCode.RATE_ABUSE);
    expect(edge.lines.some((l) => l.event === 'rate-abuse')).toBe(true);
    await expectHealthy(bystander);
  });

  it('answers 429 TOO_MANY_PENDING past the per-connection queue bound', async () => {
    const edge = await startEdge({}, { maxPendingCommands: 3 });
    const bystander = await client(edge.url, { login: 'alice' });
    const c = await client(edge.url, { login: 'mallory' });
    const requests = Array.from({ length: 5 }, () => c.popular(5));
    const settled = Promise.allSettled(requests);
    const rejected = await Promise.allSettled(requests.slice(3));
    expect(rejected.map((r) => r.status === 'rejected' && (r.reason as ChatClientError).reason)).toEqual([
      'TOO_MANY_PENDING',
      'TOO_MANY_PENDING',
    ]);
    await expectHealthy(bystander);
    edge.release();
    const all = await settled;
    expect(all.slice(0, 3).every((r) => r.status === 'fulfilled')).toBe(true);
  });

  it('drops a client that stops answering pings, and keeps one that does', async () => {
    const edge = await startEdge({ heartbeatMs: 150 });
    const bystander = await client(edge.url, { login: 'alice' });
    const dead = await RawClient.open(edge.url, { scope, ws: { autoPong: false } });
    await waitFor(() => edge.server.connectionCount === 2, { what: 'both connections' });
    const closed = await dead.closed;
    expect(closed.code).toBe(1006);
    await waitFor(() => edge.server.connectionCount === 1, { what: 'the server to forget the dead client' });
    expect(edge.lines.some((l) => l.event === 'heartbeat-timeout')).toBe(true);
    await expectHealthy(bystander);
  });

  it('disconnects a slow consumer once its send buffer passes the bound', async () => {
    const edge = await startEdge({ maxBufferedBytes: 16 * 1024 }, { closeGraceMs: 200 });
    const bystander = await client(edge.url, { login: 'alice' });
    const accepted = new Promise<ClientConnection>((resolve) => edge.server.onConnection(resolve));
    const socket = await openStalledSocket(edge.url);
    const conn = await accepted;
    const closedWith = new Promise<number>((resolve) => conn.onClose((code) => resolve(code)));
    const text = 'y'.repeat(4000);
    let sent = 0;
    // Bounded: the kernel buffers a few MB at most before bufferedAmount grows.
    for (let i = 0; i < 50_000; i++) {
      const ok = conn.send({
        replyTo: 0,
        event: {
          $case: 'message',
          value: { id: `m${i}`, kind: 1, conversation: 'dm:a|b', seq: i, from: 'a', to: 'b', text, ts: 0 },
        },
      });
      if (!ok) break;
      sent++;
    }
    expect(sent).toBeLessThan(50_000);
    expect(conn.isOpen).toBe(false);
    expect(await closedWith).toBe(CloseCode.SLOW_CONSUMER);
    expect(edge.lines.some((l) => l.event === 'slow-consumer')).toBe(true);
    await waitFor(() => edge.server.connectionCount === 1, { what: 'the slow consumer to be gone' });
    socket.destroy();
    await expectHealthy(bystander);
  });

  it('processes the commands of one connection in order', async () => {
    const edge = await startEdge();
    const c = await client(edge.url, { login: 'alice' });
    const texts = Array.from({ length: 40 }, (_, i) => `msg-${i}`);
    const acks = await Promise.all(texts.map((t) => c.sendDirect('bob', t)));
    expect(edge.handled).toEqual(texts);
    const seqs = acks.map((a) => a.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });
});

describe('WebSocket edge: protocol and lifecycle', () => {
  it('speaks JSON text with the chat.v1.json subprotocol', async () => {
    const edge = await startEdge();
    const bystander = await client(edge.url, { login: 'alice' });
    const c = await client(edge.url, { json: true, login: 'jason' });
    await expect(c.sendDirect('bob', 'hi in json')).resolves.toMatchObject({ delivered: true });
    const raw = await RawClient.open(edge.url, { scope, protocol: SUBPROTOCOL_JSON });
    expect(raw.socket.protocol).toBe(SUBPROTOCOL_JSON);
    raw.send(JSON.stringify({ id: 5, ping: { clientTs: 42 } }));
    const reply = await raw.reply(5);
    expect(reply.event).toMatchObject({ $case: 'pong', value: { clientTs: 42 } });
    expect(raw.frames.every((f) => !f.isBinary)).toBe(true);
    raw.send('{not json');
    expect(errorEvent(await raw.reply(0))).toMatchObject({ code: 400, reason: 'MALFORMED_FRAME' });
    await expectHealthy(bystander);
  });

  it('accepts JSON text on a binary connection and answers in binary', async () => {
    const edge = await startEdge();
    const raw = await RawClient.open(edge.url, { scope });
    raw.send(JSON.stringify(ClientFrame.toJSON({ id: 9, cmd: { $case: 'ping', value: { clientTs: 7 } } })));
    expect((await raw.reply(9)).event?.$case).toBe('pong');
    expect(raw.frames.every((f) => f.isBinary)).toBe(true);
  });

  it('reports the connection count on every change', async () => {
    const edge = await startEdge();
    const counts: number[] = [];
    edge.server.onCount((n) => counts.push(n));
    const a = await client(edge.url);
    await client(edge.url);
    await waitFor(() => counts.length === 2, { what: 'two count changes' });
    await a.close();
    await waitFor(() => counts.length === 3, { what: 'the count to drop' });
    expect(counts).toEqual([1, 2, 1]);
    expect(edge.server.connectionCount).toBe(1);
  });

  it('answers plain HTTP with 426', async () => {
    const edge = await startEdge();
    const res = await fetch(edge.url.replace('ws://', 'http://'));
    expect(res.status).toBe(426);
  });

  it('closes every client with 1001 on shutdown, idempotently', async () => {
    const edge = await startEdge();
    const a = await client(edge.url, { login: 'alice' });
    const b = await client(edge.url, { json: true });
    const first = edge.server.close();
    expect(edge.server.close()).toBe(first);
    await first;
    expect((await a.waitClosed()).code).toBe(CloseCode.GOING_AWAY);
    expect((await b.waitClosed()).code).toBe(CloseCode.GOING_AWAY);
    expect(edge.server.connectionCount).toBe(0);
    await expect(ChatClient.connect(edge.url, { connectTimeoutMs: 2000 })).rejects.toMatchObject({
      reason: 'CONNECT_FAILED',
    });
  });
});

/** The value of one counter series in the edge's registry (0 when never counted). */
async function counter(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (metric?.values ?? []) as Array<{ value: number; labels: Record<string, unknown> }>;
  const found = values.find((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want));
  return found?.value ?? 0;
}

/** Opens a WebSocket and resolves with the HTTP status of a refused handshake (or 101). */
function handshakeStatus(url: string, options: ClientOptions = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, [SUBPROTOCOL_BINARY], options);
    scope.defer(() => socket.terminate(), 'handshake socket');
    socket.once('open', () => resolve(101));
    socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    socket.once('error', reject);
  });
}

const GARBAGE = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02]);

describe('WebSocket edge: abuse (issue 14, finding 4)', () => {
  it('charges undecodable frames to the rate-limit bucket before decoding them', async () => {
    const edge = await startEdge({ ratePerSecond: 1, rateBurst: 3, rateMaxStrikes: 100 });
    const raw = await RawClient.open(edge.url, { scope });
    for (let i = 0; i < 3; i++) raw.send(GARBAGE);
    raw.send({ id: 4, cmd: { $case: 'ping', value: { clientTs: 1 } } });
    expect(errorEvent(await raw.reply(4))).toMatchObject({ code: 429, reason: 'RATE_LIMITED' });
    const malformed = raw.frames.filter((f) => f.frame.event?.$case === 'error' && f.frame.replyTo === 0);
    expect(malformed).toHaveLength(3);
  });

  it('closes a connection that keeps sending garbage with 1008 POLICY_VIOLATION, and counts it', async () => {
    const edge = await startEdge({ rateMaxStrikes: 5 });
    const bystander = await client(edge.url, { login: 'alice' });
    const raw = await RawClient.open(edge.url, { scope });
    for (let i = 0; i < 20; i++) raw.send(i % 2 === 0 ? GARBAGE : '{"id":1,"login":{"username":7}}');
    const closed = await raw.closed;
    expect(closed.code).toBe(CloseCode.POLICY_VIOLATION);
    const reasons = raw.frames.map((f) =>
      f.frame.event?.$case === 'error' ? f.frame.event.value.reason : '',
    );
    expect(reasons.slice(-1)).toEqual(['PROTOCOL_ABUSE']);
    expect(edge.lines.some((l) => l.event === 'protocol-abuse')).toBe(true);
    expect(await counter(edge.metrics, 'chat_ws_strikes_total', { cause: 'malformed' })).toBe(6);
    expect(await counter(edge.metrics, 'chat_ws_refusals_total', { reason: 'policy_violation' })).toBe(1);
    await expectHealthy(bystander);
  });

  it('counts TOO_MANY_PENDING as a strike and closes a client that keeps overrunning its queue', async () => {
    const edge = await startEdge({ rateMaxStrikes: 3 }, { maxPendingCommands: 1 });
    const c = await client(edge.url, { login: 'mallory' });
    const settled = await Promise.allSettled(Array.from({ length: 6 }, () => c.popular(5)));
    const reasons = settled.map((r) =>
      r.status === 'rejected' ? (r.reason as ChatClientError).reason : 'ok',
    );
    expect(reasons.slice(1, 4)).toEqual(['TOO_MANY_PENDING', 'TOO_MANY_PENDING', 'TOO_MANY_PENDING']);
    expect(reasons[4]).toBe('RATE_ABUSE');
    expect((await c.waitClosed()).code).toBe(CloseCode.RATE_ABUSE);
    expect(await counter(edge.metrics, 'chat_ws_strikes_total', { cause: 'pending' })).toBe(4);
    edge.release();
  });
});

describe('WebSocket edge: connection limits (issue 14, finding 5)', () => {
  it('closes a connection that answers pings but never logs in with 4005 LOGIN_TIMEOUT', async () => {
    const edge = await startEdge({ loginTimeoutMs: 400, heartbeatMs: 100 });
    const idle = await RawClient.open(edge.url, { scope });
    const member = await client(edge.url, { login: 'alice' });
    const started = Date.now();
    expect((await idle.closed).code).toBe(CloseCode.LOGIN_TIMEOUT);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await counter(edge.metrics, 'chat_ws_refusals_total', { reason: 'login_timeout' })).toBe(1);
    // Logged in before the deadline: kept past it.
    await waitFor(() => Date.now() - started > 800, { what: 'twice the login deadline', intervalMs: 50 });
    await expectHealthy(member);
  });

  it('refuses connections past the per-address cap with 429 and past the node cap with 503', async () => {
    const edge = await startEdge({ maxConnectionsPerAddress: 2, maxConnections: 3 });
    await client(edge.url);
    await client(edge.url);
    expect(await handshakeStatus(edge.url)).toBe(429);
    expect(await counter(edge.metrics, 'chat_ws_refusals_total', { reason: 'max_per_address' })).toBe(1);
    // Another address still gets in, until the node is full.
    const other = { localAddress: '127.0.0.2' };
    expect(await handshakeStatus(edge.url, other)).toBe(101);
    expect(await handshakeStatus(edge.url, { localAddress: '127.0.0.3' })).toBe(503);
    expect(await counter(edge.metrics, 'chat_ws_refusals_total', { reason: 'max_connections' })).toBe(1);
    expect(edge.server.connectionCount).toBe(3);
  });

  it('keeps the connection cap below the open-file limit', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'limits-'));
    scope.defer(() => fs.rmSync(dir, { recursive: true, force: true }), 'limits dir');
    const file = path.join(dir, 'limits');
    fs.writeFileSync(
      file,
      'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 4096                 files\n',
    );
    expect(openFileLimit(file)).toBe(1024);
    expect(effectiveConnectionCap(10_000, openFileLimit(file))).toBe(1024 - FD_RESERVE);
    expect(effectiveConnectionCap(100, 1024)).toBe(100);
    expect(openFileLimit(path.join(dir, 'missing'))).toBeUndefined();
  });

  it('takes the client address from X-Forwarded-For only behind a trusted proxy', async () => {
    const seen: string[] = [];
    const headers = { 'x-forwarded-for': '203.0.113.7' };
    const plain = await startEdge();
    plain.server.onConnection((conn) => seen.push(conn.remoteAddress));
    await RawClient.open(plain.url, { scope, ws: { headers } });
    const proxied = await startEdge({ trustedProxies: ['loopback'] });
    proxied.server.onConnection((conn) => seen.push(conn.remoteAddress));
    await RawClient.open(proxied.url, { scope, ws: { headers } });
    expect(seen).toEqual(['127.0.0.1', '203.0.113.7']);
  });
});

describe('WebSocket edge: field types (issue 14, finding 6)', () => {
  it('answers wrongly typed JSON fields with 400 INVALID_FIELD for that request, before any handler', async () => {
    const edge = await startEdge({ rateMaxStrikes: 50 });
    const raw = await RawClient.open(edge.url, { scope, protocol: SUBPROTOCOL_JSON });
    raw.send('{"id":3,"login":{"username":["user63"],"password":"pw"}}');
    expect(errorEvent(await raw.reply(3))).toMatchObject({
      code: 400,
      reason: 'INVALID_FIELD',
      message: 'login.username must be a string.',
    });
    raw.send('{"id":4,"login":{"username":"user63","password":"pw"}}');
    expect((await raw.reply(4)).event?.$case).toBe('loginOk');
    const cases: Array<[number, string, string]> = [
      [5, '{"id":5,"getPopular":{"limit":2.5}}', 'getPopular.limit'],
      [6, '{"id":6,"getPopular":{"limit":-1}}', 'getPopular.limit'],
      [7, '{"id":7,"getPopular":{"limit":"lots"}}', 'getPopular.limit'],
      [
        8,
        '{"id":8,"sync":{"positions":[{"conversation":"world","afterSeq":1e300}]}}',
        'sync.positions[0].afterSeq',
      ],
      [9, '{"id":9,"sendDirect":{"to":{"$gt":""},"text":"hi"}}', 'sendDirect.to'],
      [10, '{"id":10,"sendChannel":{"channel":"CHANNEL_MARS","text":"hi"}}', 'sendChannel.channel'],
      [11, '{"id":11,"ping":{"clientTs":1},"getPopular":{}}', 'getPopular'],
    ];
    for (const [id, text, field] of cases) {
      raw.send(text);
      const err = errorEvent(await raw.reply(id));
      expect([err.code, err.reason]).toEqual([400, 'INVALID_FIELD']);
      expect(err.message).toContain(field);
    }
    expect(edge.reached).toEqual(['login']);
    expect(edge.lines.some((l) => l.event === 'command-failed')).toBe(false);
  });

  it('refuses passwords with control characters in both subprotocols', async () => {
    const edge = await startEdge();
    for (const json of [false, true]) {
      const c = await client(edge.url, { json });
      const err = await errorOf(c.login('alice', 'pw\u0000'));
      expect([err.code, err.reason]).toEqual([400, 'INVALID_PASSWORD']);
    }
    expect(edge.reached).toEqual([]);
  });
});

describe('WebSocket edge: HTTP timeouts (issue 14, finding 10)', () => {
  it('cuts a client that trickles its upgrade headers within a second of the header timeout', async () => {
    const edge = await startEdge();
    const { hostname, port } = new URL(edge.url);
    const socket = net.connect({ host: hostname, port: Number(port) });
    scope.defer(() => socket.destroy(), 'slow-header socket');
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const started = Date.now();
    socket.write(`GET / HTTP/1.1\r\nHost: ${hostname}\r\n`);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    // One more header line every 500 ms: never finishing the request, always sending something.
    const drip = setInterval(() => socket.writable && socket.write(`X-Drip-${Date.now()}: 1\r\n`), 500);
    scope.defer(() => clearInterval(drip), 'drip timer');
    await closed;
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(WS_HTTP_TIMEOUTS.headersTimeoutMs - 100);
    expect(took).toBeLessThan(WS_HTTP_TIMEOUTS.headersTimeoutMs + WS_HTTP_TIMEOUTS.checkIntervalMs + 1500);
  }, 20_000);
});

/**
 * A WebSocket client that completes the handshake and then never reads: its
 * socket is paused, so the server's writes pile up in its send buffer.
 */
async function openStalledSocket(url: string): Promise<net.Socket> {
  const { hostname, port } = new URL(url);
  const socket = net.connect({ host: hostname, port: Number(port) });
  scope.defer(() => socket.destroy(), 'stalled socket');
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  socket.write(
    [
      'GET / HTTP/1.1',
      `Host: ${hostname}:${port}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
      'Sec-WebSocket-Version: 13',
      `Sec-WebSocket-Protocol: ${SUBPROTOCOL_BINARY}`,
      '',
      '',
    ].join('\r\n'),
  );
  let head = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      if (!head.startsWith('HTTP/1.1 101')) reject(new Error(`handshake failed: ${head.split('\r\n')[0]}`));
      else resolve();
    };
    socket.on('data', onData);
  });
  socket.pause();
  return socket;
}
