import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startRedis, startZooKeeper } from '../../src/devservices';
import type { RedisProcess, ZooKeeperProcess } from '../../src/devservices';

/** What global setup hands to global teardown (both run in jest's parent process). */
export interface HarnessState {
  tempDir: string;
  redis?: RedisProcess;
  zookeeper?: ZooKeeperProcess;
}

export const harnessKey = Symbol.for('chat-cluster.test-harness');

type HarnessGlobal = typeof globalThis & { [harnessKey]?: HarnessState };

/**
 * Starts one Redis and one ZooKeeper for the whole run and exports
 * REDIS_URL / ZK_HOSTS, which the test workers inherit. Servers given through
 * those variables are used as they are.
 */
export default async function globalSetup(): Promise<void> {
  const needRedis = !process.env.REDIS_URL;
  const needZk = !process.env.ZK_HOSTS;
  if (!needRedis && !needZk) return;

  const tempDir = await fs.mkdtemp(path.join(os.tmpdir(), 'chat-test-services-'));
  const state: HarnessState = { tempDir };
  (globalThis as HarnessGlobal)[harnessKey] = state;
  // ZooKeeper's JVM is the slow one: start both at once, and keep whichever
  // started even if the other failed, so it can be stopped.
  const [redis, zookeeper] = await Promise.allSettled([
    needRedis ? startRedis({ dataDir: path.join(tempDir, 'redis') }) : undefined,
    needZk ? startZooKeeper({ dataDir: path.join(tempDir, 'zookeeper') }) : undefined,
  ]);
  if (redis.status === 'fulfilled') state.redis = redis.value;
  if (zookeeper.status === 'fulfilled') state.zookeeper = zookeeper.value;
  const failures = [redis, zookeeper].filter((r) => r.status === 'rejected').map((r) => r.reason as unknown);
  if (failures.length > 0) {
    // Jest skips global teardown when setup throws.
    await stopHarness(state);
    throw failures.length === 1 ? failures[0] : new AggregateError(failures, 'test services did not start');
  }
  if (state.redis) process.env.REDIS_URL = state.redis.url;
  if (state.zookeeper) process.env.ZK_HOSTS = state.zookeeper.hosts;
}

export async function stopHarness(state: HarnessState): Promise<void> {
  await Promise.allSettled([state.redis?.stop(), state.zookeeper?.stop()]);
  if (process.env.KEEP_TEST_SERVICES_DIR) return;
  await fs.rm(state.tempDir, { recursive: true, force: true });
}
