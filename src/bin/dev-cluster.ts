import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ensureDevCerts } from '../cluster/tls/certs';
import { loadDevClusterConfig } from '../config/dev-cluster';
import type { DevClusterConfig } from '../config/dev-cluster';
import { createLogger } from '../core/logger';
import { waitFor } from '../core/wait-for';
import { findJava, findZooKeeper, redisPing, zkFourLetterWord } from '../devservices';
import { jvmFlags, zooCfg } from '../devservices/zookeeper';
import { openStore } from '../store';
import { DEV_PASSWORD, seed } from './seed-data';

/**
 * `npm start` / `npm stop`: the whole cluster on this machine under pm2:
 * Redis and ZooKeeper (unless REDIS_URL, REDIS_CLUSTER_NODES or
 * REDIS_SENTINELS / ZK_HOSTS point elsewhere), three
 * chat nodes and the gateway. Starting twice does not start a second cluster.
 */
const REPO = path.resolve(__dirname, '..', '..', '..');
const DATA = path.join(REPO, 'data');
const PM2 = path.join(REPO, 'node_modules', '.bin', 'pm2');
const ECOSYSTEM = path.join(REPO, 'ecosystem.config.js');
const REDIS_PORT = 6390;
const ZK_PORT = 2190;
const NODE_APPS = ['chat-node-1', 'chat-node-2', 'chat-node-3'];
const logger = createLogger({ level: 'warn', name: 'dev-cluster' });

interface Pm2App {
  name: string;
  pm2_env?: { status?: string };
}

function pm2(args: string[]): string {
  return execFileSync(PM2, args, { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function ourApps(): Pm2App[] {
  // The first pm2 call also prints daemon start-up lines before the JSON.
  const out = pm2(['jlist']);
  const json = out.slice(Math.max(0, out.lastIndexOf('\n['))).trim();
  const list = JSON.parse(json.startsWith('[') ? json : '[]') as Pm2App[];
  return list.filter((app) => app.name.startsWith('chat-'));
}

/** How long start-up waits for each service, and where to look when one does not come up. */
const STARTUP_WAIT = { timeoutMs: 60_000, intervalMs: 250, describe: () => 'see `npx pm2 logs`' };

/** data/ holds password hashes, messages and the Redis dump: this user's only (0700). */
async function privateDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  await fs.chmod(dir, 0o700);
}

async function prepareServices(config: DevClusterConfig): Promise<{ redisUrl: string; zkHosts: string }> {
  await privateDir(DATA);
  const apps: Array<{ name: string; command: string; args: string[]; cwd: string }> = [];
  let redisUrl = config.redisUrl ?? '';
  let zkHosts = config.zkHosts ?? '';
  // A Redis Cluster or Sentinel set reaches the processes through their own REDIS_* variables.
  const redisElsewhere = config.redisClusterNodes ?? config.redisSentinels;
  if (!redisUrl && !redisElsewhere) {
    const dir = path.join(DATA, 'redis');
    await privateDir(dir);
    // A dump left by a run before umask 077 keeps its old mode otherwise.
    await fs.chmod(path.join(dir, 'dump.rdb'), 0o600).catch(() => undefined);
    apps.push({
      name: 'chat-redis',
      // umask 077: the dump (dump.rdb) is readable by this user only.
      command: '/bin/sh',
      args: [
        '-c',
        'umask 077 && exec "$0" "$@"',
        'redis-server',
        '--port',
        String(REDIS_PORT),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '60 1',
        '--appendonly',
        'no',
      ],
      cwd: dir,
    });
    redisUrl = `redis://127.0.0.1:${REDIS_PORT}`;
  }
  if (!zkHosts) {
    const dir = path.join(DATA, 'zookeeper');
    await privateDir(dir);
    await privateDir(path.join(dir, 'data'));
    const cfg = path.join(dir, 'zoo.cfg');
    await fs.writeFile(
      cfg,
      zooCfg({ dataDir: path.join(dir, 'data'), host: '127.0.0.1', port: ZK_PORT, tickTimeMs: 1000 }),
    );
    const install = findZooKeeper();
    const factory = install.hasNetty ? 'org.apache.zookeeper.server.NettyServerCnxnFactory' : undefined;
    apps.push({
      name: 'chat-zookeeper',
      command: findJava(),
      args: [
        ...jvmFlags(factory),
        '-cp',
        install.classpath,
        'org.apache.zookeeper.server.ZooKeeperServerMain',
        cfg,
      ],
      cwd: dir,
    });
    zkHosts = `127.0.0.1:${ZK_PORT}`;
  }
  await fs.writeFile(
    path.join(DATA, 'dev-services.json'),
    JSON.stringify({ redisUrl, zkHosts, apps }, null, 2),
  );
  if (apps.length > 0) pm2(['start', ECOSYSTEM, '--only', apps.map((a) => a.name).join(',')]);
  if (redisElsewhere) {
    redisUrl = config.redisClusterNodes ? `cluster ${redisElsewhere}` : `sentinels ${redisElsewhere}`;
  } else {
    const redis = new URL(redisUrl);
    await waitFor(() => redisPing(redis.hostname, Number(redis.port || 6379)), {
      what: `Redis at ${redisUrl}`,
      ...STARTUP_WAIT,
    });
  }
  const [zkHost, zkPort] = (zkHosts.split(',')[0] ?? '').split(':');
  await waitFor(
    async () => (await zkFourLetterWord(zkHost ?? '127.0.0.1', Number(zkPort ?? 2181), 'ruok')) === 'imok',
    { what: `ZooKeeper at ${zkHosts}`, ...STARTUP_WAIT },
  );
  return { redisUrl, zkHosts };
}

/** The console's token, made once and kept in data/admin-token (0600); ecosystem.config.js reads it. */
async function ensureAdminToken(): Promise<void> {
  const file = path.join(DATA, 'admin-token');
  await privateDir(DATA);
  try {
    await fs.writeFile(file, `${randomBytes(24).toString('base64url')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

async function seedIfEmpty(config: DevClusterConfig): Promise<void> {
  const store = await openStore({ mongoUrl: config.mongoUrl, sqlitePath: config.sqlitePath, logger });
  try {
    if ((await store.users.count()) > 0) return;
    console.log('Seeding users user1..user100 and rooms room1..room9 (takes a few seconds: scrypt)...');
    await seed(store);
  } finally {
    await store.close();
  }
}

async function start(config: DevClusterConfig): Promise<void> {
  const running = ourApps().filter((app) => app.pm2_env?.status === 'online');
  if (NODE_APPS.every((name) => running.some((app) => app.name === name))) {
    console.log('The cluster is already running (see `npx pm2 ls`).');
    printWelcome(config);
    return;
  }
  await ensureDevCerts({
    dir: path.join(REPO, 'certs'),
    nodeIds: ['node1', 'node2', 'node3'],
    force: false,
    logger,
  });
  const { redisUrl, zkHosts } = await prepareServices(config);
  await seedIfEmpty(config);
  await ensureAdminToken();
  pm2(['start', ECOSYSTEM, '--only', [...NODE_APPS, 'chat-gateway'].join(',')]);
  const gateway = `http://127.0.0.1:${config.gatewayPort}`;
  await waitFor(
    async () => {
      const res = await fetch(`${gateway}/servers?all=1`);
      const body = (await res.json()) as { servers?: unknown[] };
      return (body.servers?.length ?? 0) >= NODE_APPS.length;
    },
    { what: 'three chat nodes behind the gateway', ...STARTUP_WAIT },
  );
  console.log(`Redis: ${redisUrl}   ZooKeeper: ${zkHosts}`);
  printWelcome(config);
}

function printWelcome(config: DevClusterConfig): void {
  console.log(`
Cluster up: gateway http://127.0.0.1:${config.gatewayPort}  (GET /servers), chat nodes node1..node3.
Start a client in another terminal:   npm run client
Log in as user1 .. user100 with password "${DEV_PASSWORD}".
Logs: npx pm2 logs     Status: npx pm2 ls     Stop everything: npm stop
Metrics: http://127.0.0.1:9201/metrics .. 9203 (nodes), :9280 and up (gateway instances)
Console: http://127.0.0.1:9301/ .. 9303 (token: ADMIN_TOKEN, or the one in data/admin-token)
`);
}

function stop(): void {
  const apps = ourApps();
  if (apps.length === 0) {
    console.log('Nothing to stop: no chat-* pm2 apps are running.');
    return;
  }
  // Cluster-mode apps appear once per instance; pm2 deletes them by name.
  const names = [...new Set(apps.map((a) => a.name))];
  pm2(['delete', ...names]);
  console.log(`Stopped ${names.join(', ')}.`);
}

async function main(command: string | undefined): Promise<void> {
  if (command === 'stop') stop();
  else await start(loadDevClusterConfig(process.env, { dataDir: DATA }));
}

main(process.argv[2]).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
