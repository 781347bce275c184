import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  startRedis,
  startRedisCluster,
  startRedisSentinel,
  startZooKeeper,
  startZooKeeperEnsemble,
} from '../../src/devservices';
import { servicesOf } from './engines';
import type { SharedService, TestEngine } from './engines';

/** What global setup hands to global teardown (both run in jest's parent process). */
export interface HarnessState {
  tempDir: string;
  /** The servers started so far, by kind, each with how to stop it. */
  started: Map<SharedService, () => Promise<void>>;
}

export const harnessKey = Symbol.for('chat-cluster.test-harness');

type HarnessGlobal = typeof globalThis & { [harnessKey]?: HarnessState };

/**
 * The global setup of one jest project (test/support/engines.ts; jest runs
 * each setup module once, hence one small module per engine,
 * test/support/setup-<engine>.ts): starts the servers the engine needs,
 * unless an earlier project started them or the caller named them, and
 * exports where they are (REDIS_URL, ZK_HOSTS, CHAT_TEST_REDIS_CLUSTER_NODES,
 * CHAT_TEST_REDIS_SENTINELS and CHAT_TEST_REDIS_SENTINEL_MASTER,
 * CHAT_TEST_ZK_ENSEMBLE), which the test workers inherit. Every project's
 * setup runs before the first test.
 */
export async function setupEngine(engine: TestEngine): Promise<void> {
  const wanted = servicesOf(engine).filter((s) => !process.env[envOf(s)]);
  if (wanted.length === 0) return;

  const holder = globalThis as HarnessGlobal;
  const state = (holder[harnessKey] ??= {
    tempDir: await fs.mkdtemp(path.join(os.tmpdir(), 'chat-test-services-')),
    started: new Map(),
  });
  // ZooKeeper's JVMs are the slow ones: start everything at once, and keep
  // whatever started even if something else failed, so it can be stopped.
  const results = await Promise.allSettled(wanted.map((s) => start(s, state)));
  const failures = results.filter((r) => r.status === 'rejected').map((r) => r.reason as unknown);
  if (failures.length > 0) {
    // Jest skips global teardown when setup throws.
    await stopHarness(state);
    delete holder[harnessKey];
    throw failures.length === 1 ? failures[0] : new AggregateError(failures, 'test services did not start');
  }
}

/** The variable through which the workers learn where a shared server is. */
function envOf(service: SharedService): string {
  return {
    redis: 'REDIS_URL',
    zookeeper: 'ZK_HOSTS',
    'redis-cluster': 'CHAT_TEST_REDIS_CLUSTER_NODES',
    'redis-sentinel': 'CHAT_TEST_REDIS_SENTINELS',
    'zk-ensemble': 'CHAT_TEST_ZK_ENSEMBLE',
  }[service];
}

async function start(service: SharedService, state: HarnessState): Promise<void> {
  const dataDir = path.join(state.tempDir, service);
  switch (service) {
    case 'redis': {
      const redis = await startRedis({ dataDir });
      state.started.set(service, () => redis.stop());
      process.env.REDIS_URL = redis.url;
      return;
    }
    case 'zookeeper': {
      const zk = await startZooKeeper({ dataDir });
      state.started.set(service, () => zk.stop());
      process.env.ZK_HOSTS = zk.hosts;
      return;
    }
    case 'redis-cluster': {
      const cluster = await startRedisCluster({ dataDir });
      state.started.set(service, () => cluster.stop());
      process.env.CHAT_TEST_REDIS_CLUSTER_NODES = cluster.seeds;
      return;
    }
    case 'redis-sentinel': {
      const sentinel = await startRedisSentinel({ dataDir });
      state.started.set(service, () => sentinel.stop());
      process.env.CHAT_TEST_REDIS_SENTINELS = sentinel.sentinelHosts;
      process.env.CHAT_TEST_REDIS_SENTINEL_MASTER = sentinel.masterName;
      return;
    }
    case 'zk-ensemble': {
      const ensemble = await startZooKeeperEnsemble({ dataDir });
      state.started.set(service, () => ensemble.stop());
      process.env.CHAT_TEST_ZK_ENSEMBLE = ensemble.hosts;
      return;
    }
  }
}

export async function stopHarness(state: HarnessState): Promise<void> {
  const stops = [...state.started.values()];
  state.started.clear();
  await Promise.allSettled(stops.map((stop) => stop()));
  if (process.env.KEEP_TEST_SERVICES_DIR) return;
  await fs.rm(state.tempDir, { recursive: true, force: true });
}

/** The `single` project's setup: one Redis and one ZooKeeper. */
export default function globalSetup(): Promise<void> {
  return setupEngine('single');
}
