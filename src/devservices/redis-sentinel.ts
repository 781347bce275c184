import fs from 'node:fs/promises';
import path from 'node:path';
import type { HostPort } from '../config/shared';
import type { Logger } from '../core/logger';
import { silentLogger } from '../core/logger';
import { waitFor } from '../core/wait-for';
import { DevServiceError } from './errors';
import { redisPing } from './probes';
import { startRedis } from './redis';
import type { RedisProcess } from './redis';
import { infoField, pairs, redisCommand } from './redis-admin';
import { ServiceProcess } from './service-process';
import type { ServiceSpec } from './service-process';

export interface RedisSentinelOptions {
  /** One sub-directory per server (logs, the sentinels' rewritten configs). */
  dataDir: string;
  host?: string;
  /** The name the sentinels monitor the master under (REDIS_SENTINEL_MASTER). */
  masterName?: string;
  sentinels?: number;
  /** Sentinels that must agree the master is down before a failover. */
  quorum?: number;
  /** How long the master may be unreachable before a sentinel calls it down. */
  downAfterMs?: number;
  failoverTimeoutMs?: number;
  /** requirepass (and masterauth) on the master and the replica; the sentinels use it too. */
  requirePass?: string;
  /** requirepass of the sentinels themselves (REDIS_SENTINEL_PASSWORD). */
  sentinelPass?: string;
  /** `redis-server` and `redis-sentinel` executables; default from PATH. */
  command?: string;
  sentinelCommand?: string;
  startTimeoutMs?: number;
  logger?: Logger;
}

/**
 * A Sentinel-managed pair on loopback: a master, a replica of it and (by
 * default) three sentinels with a quorum of two. `sentinelHosts` and
 * `masterName` are what REDIS_SENTINELS and REDIS_SENTINEL_MASTER take.
 */
export class RedisSentinelSet {
  constructor(
    /** The master and the replica, in the roles they started with. */
    readonly servers: readonly RedisProcess[],
    readonly sentinels: readonly ServiceProcess[],
    readonly masterName: string,
    private readonly options: { password?: string; sentinelPassword?: string },
  ) {}

  get sentinelHosts(): string {
    return this.sentinels.map((s) => `${s.host}:${s.port}`).join(',');
  }

  get sentinelNodes(): HostPort[] {
    return this.sentinels.map((s) => ({ host: s.host, port: s.port }));
  }

  /** The server the running sentinels name as master (they must agree). */
  async master(): Promise<RedisProcess> {
    const named = new Set<number>();
    for (const sentinel of this.sentinels.filter((s) => s.running)) {
      const reply = await this.ask(sentinel, ['SENTINEL', 'get-master-addr-by-name', this.masterName]);
      if (Array.isArray(reply)) named.add(Number(reply[1]));
    }
    const [port] = [...named];
    const server = this.servers.find((s) => s.port === port);
    if (named.size !== 1 || !server)
      throw new DevServiceError(`the sentinels do not agree on one master: ${[...named].join(', ')}`);
    return server;
  }

  /**
   * Until every running sentinel names the same running master, sees the
   * other sentinels and a replica, and every running replica has synced.
   */
  async waitUntilHealthy(timeoutMs = 30_000, what = 'the Sentinel set to be healthy'): Promise<RedisProcess> {
    return waitFor(() => this.healthyMaster(), { what, timeoutMs, intervalMs: 100 });
  }

  /** Until the sentinels have promoted a server other than `old` and the set is healthy again. */
  async waitForFailover(old: RedisProcess, timeoutMs = 30_000): Promise<RedisProcess> {
    return waitFor(
      async () => {
        const master = await this.healthyMaster();
        return master && master !== old ? master : undefined;
      },
      { what: `the sentinels to promote a replica in place of ${old.port}`, timeoutMs, intervalMs: 100 },
    );
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.sentinels, ...this.servers].map((s) => s.stop()));
  }

  private async healthyMaster(): Promise<RedisProcess | undefined> {
    const running = this.sentinels.filter((s) => s.running);
    const master = await this.master().catch(() => undefined);
    if (!master?.running) return undefined;
    const role = await this.command(master, ['ROLE']).catch(() => undefined);
    if (!Array.isArray(role) || role[0] !== 'master') return undefined;
    const replicas = this.servers.filter((s) => s !== master && s.running);
    for (const sentinel of running) {
      const state = pairs(await this.ask(sentinel, ['SENTINEL', 'MASTER', this.masterName]).catch(() => []));
      if (state.flags !== 'master' || Number(state['num-other-sentinels']) < running.length - 1)
        return undefined;
      if (Number(state['num-slaves']) < replicas.length) return undefined;
    }
    for (const replica of replicas) {
      const info = await this.command(replica, ['INFO', 'replication']).catch(() => '');
      if (infoField(info, 'master_port') !== String(master.port)) return undefined;
      if (infoField(info, 'master_link_status') !== 'up') return undefined;
    }
    return master;
  }

  private command(server: RedisProcess, args: [string, ...string[]]): Promise<unknown> {
    return redisCommand(server.host, server.port, args, { password: this.options.password });
  }

  private ask(sentinel: ServiceProcess, args: [string, ...string[]]): Promise<unknown> {
    return redisCommand(sentinel.host, sentinel.port, args, { password: this.options.sentinelPassword });
  }
}

function sentinelSpec(
  host: string,
  dataDir: string,
  config: (port: number) => string,
  options: RedisSentinelOptions,
): ServiceSpec {
  const file = path.join(dataDir, 'sentinel.conf');
  const program = options.sentinelCommand ?? 'redis-sentinel';
  return {
    service: 'redis-sentinel',
    async prepare(port) {
      // A sentinel rewrites its config with what it learnt (the current master, the other
      // sentinels); a restart keeps that, as a restarted production sentinel would.
      const exists = await fs.access(file).then(
        () => true,
        () => false,
      );
      if (!exists) await fs.writeFile(file, config(port), { mode: 0o600 });
      return {
        command: '/bin/sh',
        args: ['-c', 'umask 077 && exec "$0" "$@"', program, file],
        cwd: dataDir,
        logFile: path.join(dataDir, 'sentinel.log'),
        program,
      };
    },
    probe: (port) => redisPing(host, port, 1000, { password: options.sentinelPass }),
    portInUse: (log) => /address already in use/i.test(log),
  };
}

function sentinelConfig(
  port: number,
  dataDir: string,
  master: RedisProcess,
  options: RedisSentinelOptions,
): string {
  const name = options.masterName ?? 'mymaster';
  const lines = [
    `port ${port}`,
    `bind ${master.host}`,
    'daemonize no',
    'logfile ""',
    `dir ${dataDir}`,
    `sentinel monitor ${name} ${master.host} ${master.port} ${options.quorum ?? 2}`,
    `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? 1000}`,
    `sentinel failover-timeout ${name} ${options.failoverTimeoutMs ?? 5000}`,
    `sentinel parallel-syncs ${name} 1`,
  ];
  if (options.requirePass !== undefined)
    lines.push(`sentinel auth-pass ${name} ${quote(options.requirePass)}`);
  if (options.sentinelPass !== undefined)
    // The sentinels authenticate to each other with the password they require.
    lines.push(
      `requirepass ${quote(options.sentinelPass)}`,
      `sentinel sentinel-pass ${quote(options.sentinelPass)}`,
    );
  return `${lines.join('\n')}\n`;
}

/** A config-file string in double quotes (Redis's sds syntax). */
function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * Starts the master, then its replica and the sentinels, and waits until
 * every sentinel knows the master, the replica and the other sentinels.
 * Whatever started is stopped again if a step fails.
 */
export async function startRedisSentinel(options: RedisSentinelOptions): Promise<RedisSentinelSet> {
  const host = options.host ?? '127.0.0.1';
  const logger = (options.logger ?? silentLogger()).child({ component: 'devservices' });
  const auth = options.requirePass !== undefined ? ['--masterauth', options.requirePass] : [];
  const common = {
    host,
    command: options.command,
    requirePass: options.requirePass,
    logger,
    // A replica's first sync starts at once instead of waiting 5 s for more replicas.
    extraArgs: ['--repl-diskless-sync-delay', '0', ...auth],
  };
  const servers: RedisProcess[] = [];
  const sentinels: ServiceProcess[] = [];
  const set = (): RedisSentinelSet =>
    new RedisSentinelSet(servers, sentinels, options.masterName ?? 'mymaster', {
      password: options.requirePass,
      sentinelPassword: options.sentinelPass,
    });
  try {
    const master = await startRedis({ ...common, dataDir: path.join(options.dataDir, 'redis-1') });
    servers.push(master);
    const replica = startRedis({
      ...common,
      dataDir: path.join(options.dataDir, 'redis-2'),
      extraArgs: [...common.extraArgs, '--replicaof', master.host, String(master.port)],
    });
    const watchers = Array.from({ length: options.sentinels ?? 3 }, async (_, i) => {
      const dataDir = path.join(options.dataDir, `sentinel-${i + 1}`);
      await fs.mkdir(dataDir, { recursive: true });
      const sentinel = new ServiceProcess(
        sentinelSpec(host, dataDir, (port) => sentinelConfig(port, dataDir, master, options), options),
        { host, dataDir, startTimeoutMs: options.startTimeoutMs ?? 15_000, stopTimeoutMs: 5000, logger },
      );
      sentinels.push(sentinel);
      await sentinel.start();
    });
    const started = await Promise.allSettled([replica, ...watchers]);
    const [replicaStarted] = started;
    if (replicaStarted?.status === 'fulfilled' && replicaStarted.value) servers.push(replicaStarted.value);
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    const result = set();
    await result.waitUntilHealthy(options.startTimeoutMs ?? 30_000);
    logger.info({ service: 'redis-sentinel', sentinels: result.sentinelHosts }, 'dev service started');
    return result;
  } catch (err) {
    await set().stop();
    throw err;
  }
}
