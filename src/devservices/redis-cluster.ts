import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import calculateSlot from 'cluster-key-slot';
import type { HostPort } from '../config/shared';
import type { Logger } from '../core/logger';
import { silentLogger } from '../core/logger';
import { waitFor } from '../core/wait-for';
import { DevServiceError } from './errors';
import { findFreePort } from './free-port';
import { startRedis } from './redis';
import type { RedisProcess } from './redis';
import { infoField, redisCommand } from './redis-admin';

const run = promisify(execFile);

export interface RedisClusterOptions {
  /** One sub-directory per node (its log, nodes.conf). */
  dataDir: string;
  masters?: number;
  replicasPerMaster?: number;
  host?: string;
  /** cluster-node-timeout: how long a master may be unreachable before its replica takes over. */
  nodeTimeoutMs?: number;
  /** requirepass (and masterauth) on every node. */
  requirePass?: string;
  /** `redis-server` and `redis-cli` executables; default from PATH. */
  command?: string;
  cliCommand?: string;
  startTimeoutMs?: number;
  logger?: Logger;
}

/** One line of CLUSTER NODES. */
export interface ClusterNodeLine {
  id: string;
  port: number;
  flags: string[];
  /** The master's id for a replica, '-' for a master. */
  masterId: string;
  slots: Array<[number, number]>;
}

/**
 * A Redis Cluster of redis-server processes on loopback (by default three
 * masters with a replica each), created with `redis-cli --cluster create`.
 * `seeds` is what REDIS_CLUSTER_NODES takes.
 */
export class RedisClusterProcess {
  constructor(
    readonly nodes: readonly RedisProcess[],
    private readonly options: { host: string; password?: string },
  ) {}

  get host(): string {
    return this.options.host;
  }

  /** Every node as host:port,host:port, so a client can start from any live one. */
  get seeds(): string {
    return this.nodes.map((n) => `${n.host}:${n.port}`).join(',');
  }

  get seedNodes(): HostPort[] {
    return this.nodes.map((n) => ({ host: n.host, port: n.port }));
  }

  running(): RedisProcess[] {
    return this.nodes.filter((n) => n.running);
  }

  node(port: number): RedisProcess {
    const node = this.nodes.find((n) => n.port === port);
    if (!node) throw new DevServiceError(`no node of this Redis Cluster listens on ${port}`);
    return node;
  }

  /** CLUSTER NODES as the first running node that answers sees it. */
  async topology(): Promise<ClusterNodeLine[]> {
    let lastError: unknown;
    for (const node of this.running()) {
      try {
        return parseClusterNodes(String(await this.command(node, ['CLUSTER', 'NODES'])));
      } catch (err) {
        lastError = err;
      }
    }
    throw new DevServiceError(`no node of the Redis Cluster answers CLUSTER NODES: ${String(lastError)}`);
  }

  /** The master that serves `key`'s slot now. */
  async masterOf(key: string): Promise<RedisProcess> {
    const slot = calculateSlot(key);
    const owner = (await this.topology()).find(
      (n) =>
        n.flags.includes('master') &&
        !n.flags.includes('fail') &&
        n.slots.some(([a, b]) => slot >= a && slot <= b),
    );
    if (!owner) throw new DevServiceError(`no master serves slot ${slot} (key ${key})`);
    return this.node(owner.port);
  }

  /**
   * Until every running node says cluster_state:ok with all 16384 slots on
   * masters that run, and every running replica of a running master has
   * finished syncing (so a master killed next has a replica to take over).
   */
  async waitUntilHealthy(timeoutMs = 30_000, what = 'the Redis Cluster to be healthy'): Promise<void> {
    await waitFor(() => this.healthy(), { what, timeoutMs, intervalMs: 100 });
  }

  /**
   * Until the slots of `dead` (a killed master) are served by a running
   * master again: the cluster is healthy and `dead` holds no slot any more.
   */
  async waitForFailover(dead: RedisProcess, timeoutMs = 30_000): Promise<void> {
    await waitFor(
      async () =>
        (await this.healthy()) &&
        !(await this.topology()).some((n) => n.port === dead.port && n.slots.length > 0),
      { what: `a replica to take over the slots of the master on ${dead.port}`, timeoutMs, intervalMs: 100 },
    );
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.nodes.map((n) => n.stop()));
  }

  private async healthy(): Promise<boolean> {
    const running = this.running();
    const live = new Set(running.map((n) => n.port));
    for (const node of running) {
      const info = await this.command(node, ['CLUSTER', 'INFO']).catch(() => undefined);
      if (infoField(info, 'cluster_state') !== 'ok' || infoField(info, 'cluster_slots_ok') !== '16384')
        return false;
    }
    const lines = await this.topology();
    const byId = new Map(lines.map((l) => [l.id, l]));
    for (const line of lines) {
      if (line.flags.includes('master') && line.slots.length > 0 && !live.has(line.port)) return false;
      if (!line.flags.includes('slave') || !live.has(line.port)) continue;
      const master = byId.get(line.masterId);
      if (!master || !live.has(master.port)) continue;
      const replication = await this.command(this.node(line.port), ['INFO', 'replication']).catch(() => '');
      if (infoField(replication, 'master_link_status') !== 'up') return false;
    }
    return true;
  }

  private command(node: RedisProcess, args: [string, ...string[]]): Promise<unknown> {
    return redisCommand(node.host, node.port, args, { password: this.options.password });
  }
}

/** Parses CLUSTER NODES (one node per line; slots as `a-b` or `a`, migrations in brackets skipped). */
export function parseClusterNodes(text: string): ClusterNodeLine[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [id = '', address = '', flags = '', masterId = '-', , , , , ...slots] = line.trim().split(' ');
      const port = Number(address.split('@')[0]?.split(':').at(-1));
      return {
        id,
        port,
        flags: flags.split(','),
        masterId,
        slots: slots
          .filter((s) => !s.startsWith('['))
          .map((s): [number, number] => {
            const [a, b] = s.split('-').map(Number);
            return [a ?? 0, b ?? a ?? 0];
          }),
      };
    });
}

/**
 * Starts every node with cluster mode on (its own cluster bus port), joins
 * them with `redis-cli --cluster create … --cluster-replicas N --cluster-yes`
 * and waits until the cluster is healthy. Whatever started is stopped again
 * if a step fails.
 */
export async function startRedisCluster(options: RedisClusterOptions): Promise<RedisClusterProcess> {
  const host = options.host ?? '127.0.0.1';
  const masters = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 1;
  const count = masters * (replicas + 1);
  const logger = (options.logger ?? silentLogger()).child({ component: 'devservices' });
  const auth = options.requirePass !== undefined ? ['--masterauth', options.requirePass] : [];
  const started = await Promise.allSettled(
    Array.from({ length: count }, async (_, i) =>
      startRedis({
        dataDir: path.join(options.dataDir, `node-${i + 1}`),
        host,
        command: options.command,
        requirePass: options.requirePass,
        logger,
        extraArgs: [
          '--cluster-enabled', 'yes',
          '--cluster-config-file', 'nodes.conf',
          // The bus port is usually the client port + 10000, which may not exist above 55535.
          '--cluster-port', String(await findFreePort(host)),
          '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 1000),
          // A replica takes over however long it was cut off from its master (tests kill masters).
          '--cluster-replica-validity-factor', '0',
          // Slots of a dead master fail alone; the others keep serving until its replica takes over.
          '--cluster-require-full-coverage', 'no',
          // A replica's first sync starts at once instead of waiting 5 s for more replicas.
          '--repl-diskless-sync-delay', '0',
          ...auth,
        ],
      }),
    ),
  ); // prettier-ignore
  const nodes = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const cluster = new RedisClusterProcess(nodes, { host, password: options.requirePass });
  try {
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    await create(nodes, replicas, options);
    await cluster.waitUntilHealthy(options.startTimeoutMs ?? 30_000);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  logger.info({ service: 'redis-cluster', seeds: cluster.seeds }, 'dev service started');
  return cluster;
}

async function create(
  nodes: readonly RedisProcess[],
  replicas: number,
  options: RedisClusterOptions,
): Promise<void> {
  const cli = options.cliCommand ?? 'redis-cli';
  const args = [
    '--cluster', 'create',
    ...nodes.map((n) => `${n.host}:${n.port}`),
    '--cluster-replicas', String(replicas),
    '--cluster-yes',
  ]; // prettier-ignore
  try {
    // REDISCLI_AUTH keeps the password off the command line.
    await run(cli, args, {
      timeout: options.startTimeoutMs ?? 30_000,
      env: {
        ...process.env,
        ...(options.requirePass !== undefined ? { REDISCLI_AUTH: options.requirePass } : {}),
      },
    });
  } catch (err) {
    const e = err as { code?: string; stdout?: string; stderr?: string; message: string };
    const hint = e.code === 'ENOENT' ? `\n'${cli}' was not found: run scripts/install-services.sh` : '';
    throw new DevServiceError(
      `redis-cli --cluster create failed: ${e.message}${hint}\n${e.stdout ?? ''}${e.stderr ?? ''}`.trim(),
    );
  }
}
