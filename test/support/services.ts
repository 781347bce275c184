import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { RedisOptions as IoRedisOptions } from 'ioredis';
import zookeeper from 'node-zookeeper-client';
import type { Client as ZkClient } from 'node-zookeeper-client';
import { startRedis, startZooKeeper } from '../../src/devservices';
import type { RedisOptions, RedisProcess, ZooKeeperOptions, ZooKeeperProcess } from '../../src/devservices';
import type { TestScope } from './scope';

/** The shared Redis of this run (global setup, or REDIS_URL given by the caller). */
export function redisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('REDIS_URL is not set: run tests through jest (its global setup starts Redis)');
  return url;
}

/** The shared ZooKeeper of this run (global setup, or ZK_HOSTS given by the caller). */
export function zkHosts(): string {
  const hosts = process.env.ZK_HOSTS;
  if (!hosts)
    throw new Error('ZK_HOSTS is not set: run tests through jest (its global setup starts ZooKeeper)');
  return hosts;
}

/** A temp dir removed at scope close. */
export async function tempDir(scope: TestScope, name: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `chat-test-${name.replace(/[^\w-]+/g, '-')}-`));
  scope.defer(() => fs.rm(dir, { recursive: true, force: true }), `remove ${dir}`);
  return dir;
}

/** An ioredis client (default: the shared Redis), connected, and quit at scope close. */
export async function connectRedis(
  scope: TestScope,
  options: { url?: string } & IoRedisOptions = {},
): Promise<Redis> {
  const { url = redisUrl(), ...rest } = options;
  const client = new Redis(url, { lazyConnect: true, ...rest });
  scope.defer(async () => {
    try {
      await client.quit();
    } catch {
      client.disconnect();
    }
  }, 'quit redis client');
  await client.connect();
  return client;
}

/** A node-zookeeper-client with an established session, closed at scope close. */
export async function connectZk(
  scope: TestScope,
  options: { hosts?: string; sessionTimeoutMs?: number; timeoutMs?: number } = {},
): Promise<ZkClient> {
  const hosts = options.hosts ?? zkHosts();
  const timeoutMs = options.timeoutMs ?? 15_000;
  const client = zookeeper.createClient(hosts, {
    sessionTimeout: options.sessionTimeoutMs ?? 4000,
    spinDelay: 100,
  });
  scope.defer(() => client.close(), 'close zookeeper client');
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no ZooKeeper session with ${hosts} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    client.once('connected', () => {
      clearTimeout(timer);
      resolve();
    });
    client.connect();
  });
  return client;
}

/**
 * A Redis of the test's own, for fault tests that stop, kill or pause it
 * (never do that to the shared one). Stopped and its data dir removed at scope close.
 */
export async function startOwnRedis(
  scope: TestScope,
  options: Partial<RedisOptions> = {},
): Promise<RedisProcess> {
  const dataDir = options.dataDir ?? (await tempDir(scope, 'redis'));
  const redis = await startRedis({ ...options, dataDir });
  scope.defer(() => redis.stop(), `stop redis on port ${redis.port}`);
  return redis;
}

/** A ZooKeeper of the test's own, for fault tests. Stopped and removed at scope close. */
export async function startOwnZooKeeper(
  scope: TestScope,
  options: Partial<ZooKeeperOptions> = {},
): Promise<ZooKeeperProcess> {
  const dataDir = options.dataDir ?? (await tempDir(scope, 'zookeeper'));
  const zk = await startZooKeeper({ ...options, dataDir });
  scope.defer(() => zk.stop(), `stop zookeeper on port ${zk.port}`);
  return zk;
}
