import fs from 'node:fs';
import { isIP } from 'node:net';
import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import type { RedisConfig } from '../config/shared';
import type { Logger } from '../core/logger';

/** How to reach and authenticate to one Redis (the chat's own, or the export's). */
export type RedisConnection = Pick<RedisConfig, 'url' | 'username' | 'password' | 'tlsCaPath'>;

/**
 * The connection options every Redis client of this project uses: AUTH with
 * the ACL user and password (from the config, or from the URL), and TLS for
 * rediss:// or when a CA file is given (the server's certificate is verified;
 * there is no switch to turn that off).
 */
export function redisConnectionOptions(config: RedisConnection): RedisOptions {
  const options: RedisOptions = {};
  if (config.username !== undefined) options.username = config.username;
  if (config.password !== undefined) options.password = config.password;
  const tls = config.url.startsWith('rediss://') || config.tlsCaPath !== undefined;
  if (tls) {
    const ca = config.tlsCaPath !== undefined ? { ca: [fs.readFileSync(config.tlsCaPath)] } : {};
    // SNI carries host names only; for an IP address the certificate is still checked against it.
    options.tls = isIP(hostOf(config.url)) !== 0 ? { ...ca, servername: '' } : ca;
  }
  return options;
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

/**
 * Opens a Redis client for the node, the gateway or the export sink, with
 * `extra` for what differs between them (retries, offline queue). Connection
 * problems are logged at most every 5 s, without credentials.
 */
export function openRedis(config: RedisConnection, logger: Logger, extra: RedisOptions = {}): Redis {
  const redis = new Redis(config.url, { ...redisConnectionOptions(config), ...extra });
  let lastLogAt = 0;
  redis.on('error', (err: Error) => {
    const now = Date.now();
    if (now - lastLogAt < 5000) return;
    lastLogAt = now;
    logger.warn(
      { event: 'redis_error', redis: redactRedisUrl(config.url), err: err.message },
      'Redis connection problem',
    );
  });
  return redis;
}
