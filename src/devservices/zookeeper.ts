import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../core/logger';
import { silentLogger } from '../core/logger';
import type { SpawnSpec } from './managed-process';
import { zkFourLetterWord, zkSessionCheck } from './probes';
import { ServiceProcess } from './service-process';
import type { ServiceSpec } from './service-process';
import { findJava, findZooKeeper } from './zookeeper-classpath';

/** One server of an ensemble as every member's zoo.cfg lists it (`server.<id>=host:quorum:election`). */
export interface QuorumServer {
  id: number;
  host: string;
  clientPort: number;
  /** Followers connect to the leader here. */
  quorumPort: number;
  /** Leader election. */
  electionPort: number;
}

export interface ZooKeeperOptions {
  /** Fixed port; by default a free one. */
  port?: number;
  /** zoo.cfg, the log file and the snapshots/transaction logs (kept across restarts). */
  dataDir: string;
  host?: string;
  /** ZooKeeper's tick; session timeouts must lie in [2, 20] ticks unless min/max say otherwise. */
  tickTimeMs?: number;
  minSessionTimeoutMs?: number;
  maxSessionTimeoutMs?: number;
  /** Jar or classpath; default from ZOOKEEPER_JAR or the known install locations. */
  classpath?: string;
  /**
   * `zookeeper.serverCnxnFactory` class. Default: Netty when its jars were
   * found. ZooKeeper 3.8's NIO factory accepts connections before the server
   * runs and, after a restart, can leave such a connection open without
   * answering; node-zookeeper-client then waits on it forever.
   */
  serverCnxnFactory?: string;
  java?: string;
  /** Extra JVM flags (e.g. a bigger heap). */
  jvmArgs?: string[];
  startTimeoutMs?: number;
  stopTimeoutMs?: number;
  logger?: Logger;
  /**
   * Member `myid` of an ensemble of `servers` (this one among them, on
   * `port`): the server runs QuorumPeerMain with server.N lines and a myid
   * file instead of a standalone server.
   */
  quorum?: { myid: number; servers: readonly QuorumServer[] };
}

/** A ZooKeeper server we launched (standalone, or one member of an ensemble). `hosts` is the connection string (ZK_HOSTS). */
export class ZooKeeperProcess extends ServiceProcess {
  get hosts(): string {
    return `${this.host}:${this.port}`;
  }
  /** The same as `hosts`, so every launcher has a `url`. */
  get url(): string {
    return this.hosts;
  }
}

/**
 * Runs `java -cp <zookeeper> ZooKeeperServerMain zoo.cfg` and resolves once
 * `ruok` answers `imok` and a client session can be opened.
 */
export async function startZooKeeper(options: ZooKeeperOptions): Promise<ZooKeeperProcess> {
  const host = options.host ?? '127.0.0.1';
  const zk = new ZooKeeperProcess(zooKeeperSpec(host, options), {
    host,
    port: options.port,
    dataDir: options.dataDir,
    // The JVM takes ~3 s here; a loaded 2-core CI machine can take several times that.
    startTimeoutMs: options.startTimeoutMs ?? 45_000,
    stopTimeoutMs: options.stopTimeoutMs ?? 10_000,
    logger: (options.logger ?? silentLogger()).child({ component: 'devservices' }),
  });
  await zk.start();
  return zk;
}

function zooKeeperSpec(host: string, options: ZooKeeperOptions): ServiceSpec {
  const install = options.classpath ? { classpath: options.classpath, hasNetty: false } : findZooKeeper();
  const factory =
    options.serverCnxnFactory ??
    (install.hasNetty ? 'org.apache.zookeeper.server.NettyServerCnxnFactory' : undefined);
  const classpath = install.classpath;
  const java = options.java ?? findJava();
  const cfgFile = path.join(options.dataDir, 'zoo.cfg');
  return {
    service: 'zookeeper',
    async prepare(port: number): Promise<SpawnSpec> {
      const dataDir = path.join(options.dataDir, 'data');
      await fs.mkdir(dataDir, { recursive: true });
      await fs.writeFile(cfgFile, zooCfg({ ...options, host, port, dataDir }));
      if (options.quorum) await fs.writeFile(path.join(dataDir, 'myid'), `${options.quorum.myid}\n`);
      return {
        command: java,
        args: [
          ...jvmFlags(factory, [...(options.quorum ? QUORUM_JVM_FLAGS : []), ...(options.jvmArgs ?? [])]),
          '-cp',
          classpath,
          options.quorum
            ? 'org.apache.zookeeper.server.quorum.QuorumPeerMain'
            : 'org.apache.zookeeper.server.ZooKeeperServerMain',
          cfgFile,
        ],
        cwd: options.dataDir,
        logFile: path.join(options.dataDir, 'zookeeper.log'),
      };
    },
    probe: async (port) => (await zkFourLetterWord(host, port, 'ruok')) === 'imok',
    verify: (port, deadline) => zkSessionCheck(`${host}:${port}`, Math.max(1000, deadline - Date.now())),
    portInUse: (log) => /BindException|address already in use/i.test(log),
  };
}

export function zooCfg(o: ZooKeeperOptions & { host: string; port: number; dataDir: string }): string {
  return [
    `tickTime=${o.tickTimeMs ?? 500}`,
    `dataDir=${o.dataDir}`,
    `clientPort=${o.port}`,
    `clientPortAddress=${o.host}`,
    `minSessionTimeout=${o.minSessionTimeoutMs ?? 1000}`,
    `maxSessionTimeout=${o.maxSessionTimeoutMs ?? 60000}`,
    // Tests open many sessions from one address; the default allows 60.
    'maxClientCnxns=0',
    'admin.enableServer=false',
    '4lw.commands.whitelist=ruok,srvr,stat',
    ...quorumLines(o.quorum),
    '',
  ].join('\n');
}

/**
 * Election on loopback: a server that hears nothing re-sends its vote at
 * most every 2 s (default: the interval doubles up to 60 s, so a busy test
 * machine could wait that long after a leader died), and peers that do not
 * answer a connection within 2 s are tried again.
 */
const QUORUM_JVM_FLAGS = [
  '-Dzookeeper.fastleader.maxNotificationInterval=2000',
  '-Dzookeeper.cnxTimeout=2000',
];

/** An ensemble's part of zoo.cfg: how long followers may take to connect and sync, and its members. */
function quorumLines(quorum: ZooKeeperOptions['quorum']): string[] {
  if (!quorum) return [];
  return [
    // In ticks: a follower connects and syncs within 10, and falls behind at most 5.
    'initLimit=10',
    'syncLimit=5',
    ...quorum.servers.map((s) => `server.${s.id}=${s.host}:${s.quorumPort}:${s.electionPort}`),
  ];
}

export function jvmFlags(factory: string | undefined, extra: string[] = []): string[] {
  return [
    ...(factory ? [`-Dzookeeper.serverCnxnFactory=${factory}`] : []),
    // A small, quick-starting JVM: this is a dev/test server, not a production one.
    '-Xms32m',
    '-Xmx256m',
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-Djava.awt.headless=true',
    // Data still reaches the OS on every write, so it survives a SIGKILL of the
    // server (sessions outlive restart()); skipping fsync only risks a machine crash.
    '-Dzookeeper.forceSync=no',
    // Transaction logs are preallocated 64 MiB at a time by default.
    '-Dzookeeper.preAllocSize=4096',
    '-Dorg.slf4j.simpleLogger.showDateTime=true',
    '-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS',
    '-Dorg.slf4j.simpleLogger.defaultLogLevel=info',
    ...extra,
  ];
}
