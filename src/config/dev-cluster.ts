import path from 'node:path';
import { EnvReader } from './env-reader';
import type { VariableDoc } from './env-reader';

/**
 * What `npm start` reads: which servers already exist (unset = start our own
 * under pm2), where the store is, and the gateway port to wait on. The same
 * variables then reach the processes it starts, which read them with their
 * own config.
 */
export interface DevClusterConfig {
  /** An existing Redis; undefined (and no cluster or sentinels) = start one on the dev port. */
  redisUrl: string | undefined;
  /** An existing Redis Cluster or Sentinel set, which the processes reach through their own config. */
  redisClusterNodes: string | undefined;
  redisSentinels: string | undefined;
  /** An existing ZooKeeper; undefined = start one on the dev port. */
  zkHosts: string | undefined;
  /** When set, the store to seed is MongoDB. */
  mongoUrl: string | undefined;
  sqlitePath: string;
  gatewayPort: number;
}

export function readDevClusterConfig(
  env: NodeJS.ProcessEnv | Record<string, string | undefined>,
  options: { dataDir: string },
): { config: DevClusterConfig; variables: VariableDoc[]; finish: () => void } {
  const v = new EnvReader(env);
  const config: DevClusterConfig = {
    redisUrl: v.optional(
      'REDIS_URL',
      'npm start: an existing Redis; unset (and no REDIS_CLUSTER_NODES or REDIS_SENTINELS) = it runs its own on port 6390.',
    ),
    redisClusterNodes: v.optional(
      'REDIS_CLUSTER_NODES',
      'npm start: an existing Redis Cluster; no Redis of its own.',
    ),
    redisSentinels: v.optional(
      'REDIS_SENTINELS',
      'npm start: an existing Sentinel set; no Redis of its own.',
    ),
    zkHosts: v.optional(
      'ZK_HOSTS',
      'npm start: an existing ZooKeeper; unset = it runs its own on port 2190.',
    ),
    mongoUrl: v.optional('MONGO_URL', 'npm start: seed this MongoDB instead of the SQLite file.'),
    sqlitePath: v.string(
      'SQLITE_PATH',
      path.join(options.dataDir, 'chat.db'),
      'npm start: the SQLite file it seeds (the nodes default to the same file).',
    ),
    gatewayPort: v.port('GATEWAY_PORT', 8080, 'npm start: the gateway port it waits on and prints.'),
  };
  return { config, variables: v.variables, finish: () => v.finish() };
}

/** Reads and validates; throws a ConfigError naming every bad variable. */
export function loadDevClusterConfig(
  env: NodeJS.ProcessEnv | Record<string, string | undefined>,
  options: { dataDir: string },
): DevClusterConfig {
  const { config, finish } = readDevClusterConfig(env, options);
  finish();
  return config;
}
