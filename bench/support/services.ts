import path from 'node:path';
import { startRedis, startZooKeeper } from '../../src/devservices';
import type { RedisProcess, ZooKeeperProcess } from '../../src/devservices';
import type { Teardown } from './teardown';

export interface BenchServices {
  redis: RedisProcess;
  zk: ZooKeeperProcess;
}

/**
 * A private Redis and ZooKeeper for one bench run, on free loopback ports,
 * stopped by `teardown`. ZooKeeper's tick of 500 ms allows session timeouts
 * from 1 s, so short failover timeouts can be measured.
 */
export async function startServices(workDir: string, teardown: Teardown): Promise<BenchServices> {
  const [redis, zk] = await Promise.allSettled([
    startRedis({ dataDir: path.join(workDir, 'redis') }),
    startZooKeeper({ dataDir: path.join(workDir, 'zookeeper'), tickTimeMs: 500 }),
  ]);
  if (redis.status === 'fulfilled') teardown.add('redis', () => redis.value.stop());
  if (zk.status === 'fulfilled') teardown.add('zookeeper', () => zk.value.stop());
  if (redis.status === 'rejected') throw redis.reason;
  if (zk.status === 'rejected') throw zk.reason;
  return { redis: redis.value, zk: zk.value };
}
