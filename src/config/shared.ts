import type { EnvReader } from './env-reader';

export interface RedisConfig {
  url: string;
  prefix: string;
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
