import { EnvReader } from './env-reader';
import type { VariableDoc } from './env-reader';
import { splitList } from './edge';
import { readMetricsConfig } from './ops';
import type { MetricsConfig } from './ops';
import { readLogConfig, readRedisConfig } from './shared';
import type { LogConfig, RedisConfig } from './shared';

export const STRATEGIES = ['least-connections', 'round-robin', 'random'] as const;
export type StrategyName = (typeof STRATEGIES)[number];

export interface GatewayConfig {
  host: string;
  port: number;
  strategy: StrategyName;
  cacheMs: number;
  limits: {
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    maxConnections: number;
    ratePerAddress: number;
    trustedProxies: string[];
  };
  redis: RedisConfig;
  metrics: MetricsConfig;
  log: LogConfig;
}

export function readGatewayConfig(env: Record<string, string | undefined>): {
  config: GatewayConfig;
  variables: VariableDoc[];
  finish: () => void;
} {
  const v = new EnvReader(env);
  const config: GatewayConfig = {
    host: v.string('GATEWAY_HOST', '127.0.0.1', 'Address of the gateway HTTP server.'),
    port: v.port('GATEWAY_PORT', 8080, 'Port of the gateway HTTP server.'),
    strategy: v.oneOf('GATEWAY_STRATEGY', 'least-connections', 'How the gateway picks a node.', STRATEGIES),
    cacheMs: v.int(
      'GATEWAY_CACHE_MS',
      1000,
      'How long the gateway may reuse the server list read from Redis (at most 1000).',
      0,
      1000,
    ),
    limits: {
      headersTimeoutMs: v.int(
        'GATEWAY_HEADERS_TIMEOUT_MS',
        5000,
        'A client that has not sent its request headers within this is cut (checked every second).',
        100,
      ),
      requestTimeoutMs: v.int('GATEWAY_REQUEST_TIMEOUT_MS', 10000, 'Longest time for a whole request.', 100),
      maxConnections: v.int(
        'GATEWAY_MAX_CONNECTIONS',
        2000,
        'Open TCP connections per gateway process; more are dropped at accept.',
        1,
      ),
      ratePerAddress: v.int(
        'GATEWAY_RATE_PER_ADDRESS',
        50,
        'Requests per second from one client address; more get 429 with retry-after.',
        1,
      ),
      trustedProxies: splitList(
        v.string(
          'TRUSTED_PROXIES',
          '',
          'Proxies whose X-Forwarded-For names the client (addresses, CIDRs, loopback); empty = none.',
        ),
      ),
    },
    redis: readRedisConfig(v),
    metrics: readMetricsConfig(v),
    log: readLogConfig(v),
  };
  return { config, variables: v.variables, finish: () => v.finish() };
}

export function loadGatewayConfig(env: Record<string, string | undefined>): GatewayConfig {
  const { config, finish } = readGatewayConfig(env);
  finish();
  return config;
}
