import path from 'node:path';
import { waitFor } from '../core/wait-for';
import { DevServiceError } from './errors';
import { findFreePort } from './free-port';
import { zkFourLetterWord } from './probes';
import { startZooKeeper } from './zookeeper';
import type { QuorumServer, ZooKeeperOptions, ZooKeeperProcess } from './zookeeper';

export interface ZooKeeperEnsembleOptions extends Omit<ZooKeeperOptions, 'port' | 'quorum'> {
  /** One sub-directory per server. */
  dataDir: string;
  /** Servers in the ensemble (3 tolerates one failure, 5 two). */
  size?: number;
}

/** What `srvr` says a server is doing; 'down' when it does not answer, 'not serving' without a quorum. */
export type ZooKeeperMode = 'leader' | 'follower' | 'standalone' | 'not serving' | 'down';

/**
 * A ZooKeeper ensemble on loopback: every server with the same server.N
 * lines, its own myid, client port, quorum port and election port.
 * `hosts` is the connection string (ZK_HOSTS) naming every server.
 */
export class ZooKeeperEnsemble {
  constructor(readonly servers: readonly ZooKeeperProcess[]) {}

  get hosts(): string {
    return this.servers.map((s) => s.hosts).join(',');
  }

  async mode(server: ZooKeeperProcess): Promise<ZooKeeperMode> {
    if (!server.running) return 'down';
    const reply = await zkFourLetterWord(server.host, server.port, 'srvr', 1000).catch(() => undefined);
    if (reply === undefined || reply === '') return 'down';
    const mode = /^Mode: (\w+)/m.exec(reply)?.[1];
    return mode === 'leader' || mode === 'follower' || mode === 'standalone' ? mode : 'not serving';
  }

  /**
   * Until the running servers form a quorum: exactly one leads and every
   * other running one follows. Resolves with the leader.
   */
  async waitForQuorum(
    timeoutMs = 30_000,
    what = 'the ZooKeeper ensemble to elect a leader',
  ): Promise<ZooKeeperProcess> {
    let seen = '';
    return waitFor(
      async () => {
        const running = this.servers.filter((s) => s.running);
        const modes = await Promise.all(running.map((s) => this.mode(s)));
        seen = running.map((s, i) => `${s.port}: ${modes[i] ?? '?'}`).join(', ');
        if (running.length * 2 <= this.servers.length) return undefined;
        const leaders = running.filter((_, i) => modes[i] === 'leader');
        if (leaders.length !== 1 || modes.some((m) => m !== 'leader' && m !== 'follower')) return undefined;
        return leaders[0];
      },
      {
        what,
        timeoutMs,
        intervalMs: 100,
        describe: () =>
          `last seen ${seen}\n${this.servers
            .filter((s) => s.running)
            .map((s) => `--- ${s.port}:\n${s.logTail(8)}`)
            .join('\n')}`,
      },
    );
  }

  /** The current leader (the ensemble must have a quorum). */
  async leader(): Promise<ZooKeeperProcess> {
    return this.waitForQuorum(5000, 'the ZooKeeper ensemble to have a leader');
  }

  async followers(): Promise<ZooKeeperProcess[]> {
    const modes = await Promise.all(this.servers.map((s) => this.mode(s)));
    return this.servers.filter((_, i) => modes[i] === 'follower');
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.servers.map((s) => s.stop()));
  }
}

/**
 * Starts every server of the ensemble at once (a single one never gets a
 * quorum) and resolves once each has a client session and one of them leads.
 * Whatever started is stopped again if a step fails.
 */
export async function startZooKeeperEnsemble(options: ZooKeeperEnsembleOptions): Promise<ZooKeeperEnsemble> {
  const host = options.host ?? '127.0.0.1';
  const size = options.size ?? 3;
  const members: QuorumServer[] = [];
  for (let id = 1; id <= size; id++) {
    const [clientPort, quorumPort, electionPort] = [
      await findFreePort(host),
      await findFreePort(host),
      await findFreePort(host),
    ];
    members.push({ id, host, clientPort, quorumPort, electionPort });
  }
  const started = await Promise.allSettled(
    members.map((member) =>
      startZooKeeper({
        ...options,
        host,
        port: member.clientPort,
        dataDir: path.join(options.dataDir, `server-${member.id}`),
        quorum: { myid: member.id, servers: members },
      }),
    ),
  );
  const ensemble = new ZooKeeperEnsemble(started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : [])));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  try {
    if (failed) throw failed.reason;
    await ensemble.waitForQuorum(options.startTimeoutMs ?? 45_000);
  } catch (err) {
    await ensemble.stop();
    throw err instanceof Error ? err : new DevServiceError(String(err));
  }
  return ensemble;
}
