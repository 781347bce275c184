import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Cluster } from 'ioredis';
import type { RedisOptions as IoRedisOptions } from 'ioredis';
import zookeeper from 'node-zookeeper-client';
import type { Client as ZkClient } from 'node-zookeeper-client';
import { parseHostPorts } from '../../src/config/shared';
import { silentLogger } from '../../src/core/logger';
import {
  startRedis,
  startRedisCluster,
  startRedisSentinel,
  startZooKeeper,
  startZooKeeperEnsemble,
} from '../../src/devservices';
import type {
  RedisClusterOptions,
  RedisClusterProcess,
  RedisOptions,
  RedisProcess,
  RedisSentinelOptions,
  RedisSentinelSet,
  ZooKeeperEnsemble,
  ZooKeeperEnsembleOptions,
  ZooKeeperOptions,
  ZooKeeperProcess,
} from '../../src/devservices';
import { closeRedis, openRedis } from '../../src/redis/connect';
import type { RedisClient, RedisConnection } from '../../src/redis/connect';
import { testEngine } from './engines';
import type { TestScope } from './scope';

function fromHarness(name: string, what: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run tests through jest (its global setup starts ${what})`);
  return value;
}

/** The shared single Redis of this run (global setup, or REDIS_URL given by the caller). */
export function redisUrl(): string {
  return fromHarness('REDIS_URL', 'Redis');
}

/**
 * The node environment naming this project's shared Redis: REDIS_URL, or
 * REDIS_CLUSTER_NODES, or REDIS_SENTINELS and REDIS_SENTINEL_MASTER.
 */
export function redisEnv(): Record<string, string> {
  switch (testEngine()) {
    case 'redis-cluster':
      return { REDIS_CLUSTER_NODES: fromHarness('CHAT_TEST_REDIS_CLUSTER_NODES', 'a Redis Cluster') };
    case 'redis-sentinel':
      return {
        REDIS_SENTINELS: fromHarness('CHAT_TEST_REDIS_SENTINELS', 'Redis Sentinel'),
        REDIS_SENTINEL_MASTER: process.env.CHAT_TEST_REDIS_SENTINEL_MASTER || 'mymaster',
      };
    default:
      return { REDIS_URL: redisUrl() };
  }
}

/** What openRedis takes for a node environment like redisEnv's (the node's own config reads the same). */
export function redisConnectionOf(env: Record<string, string | undefined>): RedisConnection {
  return {
    url: env.REDIS_URL || 'redis://127.0.0.1:6379',
    clusterNodes: parseHostPorts(env.REDIS_CLUSTER_NODES ?? ''),
    sentinels: parseHostPorts(env.REDIS_SENTINELS ?? ''),
    sentinelMaster: env.REDIS_SENTINEL_MASTER || 'mymaster',
    password: env.REDIS_PASSWORD || undefined,
  };
}

/** A client for the Redis a node environment names (e.g. a TestCluster's `env`); disconnect it when done. */
export function redisFor(env: Record<string, string | undefined>): RedisClient {
  return openRedis(redisConnectionOf(env), silentLogger());
}

/** The shared ZooKeeper of this project: the 3-server ensemble for `zk-ensemble`, else the single server. */
export function zkHosts(): string {
  return testEngine() === 'zk-ensemble'
    ? fromHarness('CHAT_TEST_ZK_ENSEMBLE', 'a ZooKeeper ensemble')
    : fromHarness('ZK_HOSTS', 'ZooKeeper');
}

/** A temp dir removed at scope close. */
export async function tempDir(scope: TestScope, name: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `chat-test-${name.replace(/[^\w-]+/g, '-')}-`));
  scope.defer(() => fs.rm(dir, { recursive: true, force: true }), `remove ${dir}`);
  return dir;
}

/**
 * A client opened by the project's own factory (src/redis/connect.ts), by
 * default for the project's shared Redis (a single server, a Redis Cluster or
 * a Sentinel-managed master), or for the single server at `url`, or for what
 * a node environment names (`env`). Connected, and quit at scope close.
 */
export async function connectRedis(
  scope: TestScope,
  options: { url?: string; env?: Record<string, string | undefined> } & IoRedisOptions = {},
): Promise<RedisClient> {
  const { url, env, ...rest } = options;
  const connection = url !== undefined ? { url } : redisConnectionOf(env ?? redisEnv());
  const client = openRedis(connection, silentLogger(), { lazyConnect: true, ...rest });
  scope.defer(() => closeRedis(client), 'quit redis client');
  await client.connect();
  return client;
}

/** Every key matching `pattern`, from every master of a cluster (KEYS sees one node only). */
export async function keysMatching(client: RedisClient, pattern: string): Promise<string[]> {
  const servers = client instanceof Cluster ? client.nodes('master') : [client];
  return (await Promise.all(servers.map((server) => server.keys(pattern)))).flat();
}

/** Deletes every key matching `pattern`, on every master of a cluster. */
export async function deleteKeys(client: RedisClient, pattern: string): Promise<void> {
  // One key per command: on a cluster the keys live in many slots.
  await Promise.all((await keysMatching(client, pattern)).map((key) => client.del(key)));
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

/** A Redis Cluster of the test's own (three masters, a replica each), for kill tests. Stopped at scope close. */
export async function startOwnRedisCluster(
  scope: TestScope,
  options: Partial<RedisClusterOptions> = {},
): Promise<RedisClusterProcess> {
  const dataDir = options.dataDir ?? (await tempDir(scope, 'redis-cluster'));
  const cluster = await startRedisCluster({ ...options, dataDir });
  scope.defer(() => cluster.stop(), `stop redis cluster ${cluster.seeds}`);
  return cluster;
}

/** A master, a replica and three sentinels of the test's own, for kill tests. Stopped at scope close. */
export async function startOwnRedisSentinel(
  scope: TestScope,
  options: Partial<RedisSentinelOptions> = {},
): Promise<RedisSentinelSet> {
  const dataDir = options.dataDir ?? (await tempDir(scope, 'redis-sentinel'));
  const set = await startRedisSentinel({ ...options, dataDir });
  scope.defer(() => set.stop(), `stop redis sentinels ${set.sentinelHosts}`);
  return set;
}

/** A three-server ZooKeeper ensemble of the test's own, for kill tests. Stopped at scope close. */
export async function startOwnZooKeeperEnsemble(
  scope: TestScope,
  options: Partial<ZooKeeperEnsembleOptions> = {},
): Promise<ZooKeeperEnsemble> {
  const dataDir = options.dataDir ?? (await tempDir(scope, 'zk-ensemble'));
  const ensemble = await startZooKeeperEnsemble({ ...options, dataDir });
  scope.defer(() => ensemble.stop(), `stop zookeeper ensemble ${ensemble.hosts}`);
  return ensemble;
}
