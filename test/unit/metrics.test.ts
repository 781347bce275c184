import { commandMetrics, createRegistry, serveMetrics } from '../../src/node/metrics';
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
});
