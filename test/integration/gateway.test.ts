import http from 'node:http';
import net from 'node:net';
import { Redis } from 'ioredis';
import { silentLogger } from '../../src/core/logger';
import { RedisKeys } from '../../src/core/names';
import { CachedDirectory, createStrategy, Gateway, RedisServerDirectory } from '../../src/gateway';
import type { ServerDirectory, ServerEntry, StrategyName } from '../../src/gateway';
import type { GatewayLimits } from '../../src/gateway/limits';
import type { RedisClient } from '../../src/redis/connect';
import { connectRedis, startOwnRedis, uniquePrefix, useScope, waitFor } from '../support';
import type { TestScope } from '../support';

interface Fixture {
  base: string;
  redis: RedisClient;
  keys: RedisKeys;
  /** Reads of the Redis-backed directory (not of the cache in front of it). */
  reads: () => number;
  advance: (ms: number) => void;
}

interface FixtureOptions {
  strategy?: StrategyName;
  cacheMs?: number;
  /** A client of the test's own (default: the shared Redis, keys deleted at the end). */
  redis?: RedisClient;
  timeoutMs?: number;
  limits?: Partial<GatewayLimits>;
}

/** Counts the calls that reach the wrapped directory. */
class CountingDirectory implements ServerDirectory {
  calls = 0;
  constructor(private readonly inner: ServerDirectory) {}
  list(): Promise<readonly ServerEntry[]> {
    this.calls++;
    return this.inner.list();
  }
  check(): Promise<void> {
    return this.inner.check();
  }
}

async function startGateway(scope: TestScope, name: string, options: FixtureOptions = {}): Promise<Fixture> {
  const keys = new RedisKeys(uniquePrefix(name));
  let redis = options.redis;
  if (!redis) {
    const shared = await connectRedis(scope);
    // One DEL each: on a Redis Cluster the two keys live in different slots.
    scope.defer(
      () => Promise.all([shared.del(keys.servers()), shared.del(keys.load())]),
      'delete gateway keys',
    );
    redis = shared;
  }
  let clock = 0;
  const counting = new CountingDirectory(
    new RedisServerDirectory({ redis, keys, logger: silentLogger(), timeoutMs: options.timeoutMs }),
  );
  const directory = new CachedDirectory(counting, { cacheMs: options.cacheMs ?? 1000, now: () => clock });
  const gateway = new Gateway({
    directory,
    strategy: createStrategy(options.strategy ?? 'least-connections'),
    logger: silentLogger(),
    limits: options.limits,
  });
  const address = await gateway.listen(0, '127.0.0.1');
  scope.defer(() => gateway.close(), 'close gateway');
  return {
    base: `http://127.0.0.1:${address.port}`,
    redis,
    keys,
    reads: () => counting.calls,
    advance: (ms) => {
      clock += ms;
    },
  };
}

async function publish(
  f: Fixture,
  nodes: Array<{ nodeId: string; url: string; connections?: number }>,
): Promise<void> {
  await f.redis.set(f.keys.servers(), JSON.stringify(nodes.map(({ nodeId, url }) => ({ nodeId, url }))));
  await f.redis.del(f.keys.load());
  const load = nodes.filter((n) => n.connections !== undefined);
  if (load.length > 0) {
    await f.redis.hset(f.keys.load(), Object.fromEntries(load.map((n) => [n.nodeId, String(n.connections)])));
  }
}

async function get(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; headers: Headers; body: unknown }> {
  const res = await fetch(url, init);
  return { status: res.status, headers: res.headers, body: await res.json() };
}

const NODES = [
  { nodeId: 'node-1', url: 'ws://127.0.0.1:7001', connections: 12 },
  { nodeId: 'node-2', url: 'ws://127.0.0.1:7002', connections: 3 },
  { nodeId: 'node-3', url: 'ws://127.0.0.1:7003', connections: 40 },
];

describe('gateway over real Redis', () => {
  const scope = useScope();

  it('hands out one node from the list, as JSON that is never cached', async () => {
    const f = await startGateway(scope, 'gateway-one', { strategy: 'random' });
    await publish(f, NODES);
    const res = await get(`${f.base}/servers`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const chosen = res.body as { nodeId: string; url: string };
    expect(Object.keys(chosen).sort()).toEqual(['nodeId', 'url']);
    expect(NODES.map(({ nodeId, url }) => ({ nodeId, url }))).toContainEqual(chosen);
  });

  it('lists every node with its load for ?all=1', async () => {
    const f = await startGateway(scope, 'gateway-all');
    await publish(f, [...NODES, { nodeId: 'node-4', url: 'ws://127.0.0.1:7004' }]);
    const res = await get(`${f.base}/servers?all=1`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      servers: [...NODES, { nodeId: 'node-4', url: 'ws://127.0.0.1:7004', connections: 0 }],
    });
  });

  it('answers 503 NO_NODE when no node is live', async () => {
    const f = await startGateway(scope, 'gateway-none');
    const missing = await get(`${f.base}/servers`);
    expect(missing.status).toBe(503);
    expect(missing.headers.get('retry-after')).toBe('1');
    expect(missing.body).toEqual({ error: { code: 503, reason: 'NO_NODE', message: expect.any(String) } });

    await publish(f, []);
    f.advance(1000);
    const empty = await get(`${f.base}/servers`);
    expect(empty.status).toBe(503);
    expect((empty.body as { error: { reason: string } }).error.reason).toBe('NO_NODE');
    expect((await get(`${f.base}/servers?all=1`)).body).toEqual({ servers: [] });
  });

  it('answers 404 for unknown paths and 405 for other methods', async () => {
    const f = await startGateway(scope, 'gateway-errors');
    const notFound = await get(`${f.base}/nope`);
    expect(notFound.status).toBe(404);
    expect(notFound.headers.get('cache-control')).toBe('no-store');
    expect(notFound.body).toEqual({ error: { code: 404, reason: 'NOT_FOUND', message: expect.any(String) } });

    const post = await get(`${f.base}/servers`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
    expect((post.body as { error: { reason: string } }).error.reason).toBe('METHOD_NOT_ALLOWED');
  });

  it('picks the least loaded node with least-connections', async () => {
    const f = await startGateway(scope, 'gateway-least');
    await publish(f, NODES);
    // node-2 has 3 connections, node-1 12: the next 9 hand-outs all go to node-2.
    for (let i = 0; i < 9; i++) {
      expect(((await get(`${f.base}/servers`)).body as { nodeId: string }).nodeId).toBe('node-2');
    }
    // A fresh read with changed load moves the choice.
    await publish(
      f,
      NODES.map((n) => ({ ...n, connections: n.nodeId === 'node-3' ? 0 : 50 })),
    );
    f.advance(1000);
    expect(((await get(`${f.base}/servers`)).body as { nodeId: string }).nodeId).toBe('node-3');
  });

  it('cycles the nodes with round-robin', async () => {
    const f = await startGateway(scope, 'gateway-rr', { strategy: 'round-robin' });
    await publish(f, NODES);
    const seen: string[] = [];
    for (let i = 0; i < 6; i++)
      seen.push(((await get(`${f.base}/servers`)).body as { nodeId: string }).nodeId);
    expect(seen).toEqual(['node-1', 'node-2', 'node-3', 'node-1', 'node-2', 'node-3']);
  });

  it('reads Redis at most once per cache window, shared by concurrent requests', async () => {
    const f = await startGateway(scope, 'gateway-cache', { cacheMs: 1000 });
    await publish(f, NODES);
    const burst = await Promise.all(Array.from({ length: 20 }, () => get(`${f.base}/servers`)));
    expect(burst.every((r) => r.status === 200)).toBe(true);
    expect(f.reads()).toBe(1);

    for (let i = 0; i < 5; i++) await get(`${f.base}/servers?all=1`);
    f.advance(999);
    await get(`${f.base}/servers`);
    expect(f.reads()).toBe(1);

    // Past the window, one more read picks up the new list.
    await publish(f, [{ nodeId: 'node-9', url: 'ws://127.0.0.1:7009', connections: 0 }]);
    f.advance(1);
    const after = await Promise.all(Array.from({ length: 5 }, () => get(`${f.base}/servers`)));
    expect(after.map((r) => (r.body as { nodeId: string }).nodeId)).toEqual(Array(5).fill('node-9'));
    expect(f.reads()).toBe(2);
  });

  it('answers 503 when the server list in Redis is unreadable', async () => {
    const f = await startGateway(scope, 'gateway-garbage');
    await f.redis.set(f.keys.servers(), '{not json');
    const res = await get(`${f.base}/servers`);
    expect(res.status).toBe(503);
    expect((res.body as { error: { reason: string } }).error.reason).toBe('DIRECTORY_UNAVAILABLE');
  });

  it('reports health from Redis: 200 while it answers, 503 once it is gone', async () => {
    const own = await startOwnRedis(scope);
    // Default retry behaviour, as in production: commands wait for a reconnect
    // that never comes, so the directory's own timeout must answer. (A short
    // disconnectTimeout: ioredis arms that timer even for an already closed socket.)
    const client = new Redis(own.url, { lazyConnect: true, disconnectTimeout: 50 });
    scope.defer(() => client.disconnect(), 'disconnect redis client');
    await client.connect();
    const f = await startGateway(scope, 'gateway-health', { redis: client, timeoutMs: 300 });
    const ok = await get(`${f.base}/healthz`);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ status: 'ok' });

    await own.stop();
    const down = await get(`${f.base}/healthz`);
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ status: 'unavailable', error: { code: 503 } });
    const servers = await get(`${f.base}/servers`);
    expect(servers.status).toBe(503);
  });
});

describe('Gateway lifecycle', () => {
  it('closes idempotently, also when never started', async () => {
    const directory: ServerDirectory = { list: () => Promise.resolve([]), check: () => Promise.resolve() };
    const idle = new Gateway({ directory, strategy: createStrategy('random'), logger: silentLogger() });
    await Promise.all([idle.close(), idle.close()]);

    const gateway = new Gateway({ directory, strategy: createStrategy('random'), logger: silentLogger() });
    const { port } = await gateway.listen(0, '127.0.0.1');
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    const first = gateway.close();
    expect(gateway.close()).toBe(first);
    await first;
  });
});

describe('gateway limits (issue 14, finding 10)', () => {
  const scope = useScope();

  /** A TCP client that sends a request line and then one header line every 200 ms, never finishing. */
  async function slowHeaders(base: string): Promise<Promise<number>> {
    const { hostname, port } = new URL(base);
    const socket = net.connect({ host: hostname, port: Number(port) });
    scope.defer(() => socket.destroy(), 'slow-header socket');
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const started = Date.now();
    const closed = new Promise<number>((resolve) =>
      socket.once('close', () => resolve(Date.now() - started)),
    );
    socket.write('GET /servers HTTP/1.1\r\nHost: gateway\r\n');
    const drip = setInterval(() => socket.writable && socket.write(`X-Drip-${Date.now()}: 1\r\n`), 200);
    scope.defer(() => clearInterval(drip), 'drip timer');
    return closed;
  }

  it('cuts a client that trickles its headers within about a second of the header timeout', async () => {
    const f = await startGateway(scope, 'gateway-slow', { limits: { headersTimeoutMs: 1000 } });
    for (let round = 0; round < 3; round++) {
      const took = await slowHeaders(f.base);
      // Node checks these timeouts every connectionsCheckingInterval: 30 s unless set.
      expect(took).toBeGreaterThanOrEqual(900);
      expect(took).toBeLessThan(3500);
    }
  }, 20_000);

  it('answers 429 with retry-after past the request rate of one address, and serves other addresses', async () => {
    const f = await startGateway(scope, 'gateway-rate', { limits: { ratePerAddress: 5 } });
    await publish(f, NODES);
    const burst = await Promise.all(Array.from({ length: 12 }, () => get(`${f.base}/servers`)));
    const ok = burst.filter((r) => r.status === 200).length;
    // The window is one second; should it turn over during the burst, a second five get through.
    expect(ok).toBeGreaterThanOrEqual(5);
    expect(ok).toBeLessThanOrEqual(10);
    const limited = burst.find((r) => r.status === 429);
    if (limited === undefined) throw new Error('no request was refused');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.body).toMatchObject({ error: { code: 429, reason: 'RATE_LIMITED' } });
    // Another loopback address has its own budget.
    const other = await new Promise<number>((resolve, reject) => {
      const req = http.get(`${f.base}/servers`, { localAddress: '127.0.0.2' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
    });
    expect(other).toBe(200);
  });

  it('drops connections past its connection limit', async () => {
    const f = await startGateway(scope, 'gateway-conns', { limits: { maxConnections: 2 } });
    await publish(f, NODES);
    const { hostname, port } = new URL(f.base);
    const open = async (): Promise<net.Socket> => {
      const socket = net.connect({ host: hostname, port: Number(port) });
      scope.defer(() => socket.destroy(), 'held socket');
      socket.on('error', () => undefined);
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      return socket;
    };
    const held = [await open(), await open()];
    const third = await open();
    // The server closes the third at once, without an answer.
    await new Promise<void>((resolve) => third.once('close', () => resolve()));
    expect(held.every((s) => !s.destroyed)).toBe(true);
    held.forEach((s) => s.destroy());
    await waitFor(async () => (await get(`${f.base}/servers`)).status === 200, {
      what: 'the gateway to accept again',
    });
  });
});
