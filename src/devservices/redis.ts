import path from 'node:path';
import type { Logger } from '../core/logger';
import { silentLogger } from '../core/logger';
import type { SpawnSpec } from './managed-process';
import { redisPing } from './probes';
import { ServiceProcess } from './service-process';
import type { ServiceSpec } from './service-process';

export interface RedisOptions {
  /** Fixed port; by default a free one. */
  port?: number;
  /** Working directory: log file and, with `persist`, the append-only file. */
  dataDir: string;
  host?: string;
  /** Keep data across restarts (append-only file). Off by default: tests want a clean server. */
  persist?: boolean;
  /** `redis-server` executable; default from PATH. */
  command?: string;
  /** Extra `--name value` arguments passed to redis-server. */
  extraArgs?: string[];
  startTimeoutMs?: number;
  stopTimeoutMs?: number;
  logger?: Logger;
}

/** A redis-server we launched. `url` is what ioredis and REDIS_URL take. */
export class RedisProcess extends ServiceProcess {
  get url(): string {
    return `redis://${this.host}:${this.port}`;
  }
}

/** Spawns `redis-server` on loopback and resolves once it answers PING. */
export async function startRedis(options: RedisOptions): Promise<RedisProcess> {
  const host = options.host ?? '127.0.0.1';
  const redis = new RedisProcess(redisSpec(host, options), {
    host,
    port: options.port,
    dataDir: options.dataDir,
    startTimeoutMs: options.startTimeoutMs ?? 15_000,
    stopTimeoutMs: options.stopTimeoutMs ?? 5_000,
    logger: (options.logger ?? silentLogger()).child({ component: 'devservices' }),
  });
  await redis.start();
  return redis;
}

function redisSpec(host: string, options: RedisOptions): ServiceSpec {
  return {
    service: 'redis',
    async prepare(port: number): Promise<SpawnSpec> {
      const args = [
        '--port', String(port),
        '--bind', host,
        '--dir', options.dataDir,
        '--daemonize', 'no',
        // Log to stdout, which ManagedProcess appends to redis.log.
        '--logfile', '',
        '--save', '',
        '--appendonly', options.persist ? 'yes' : 'no',
        '--protected-mode', 'yes',
        ...(options.extraArgs ?? []),
      ]; // prettier-ignore
      return {
        command: options.command ?? 'redis-server',
        args,
        cwd: options.dataDir,
        logFile: path.join(options.dataDir, 'redis.log'),
      };
    },
    probe: (port) => redisPing(host, port),
    portInUse: (log) => /address already in use/i.test(log),
  };
}
