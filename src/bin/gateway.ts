import { Registry } from 'prom-client';
import { ConfigError } from '../config/env-reader';
import { loadGatewayConfig } from '../config/gateway';
import { createLogger } from '../core/logger';
import { RedisKeys } from '../core/names';
import {
  CachedDirectory,
  Gateway,
  RedisServerDirectory,
  createStrategy,
  prometheusGatewayMetrics,
} from '../gateway';
import { processMetrics, serveMetrics } from '../node/metrics';
import { closeRedis, openRedis } from '../redis/connect';
import { onShutdownSignal, signalReady } from './shutdown';

/** The gateway process: `node dist/src/bin/gateway.js` (pm2 cluster mode runs several). */
async function main(): Promise<void> {
  const config = loadGatewayConfig(process.env);
  const logger = createLogger({ level: config.log.level, pretty: config.log.pretty, name: 'gateway' });
  const redis = openRedis(config.redis, logger, { maxRetriesPerRequest: 1 });
  const directory = new CachedDirectory(
    new RedisServerDirectory({ redis, keys: new RedisKeys(config.redis.prefix), logger }),
    {
      cacheMs: config.cacheMs,
    },
  );
  const registry = new Registry();
  processMetrics(registry);
  const gateway = new Gateway({
    directory,
    strategy: createStrategy(config.strategy),
    logger,
    limits: config.limits,
    metrics: prometheusGatewayMetrics(registry),
  });
  // Each gateway process has its own endpoint (pm2 gives each instance its own METRICS_PORT).
  const endpoint =
    config.metrics.port === undefined
      ? undefined
      : await serveMetrics(registry, config.metrics.host, config.metrics.port, logger);
  onShutdownSignal(logger, async () => {
    await gateway.close();
    await endpoint?.close();
    await closeRedis(redis);
  });
  const address = await gateway.listen(config.port, config.host);
  logger.info({ event: 'gateway_started', ...address, strategy: config.strategy }, 'gateway listening');
  signalReady();
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
