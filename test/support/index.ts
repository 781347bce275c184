/** Helpers for tests: unique names, waiting on conditions, teardown scopes, real services. */
export { uniquePrefix, uniqueZkRoot, uniqueName } from './unique';
export { waitFor } from '../../src/core/wait-for';
export type { WaitForOptions } from '../../src/core/wait-for';
export { TestScope, useScope } from './scope';
export {
  redisUrl,
  redisEnv,
  redisConnectionOf,
  redisFor,
  zkHosts,
  tempDir,
  connectRedis,
  deleteKeys,
  keysMatching,
  connectZk,
  startOwnRedis,
  startOwnRedisCluster,
  startOwnRedisSentinel,
  startOwnZooKeeper,
  startOwnZooKeeperEnsemble,
} from './services';
export { testEngine } from './engines';
export type { TestEngine } from './engines';
