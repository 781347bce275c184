import type { EnvReader } from './env-reader';

export interface HostPort {
  host: string;
  port: number;
}

/**
 * Which Redis the processes use: one server (`url`), a Redis Cluster (its
 * seed nodes) or a Sentinel-managed master (the sentinels and the master's
 * name). Cluster and Sentinel take precedence over the URL; at most one of
 * them may be set.
 */
export interface RedisConfig {
  url: string;
  /** Seed nodes of a Redis Cluster; empty = not a cluster. */
  clusterNodes: HostPort[];
  /** Sentinels watching the master named `sentinelMaster`; empty = no Sentinel. */
  sentinels: HostPort[];
  sentinelMaster: string;
  /** Password of the sentinels themselves (their requirepass), when they have one. */
  sentinelPassword: string | undefined;
  prefix: string;
  /** ACL user (Redis 6+); with only a password, AUTH goes to the default user. */
  username: string | undefined;
  password: string | undefined;
  /** TLS to every Redis server; also implied by a rediss:// URL or a CA file. */
  tls: boolean;
  /** CA certificate (PEM) that signed the Redis server's certificate, for rediss://. */
  tlsCaPath: string | undefined;
}

// host:port entries; an IPv6 address goes in brackets ([::1]:7000).
const HOST_PORT_LIST = /^$|^[^\s,]+:\d{1,5}(,[^\s,]+:\d{1,5})*$/;

/** `host:port,host:port` (validated by HOST_PORT_LIST) as a list. */
export function parseHostPorts(list: string): HostPort[] {
  if (!list) return [];
  return list.split(',').map((entry) => {
    const at = entry.lastIndexOf(':');
    return { host: entry.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(entry.slice(at + 1)) };
  });
}

export interface LogConfig {
  level: string;
  pretty: boolean | undefined;
}

export function readRedisConfig(v: EnvReader): RedisConfig {
  const url = v.string(
    'REDIS_URL',
    'redis://127.0.0.1:6379',
    'Redis URL (ioredis syntax; rediss:// for TLS) of a single Redis; unused with REDIS_CLUSTER_NODES or REDIS_SENTINELS.',
  );
  const clusterNodes = v.string(
    'REDIS_CLUSTER_NODES',
    '',
    'Redis Cluster: some of its nodes as host:port,host:port (the rest are discovered); empty = no cluster.',
    HOST_PORT_LIST,
  );
  const sentinels = v.string(
    'REDIS_SENTINELS',
    '',
    'Redis Sentinel: the sentinels as host:port,host:port; the master comes from them. Empty = no Sentinel.',
    HOST_PORT_LIST,
  );
  if (clusterNodes && sentinels)
    v.conflict(
      'REDIS_CLUSTER_NODES and REDIS_SENTINELS are both set: a Redis is a Cluster or Sentinel-managed; set one',
    );
  const tlsCaPath = v.optional(
    'REDIS_TLS_CA',
    'CA certificate (PEM) of the Redis servers; implies TLS when set.',
  );
  const tls = v.bool(
    'REDIS_TLS',
    false,
    'TLS to every Redis server (and sentinel), with certificates signed by a public CA unless REDIS_TLS_CA is set; implied by rediss:// or REDIS_TLS_CA.',
  );
  return {
    url,
    clusterNodes: parseHostPorts(clusterNodes ?? ''),
    sentinels: parseHostPorts(sentinels ?? ''),
    sentinelMaster: v.string(
      'REDIS_SENTINEL_MASTER',
      'mymaster',
      'Name of the master the sentinels watch (sentinel monitor <name> ...).',
      /^[A-Za-z0-9._-]+$/,
    ),
    sentinelPassword: v.optional(
      'REDIS_SENTINEL_PASSWORD',
      "The sentinels' own password (their requirepass), if any; never logged.",
    ),
    prefix: v.string(
      'REDIS_PREFIX',
      'chat:',
      'Prefix of every Redis key, so several clusters can share one Redis; no { or } (the key layout sets the hash tags).',
      /^[^{}]*$/,
    ),
    username: v.optional('REDIS_USERNAME', 'Redis ACL user name (AUTH username password); also in the URL.'),
    password: v.optional('REDIS_PASSWORD', "Redis password (requirepass or the ACL user's); never logged."),
    tls: tls || url.startsWith('rediss://') || tlsCaPath !== undefined,
    tlsCaPath,
  };
}

export function readLogConfig(v: EnvReader): LogConfig {
  const level = v.oneOf('LOG_LEVEL', 'info', 'pino log level.', [
    'fatal',
    'error',
    'warn',
    'info',
    'debug',
    'trace',
    'silent',
  ]);
  const pretty = v.oneOf(
    'LOG_PRETTY',
    'auto',
    'Human-readable logs: auto (when stdout is a terminal), true or false.',
    ['auto', 'true', 'false'],
  );
  return { level, pretty: pretty === 'auto' ? undefined : pretty === 'true' };
}
