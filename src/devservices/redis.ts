import fs from 'node:fs/promises';
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
  /** `requirepass`: clients AUTH with this password (as the default user). */
  requirePass?: string;
  /**
   * An ACL user with every command; the default user is then switched off.
   * `keys`: its key patterns (default `~*`, every key).
   */
  aclUser?: { name: string; password: string; keys?: string[] };
  /** TLS only (no plaintext port): the server's certificate and key, and the CA clients verify it with. */
  tls?: { certFile: string; keyFile: string; caFile: string };
  startTimeoutMs?: number;
  stopTimeoutMs?: number;
  logger?: Logger;
}

/** A redis-server we launched. `url` is what ioredis and REDIS_URL take. */
export class RedisProcess extends ServiceProcess {
  constructor(
    spec: ServiceSpec,
    options: ConstructorParameters<typeof ServiceProcess>[1],
    private readonly tls: boolean,
  ) {
    super(spec, options);
  }

  /** Carries no credentials: pass REDIS_USERNAME / REDIS_PASSWORD / REDIS_TLS_CA beside it. */
  get url(): string {
    return `${this.tls ? 'rediss' : 'redis'}://${this.host}:${this.port}`;
  }
}

/** Spawns `redis-server` on loopback and resolves once it answers PING. */
export async function startRedis(options: RedisOptions): Promise<RedisProcess> {
  const host = options.host ?? '127.0.0.1';
  const redis = new RedisProcess(
    redisSpec(host, options),
    {
      host,
      port: options.port,
      dataDir: options.dataDir,
      startTimeoutMs: options.startTimeoutMs ?? 15_000,
      stopTimeoutMs: options.stopTimeoutMs ?? 5_000,
      logger: (options.logger ?? silentLogger()).child({ component: 'devservices' }),
    },
    options.tls !== undefined,
  );
  await redis.start();
  return redis;
}

function redisSpec(host: string, options: RedisOptions): ServiceSpec {
  return {
    service: 'redis',
    async prepare(port: number): Promise<SpawnSpec> {
      const args = [
        ...listenArgs(port, options),
        '--bind', host,
        '--dir', options.dataDir,
        '--daemonize', 'no',
        // Log to stdout, which ManagedProcess appends to redis.log.
        '--logfile', '',
        '--save', '',
        '--appendonly', options.persist ? 'yes' : 'no',
        '--protected-mode', 'yes',
        ...authArgs(options),
        ...(options.extraArgs ?? []),
      ]; // prettier-ignore
      // umask 077: the dump and append-only files are the chat's data, readable by its user only.
      return {
        command: '/bin/sh',
        args: ['-c', 'umask 077 && exec "$0" "$@"', options.command ?? 'redis-server', ...args],
        cwd: options.dataDir,
        logFile: path.join(options.dataDir, 'redis.log'),
        program: options.command ?? 'redis-server',
      };
    },
    probe: async (port) =>
      redisPing(host, port, 1000, {
        username: options.aclUser?.name,
        password: options.aclUser?.password ?? options.requirePass,
        tlsCa: options.tls ? await fs.readFile(options.tls.caFile) : undefined,
      }),
    portInUse: (log) => /address already in use/i.test(log),
  };
}

function listenArgs(port: number, options: RedisOptions): string[] {
  if (options.tls === undefined) return ['--port', String(port)];
  const { certFile, keyFile, caFile } = options.tls;
  return [
    '--port', '0',
    '--tls-port', String(port),
    '--tls-cert-file', certFile,
    '--tls-key-file', keyFile,
    '--tls-ca-cert-file', caFile,
    // Clients prove nothing with certificates here; they authenticate with AUTH.
    '--tls-auth-clients', 'no',
  ]; // prettier-ignore
}

function authArgs(options: RedisOptions): string[] {
  const args: string[] = [];
  if (options.requirePass !== undefined) args.push('--requirepass', options.requirePass);
  if (options.aclUser !== undefined) {
    const { name, password, keys = ['~*'] } = options.aclUser;
    // One argument per ACL rule: redis-server quotes each command-line argument as one token.
    args.push('--user', name, 'on', `>${password}`, ...keys, '&*', '+@all', '--user', 'default', 'off');
  }
  return args;
}
