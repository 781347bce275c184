import type { EnvReader } from './env-reader';

export interface RedisConfig {
  url: string;
  prefix: string;
  /** ACL user (Redis 6+); with only a password, AUTH goes to the default user. */
  username: string | undefined;
  password: string | undefined;
  /** CA certificate (PEM) that signed the Redis server's certificate, for rediss://. */
  tlsCaPath: string | undefined;
}

export interface LogConfig {
  level: string;
  pretty: boolean | undefined;
}

export function readRedisConfig(v: EnvReader): RedisConfig {
  return {
    url: v.string('REDIS_URL', 'redis://127.0.0.1:6379', 'Redis URL (ioredis syntax; rediss:// for TLS).'),
    prefix: v.string(
      'REDIS_PREFIX',
      'chat:',
      'Prefix of every Redis key, so several clusters can share one Redis.',
    ),
    username: v.optional('REDIS_USERNAME', 'Redis ACL user name (AUTH username password); also in the URL.'),
    password: v.optional('REDIS_PASSWORD', "Redis password (requirepass or the ACL user's); never logged."),
    tlsCaPath: v.optional(
      'REDIS_TLS_CA',
      'CA certificate (PEM) of the Redis server; implies TLS (rediss://) when set.',
    ),
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
