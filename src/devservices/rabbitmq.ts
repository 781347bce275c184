import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { connect } from 'amqplib';
import type { Logger } from '../core/logger';
import { silentLogger } from '../core/logger';
import { DevServiceError } from './errors';
import { findFreePort } from './free-port';
import type { SpawnSpec } from './managed-process';
import { ServiceProcess } from './service-process';
import type { ServiceSpec } from './service-process';

export interface RabbitMqOptions {
  /** Fixed AMQP port; by default a free one. */
  port?: number;
  /** Config, Erlang cookie (HOME), mnesia data and logs; kept across restarts. */
  dataDir: string;
  host?: string;
  /** The `rabbitmq-server` script; default from RABBITMQ_SERVER or the known install locations. */
  command?: string;
  startTimeoutMs?: number;
  stopTimeoutMs?: number;
  logger?: Logger;
}

export const RABBITMQ_INSTALL_HINT =
  'rabbitmq-server is not installed: run `bash scripts/install-services.sh --with-rabbitmq` ' +
  '(Debian/Ubuntu: apt-get install rabbitmq-server; macOS: brew install rabbitmq), ' +
  'or point RABBITMQ_SERVER at the rabbitmq-server script';

/** A RabbitMQ broker we launched. `url` logs in as the default guest user (loopback only). */
export class RabbitMqProcess extends ServiceProcess {
  get url(): string {
    return `amqp://guest:guest@${this.host}:${this.port}`;
  }
}

/**
 * Runs `rabbitmq-server` in the foreground as its own node (unique node name,
 * own data dir, own Erlang cookie, free AMQP and distribution ports) and
 * resolves once an AMQP connection succeeds. Start-up takes 5–15 s.
 */
export async function startRabbitMq(options: RabbitMqOptions): Promise<RabbitMqProcess> {
  const host = options.host ?? '127.0.0.1';
  const command = options.command ?? findRabbitMqServer();
  if (!command) throw new DevServiceError(RABBITMQ_INSTALL_HINT);
  const rabbit = new RabbitMqProcess(rabbitMqSpec(host, command, options), {
    host,
    port: options.port,
    dataDir: options.dataDir,
    // An Erlang VM boot plus mnesia; a loaded CI machine can take several times the usual 10 s.
    startTimeoutMs: options.startTimeoutMs ?? 90_000,
    stopTimeoutMs: options.stopTimeoutMs ?? 20_000,
    logger: (options.logger ?? silentLogger()).child({ component: 'devservices' }),
  });
  await rabbit.start();
  return rabbit;
}

/**
 * The real server script. Debian's /usr/sbin/rabbitmq-server is a wrapper
 * that switches to the `rabbitmq` user through `su`, which drops our
 * environment (ports, node name, data dir), so the script behind it comes first.
 */
export function findRabbitMqServer(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [
    env.RABBITMQ_SERVER,
    '/usr/lib/rabbitmq/bin/rabbitmq-server',
    ...[env.HOMEBREW_PREFIX, '/opt/homebrew', '/usr/local'].map(
      (p) => p && `${p}/opt/rabbitmq/sbin/rabbitmq-server`,
    ),
    ...(env.PATH ?? '').split(path.delimiter).map((dir) => dir && path.join(dir, 'rabbitmq-server')),
  ];
  return candidates.find((c): c is string => !!c && isExecutable(c));
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function rabbitMqSpec(host: string, command: string, options: RabbitMqOptions): ServiceSpec {
  const dataDir = options.dataDir;
  // Stable across restarts: mnesia keeps its data under the node name.
  const nodeName = `chat-dev-${process.pid}-${randomBytes(3).toString('hex')}@localhost`;
  return {
    service: 'rabbitmq',
    async prepare(port: number): Promise<SpawnSpec> {
      const distPort = await findFreePort(host);
      const file = (name: string): string => path.join(dataDir, name);
      await fsp.writeFile(file('rabbitmq.conf'), rabbitMqConf(host, port));
      await fsp.writeFile(file('enabled_plugins'), '[].\n');
      // Empty: keeps /etc/rabbitmq/rabbitmq-env.conf of a system install out of our node.
      await fsp.writeFile(file('rabbitmq-env.conf'), '');
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        // The Erlang cookie goes to $HOME/.erlang.cookie: ours, not the system node's.
        HOME: dataDir,
        // Makes the script exec the VM instead of running it as a child, so
        // the pid we signal (and the watchdog kills) is the broker itself.
        RUNNING_UNDER_SYSTEMD: 'true',
        RABBITMQ_NODENAME: nodeName,
        RABBITMQ_NODE_IP_ADDRESS: host,
        RABBITMQ_NODE_PORT: String(port),
        RABBITMQ_DIST_PORT: String(distPort),
        RABBITMQ_CONFIG_FILE: file('rabbitmq.conf'),
        RABBITMQ_CONF_ENV_FILE: file('rabbitmq-env.conf'),
        RABBITMQ_ADVANCED_CONFIG_FILE: file('advanced.config'),
        RABBITMQ_ENABLED_PLUGINS_FILE: file('enabled_plugins'),
        RABBITMQ_MNESIA_BASE: file('mnesia'),
        RABBITMQ_LOG_BASE: file('log'),
        RABBITMQ_PID_FILE: file('rabbitmq.pid'),
        // Log to stdout, which ManagedProcess appends to rabbitmq.log.
        RABBITMQ_LOGS: '-',
      };
      return { command, args: [], cwd: dataDir, logFile: file('rabbitmq.log'), env };
    },
    probe: (port) => amqpProbe(host, port),
    portInUse: (log) => /eaddrinuse|address already in use/i.test(log),
  };
}

function rabbitMqConf(host: string, port: number): string {
  return [
    `listeners.tcp.default = ${host}:${port}`,
    // guest may only log in from loopback, which is all we listen on.
    'loopback_users.guest = true',
    // A test broker on a nearly full disk should still accept messages.
    'disk_free_limit.absolute = 10MB',
    '',
  ].join('\n');
}

/** True once a full AMQP handshake (login included) succeeds. */
async function amqpProbe(host: string, port: number): Promise<boolean> {
  const connection = await connect(`amqp://guest:guest@${host}:${port}`, { timeout: 2000 });
  await connection.close();
  return true;
}
