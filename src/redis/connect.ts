import fs from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { Cluster, Redis } from 'ioredis';
import type { ClusterOptions, RedisOptions } from 'ioredis';
import type { HostPort } from '../config/shared';
import type { Logger } from '../core/logger';

/** What every adapter takes: a single Redis (plain or through Sentinel) or a Redis Cluster. */
export type RedisClient = Redis | Cluster;

/**
 * How to reach and authenticate to one Redis deployment (the chat's own, or
 * the export's): `clusterNodes` for a Redis Cluster, `sentinels` for a
 * Sentinel-managed master, otherwise the single server at `url`.
 */
export interface RedisConnection {
  url: string;
  clusterNodes?: readonly HostPort[];
  sentinels?: readonly HostPort[];
  sentinelMaster?: string;
  sentinelPassword?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  /** TLS even without a rediss:// URL or a CA file (servers with publicly signed certificates). */
  tls?: boolean;
  tlsCaPath?: string | undefined;
}

export type RedisTopology = 'single' | 'cluster' | 'sentinel';

export function redisTopology(config: RedisConnection): RedisTopology {
  if (config.clusterNodes?.length) return 'cluster';
  if (config.sentinels?.length) return 'sentinel';
  return 'single';
}

/**
 * The connection options every Redis client of this project uses: AUTH with
 * the ACL user and password (from the config, or from the URL), and TLS for
 * rediss://, REDIS_TLS or when a CA file is given (the server's certificate is
 * verified; there is no switch to turn that off).
 */
export function redisConnectionOptions(config: RedisConnection): RedisOptions {
  const options: RedisOptions = {};
  if (config.username !== undefined) options.username = config.username;
  if (config.password !== undefined) options.password = config.password;
  const tls = tlsOptions(config, redisTopology(config) === 'single' ? hostOf(config.url) : undefined);
  if (tls) options.tls = tls;
  return options;
}

/**
 * TLS options, or undefined for plaintext. SNI carries host names only: for an
 * IP address (and for cluster nodes and sentinel-announced masters, which
 * are usually addresses) the certificate is still checked against it.
 */
function tlsOptions(config: RedisConnection, host: string | undefined): ConnectionOptions | undefined {
  const on = config.tls === true || config.url.startsWith('rediss://') || config.tlsCaPath !== undefined;
  if (!on) return undefined;
  const ca = config.tlsCaPath !== undefined ? { ca: [fs.readFileSync(config.tlsCaPath)] } : {};
  return host === undefined || isIP(host) !== 0 ? { ...ca, servername: '' } : ca;
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return '';
  }
}

/** The URL with any password replaced, for logs. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable Redis URL)';
  }
}

/** Where a connection goes, for logs (never with credentials). */
export function describeRedis(config: RedisConnection): string {
  const list = (nodes: readonly HostPort[]): string => nodes.map((n) => `${n.host}:${n.port}`).join(',');
  switch (redisTopology(config)) {
    case 'cluster':
      return `cluster ${list(config.clusterNodes ?? [])}`;
    case 'sentinel':
      return `sentinel ${config.sentinelMaster ?? 'mymaster'} via ${list(config.sentinels ?? [])}`;
    default:
      return redactRedisUrl(config.url);
  }
}

/**
 * Opens a Redis client for the node, the gateway or the export sink, with
 * `extra` for what differs between them (retries, offline queue), as the
 * topology asks: ioredis `Cluster` for a Redis Cluster, a sentinel-aware
 * `Redis` that follows the promoted replica for Sentinel, a plain `Redis`
 * otherwise. Connection problems are logged at most every 5 s, without
 * credentials. Close it with closeRedis.
 */
export function openRedis(config: RedisConnection, logger: Logger, extra: RedisOptions = {}): RedisClient {
  const topology = redisTopology(config);
  const client =
    topology === 'cluster'
      ? new Cluster(
          (config.clusterNodes ?? []).map(({ host, port }) => ({ host, port })),
          clusterOptions(config, extra),
        )
      : topology === 'sentinel'
        ? new Redis(sentinelOptions(config, extra))
        : new Redis(config.url, { ...redisConnectionOptions(config), ...extra });
  const where = describeRedis(config);
  let lastLogAt = 0;
  const warn = (err: Error, node?: string): void => {
    const now = Date.now();
    if (now - lastLogAt < 5000) return;
    lastLogAt = now;
    logger.warn(
      { event: 'redis_error', redis: where, ...(node ? { node } : {}), err: err.message },
      'Redis connection problem',
    );
  };
  client.on('error', (err: Error) => warn(err));
  // A cluster reports each node's trouble apart; the client keeps serving the other slots.
  if (topology === 'cluster') client.on('node error', (err: Error, node: string) => warn(err, node));
  if (client instanceof Redis && topology === 'sentinel') reopenWhenGivenUp(client, logger, where);
  return client;
}

/** Clients closeRedis was asked to close: their 'end' is wanted. */
const closedOnPurpose = new WeakSet<RedisClient>();

/**
 * ioredis can give up on a Sentinel client for good during a failover. After
 * the master's connection drops, the client asks a sentinel for the master
 * again; if the failover notice (+switch-master) reaches the previous
 * connection's subscription while that lookup is under way, the lookup is
 * cancelled and the client ends ('end') instead of retrying. The node would
 * then have no Redis until restarted. So a client this project did not close
 * is connected again, after the delays of its own retry strategy, until it
 * is ready. Close such clients with closeRedis, never with disconnect().
 */
function reopenWhenGivenUp(client: Redis, logger: Logger, where: string): void {
  let attempts = 0;
  client.on('ready', () => {
    attempts = 0;
  });
  client.on('end', () => {
    if (closedOnPurpose.has(client)) return;
    attempts += 1;
    const delayMs = client.options.retryStrategy?.(attempts);
    // A client told not to retry (a probe) stays ended.
    if (typeof delayMs !== 'number') return;
    logger.warn(
      { event: 'redis_reopen', redis: where, attempt: attempts, delayMs },
      'the Redis client gave up reconnecting; opening it again',
    );
    setTimeout(() => {
      // A failed attempt ends the client again, which schedules the next one.
      if (!closedOnPurpose.has(client) && client.status === 'end') client.connect().catch(() => undefined);
    }, delayMs).unref();
  });
}

/** The options of a plain client split between the cluster and each of its node connections. */
function clusterOptions(config: RedisConnection, extra: RedisOptions): ClusterOptions {
  const {
    lazyConnect,
    enableAutoPipelining,
    enableOfflineQueue,
    enableReadyCheck,
    retryStrategy,
    ...perNode
  } = extra;
  const options: ClusterOptions = {
    redisOptions: { ...redisConnectionOptions(config), ...perNode },
    // Failover: the replica of a dead master takes its slots within cluster-node-timeout and a
    // few seconds; commands for them wait and retry meanwhile instead of failing at once.
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    retryDelayOnTryAgain: 100,
    maxRedirections: 32,
  };
  if (lazyConnect !== undefined) options.lazyConnect = lazyConnect;
  if (enableAutoPipelining !== undefined) options.enableAutoPipelining = enableAutoPipelining;
  if (enableOfflineQueue !== undefined) options.enableOfflineQueue = enableOfflineQueue;
  if (enableReadyCheck !== undefined) options.enableReadyCheck = enableReadyCheck;
  if (retryStrategy !== undefined) options.clusterRetryStrategy = retryStrategy;
  return options;
}

/**
 * A client that asks the sentinels for the current master, reconnects to the
 * promoted replica after a failover (failoverDetector: the sentinels'
 * +switch-master, not only the next failed command) and refuses to talk to a
 * server that is no longer the master.
 */
function sentinelOptions(config: RedisConnection, extra: RedisOptions): RedisOptions {
  const tls = tlsOptions(config, undefined);
  return {
    ...redisConnectionOptions(config),
    sentinels: (config.sentinels ?? []).map(({ host, port }) => ({ host, port })),
    name: config.sentinelMaster ?? 'mymaster',
    role: 'master',
    ...(config.sentinelPassword !== undefined ? { sentinelPassword: config.sentinelPassword } : {}),
    ...(tls ? { tls, enableTLSForSentinelMode: true, sentinelTLS: tls } : {}),
    failoverDetector: true,
    ...extra,
  };
}

/**
 * Calls `back` whenever the shared state may have lost entries and is
 * reachable again: each time a plain or sentinel client is ready (after a
 * restart, or after following a promoted replica that missed the last
 * writes), and for a cluster also when the masters serving its slots change
 * (a replica promoted in place of a dead master).
 */
export function onRedisBack(client: RedisClient, back: () => void): void {
  client.on('ready', back);
  if (!(client instanceof Cluster)) return;
  const mastersNow = (): string =>
    [...new Set(client.slots.map((owners) => owners[0] ?? ''))].sort().join(',');
  // From the slot map as it is now: the first reload seen may already be the one after a failover.
  let masters = mastersNow();
  // 'refresh' follows every reload of the slot map, several a second while a node is down; only
  // a new set of masters means a failover happened.
  client.on('refresh', () => {
    const now = mastersNow();
    const changed = masters !== '' && now !== masters;
    masters = now;
    if (changed && client.status === 'ready') back();
  });
}

/**
 * Closes a client: QUIT lets the commands already sent finish, then
 * disconnect() releases what QUIT leaves open (a sentinel client's
 * subscriptions to the sentinels for failover notices stay up otherwise).
 */
export async function closeRedis(client: RedisClient): Promise<void> {
  closedOnPurpose.add(client);
  try {
    await client.quit();
  } catch {
    // Already closed, or unreachable: nothing left to finish.
  }
  client.disconnect();
}
