import { EnvReader } from './env-reader';
import type { VariableDoc } from './env-reader';
import { readLogConfig, readRedisConfig } from './shared';
import type { LogConfig, RedisConfig } from './shared';

export const STRATEGIES = ['least-connections', 'round-robin', 'random'] as const;
export type StrategyName = (typeof STRATEGIES)[number];

export interface GatewayConfig {
  host: string;
  port: number;
  strategy: StrategyName;
  cacheMs: number;
  redis: RedisConfig;
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
    redis: readRedisConfig(v),
    log: readLogConfig(v),
  };
  return { config, variables: v.variables, finish: () => v.finish() };
}

export function loadGatewayConfig(env: Record<string, string | undefined>): GatewayConfig {
  const { config, finish } = readGatewayConfig(env);
  finish();
  return config;
}
