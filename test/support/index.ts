/** Helpers for tests: unique names, waiting on conditions, teardown scopes, real services. */
export { uniquePrefix, uniqueZkRoot, uniqueName } from './unique';
export { waitFor } from '../../src/core/wait-for';
export type { WaitForOptions } from '../../src/core/wait-for';
export { TestScope, useScope } from './scope';
export {
  redisUrl,
  zkHosts,
  tempDir,
  connectRedis,
  connectZk,
  startOwnRedis,
  startOwnZooKeeper,
} from './services';
