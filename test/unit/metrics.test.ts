import {
  commandMetrics,
  createRegistry,
  serveMetrics,
  storeCommitLatency,
  storeMetrics,
} from '../../src/node/metrics';
import { CloseCode } from '../../src/protocol/close-codes';
import { ClientConnection, connectionMetrics } from '../../src/ws';
import { MemorySocket } from '../../src/ws/memory-socket';
import { silentLogger } from '../../src/core/logger';
import { RateLimited } from '../../src/core/errors';
import type { CommandContext } from '../../src/ws';

describe('node metrics', () => {
  it('counts commands by outcome and serves them on GET /metrics only', async () => {
    const registry = createRegistry('n9');
    const interceptor = commandMetrics(registry);
    const ctx = { command: 'sendDirect' } as unknown as CommandContext;
    await interceptor(ctx, async () => undefined);
    await expect(
      interceptor(ctx, async () => {
        throw new RateLimited('slow down');
      }),
    ).rejects.toThrow('slow down');
    const endpoint = await serveMetrics(registry, '127.0.0.1', 0, silentLogger());
    try {
      const body = await (await fetch(endpoint.url)).text();
      expect(body).toContain('chat_commands_total{command="sendDirect",outcome="ok",node="n9"} 1');
      expect(body).toContain('chat_commands_total{command="sendDirect",outcome="RATE_LIMITED",node="n9"} 1');
      expect(body).toContain('process_cpu_user_seconds_total');
      expect((await fetch(endpoint.url.replace('/metrics', '/other'))).status).toBe(404);
    } finally {
      await endpoint.close();
    }
  });

  it('counts connections, closes by code name (client-chosen codes as OTHER) and slow consumers', async () => {
    const registry = createRegistry('n9');
    const listen = connectionMetrics(registry);
    const connection = (id: string): { conn: ClientConnection; client: MemorySocket } => {
      const [client, server] = MemorySocket.pair('chat.v1');
      const options = { maxBufferedBytes: 1000, maxPendingCommands: 4, maxInFlightCommands: 1, json: false };
      const conn = new ClientConnection(
        id,
        '127.0.0.1',
        server,
        { ...options, closeGraceMs: 50 },
        silentLogger(),
      );
      listen(conn);
      return { conn, client };
    };
    const slow = connection('c1');
    const odd = connection('c2');
    const closed = (conn: ClientConnection): Promise<void> => new Promise((r) => conn.onClose(() => r()));
    const bothClosed = Promise.all([closed(slow.conn), closed(odd.conn)]);
    slow.conn.close(CloseCode.SLOW_CONSUMER, 'Too much unread data.');
    odd.client.close(4321, 'a code of the client');
    await bothClosed;
    const body = await registry.metrics();
    expect(body).toContain('chat_ws_connections_opened_total{node="n9"} 2');
    expect(body).toContain('chat_ws_connections_closed_total{code="SLOW_CONSUMER",node="n9"} 1');
    expect(body).toContain('chat_ws_connections_closed_total{code="OTHER",node="n9"} 1');
    expect(body).toContain('chat_ws_slow_consumers_total{node="n9"} 1');
  });

  it('reports how late the event loop ran its timer: about nothing when idle, the stall when blocked', async () => {
    const registry = createRegistry('n9');
    const read = (body: string, name: string): number =>
      Number(new RegExp(`^${name}\\{node="n9"\\} (\\S+)$`, 'm').exec(body)?.[1] ?? NaN);
    await new Promise((resolve) => setTimeout(resolve, 350));
    const idle = await registry.metrics();
    // prom-client's own gauges would read the 100 ms sampling interval here, at least. The max
    // leaves room for the test process being descheduled on a loaded machine; the median does not
    // need it.
    expect(read(idle, 'nodejs_eventloop_lag_p50_seconds')).toBeLessThan(0.05);
    expect(read(idle, 'nodejs_eventloop_lag_max_seconds')).toBeLessThan(0.09);
    // Node's histogram measures from the first firing after a scrape, so the stall comes later.
    await new Promise((resolve) => setTimeout(resolve, 150));
    const until = Date.now() + 300;
    while (Date.now() < until); // the loop blocked for 300 ms
    await new Promise((resolve) => setTimeout(resolve, 250));
    const blocked = await registry.metrics();
    expect(read(blocked, 'nodejs_eventloop_lag_max_seconds')).toBeGreaterThan(0.15);
    expect(blocked.match(/^nodejs_eventloop_lag_p99_seconds\{/gm)).toHaveLength(1);
  });

  it("reports the store's commits and, where this node checkpoints the file, its WAL", async () => {
    const registry = createRegistry('n9');
    let walBytes: number | undefined = 5 * 4120;
    storeMetrics(registry, () => ({ commits: 7, rows: 12, lockRetries: 1, queued: 0, walBytes }));
    let body = await registry.metrics();
    expect(body).toContain('chat_store_commits_total{node="n9"} 7');
    expect(body).toContain('chat_store_writes_total{node="n9"} 12');
    expect(body).toContain('chat_store_wal_bytes{node="n9"} 20600');
    walBytes = undefined;
    body = await registry.metrics();
    // Another process checkpoints: the last figure is not repeated as if it were this node's.
    expect(body).toContain('chat_store_wal_bytes{node="n9"} 0');
  });

  it('times store commits in seconds and leaves out the gauges promtool refuses', async () => {
    const registry = createRegistry('n9');
    const observe = storeCommitLatency(registry);
    observe(3);
    observe(400);
    const body = await registry.metrics();
    expect(body).toContain('chat_store_commit_seconds_bucket{le="0.005",node="n9"} 1');
    expect(body).toContain('chat_store_commit_seconds_bucket{le="0.5",node="n9"} 2');
    expect(body).toContain('chat_store_commit_seconds_sum{node="n9"} 0.403');
    expect(body).not.toMatch(/nodejs_active_handles_total/);
    expect(body).toMatch(/nodejs_active_handles\{/);
  });
});
