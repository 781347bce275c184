export { Gateway } from './gateway';
export type { GatewayAddress, GatewayOptions } from './gateway';
export type { ServerDirectory, ServerEntry } from './directory';
export { RedisServerDirectory } from './redis-directory';
export type { DirectoryRedis, RedisServerDirectoryOptions } from './redis-directory';
export { CachedDirectory, MAX_CACHE_MS } from './cached-directory';
export type { CachedDirectoryOptions } from './cached-directory';
export {
  createStrategy,
  isStrategyName,
  LeastConnections,
  RandomChoice,
  RoundRobin,
  STRATEGY_NAMES,
} from './strategies';
export type { BalancingStrategy, StrategyName, StrategyOptions } from './strategies';
export { noGatewayMetrics, prometheusGatewayMetrics } from './metrics';
export type { GatewayMetrics } from './metrics';
