import { commandMetrics, createRegistry, serveMetrics, storeCommitLatency } from '../../src/node/metrics';
import { CloseCode } from '../../src/protocol/close-codes';
import { edgeMetrics } from '../../src/ws';
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
    const edge = edgeMetrics(registry);
    edge.opened();
    edge.opened();
    edge.closed(CloseCode.SLOW_CONSUMER);
    edge.closed(4321);
    const body = await registry.metrics();
    expect(body).toContain('chat_ws_connections_opened_total{node="n9"} 2');
    expect(body).toContain('chat_ws_connections_closed_total{code="SLOW_CONSUMER",node="n9"} 1');
    expect(body).toContain('chat_ws_connections_closed_total{code="OTHER",node="n9"} 1');
    expect(body).toContain('chat_ws_slow_consumers_total{node="n9"} 1');
    // A second edgeMetrics on the same registry (pipeline and server) shares the counters.
    edgeMetrics(registry).opened();
    expect(await registry.metrics()).toContain('chat_ws_connections_opened_total{node="n9"} 3');
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
