import { State } from 'node-zookeeper-client';
import type { Logger } from '../../core/logger';
import type { ZkPaths } from '../../core/names';
import { Election } from './election';
import { SessionLiveness } from './liveness';
import { MembershipWatch } from './membership';
import { registerNode } from './registration';
import type { Clock, MembershipView, NodeDescriptor, ZkClientFactory } from './types';
import { ZkSession } from './zk-session';

export interface SessionRunOptions {
  hosts: string;
  paths: ZkPaths;
  self: NodeDescriptor;
  clock: Clock;
  logger: Logger;
  clientFactory: ZkClientFactory;
  sessionTimeoutMs: number;
  connectTimeoutMs: number;
  retryDelayMs: number;
  waitForLeftoverMs: number;
  formerSessionIds: ReadonlySet<string>;
  probeIntervalMs?: number;
  staleAfterMs?: number;
  deadAfterMs?: number;
  onMembers: (members: NodeDescriptor[], view: MembershipView) => void;
  onView: (view: { nodeId: string; epoch: number } | null) => void;
  onLeading: (leading: boolean, epoch: number, reason: string) => void;
  /** The session is unusable (expired, silently dead, candidate deleted); the owner starts a new one. */
  onLost: (reason: string) => void;
}

/**
 * Everything that lives and dies with one ZooKeeper session: the client, the
 * registration, the membership watch, the candidacy and the fencing timer.
 * After expiry nothing of it is reused; the coordinator builds a new run.
 */
export class SessionRun {
  private active = true;
  private opened = false;
  private elected = false;
  private leading = false;
  private expired = false;
  private liveness: SessionLiveness | null = null;
  /** When the session was established (clock ms); 0 until then. */
  private establishedAt = 0;
  private shutdownPromise: Promise<void> | null = null;
  private readonly session: ZkSession;
  private readonly membership: MembershipWatch;
  private readonly election: Election;

  constructor(private readonly options: SessionRunOptions) {
    const { clock, logger, paths } = options;
    const client = options.clientFactory(options.hosts, {
      sessionTimeout: options.sessionTimeoutMs,
      spinDelay: Math.min(1000, options.retryDelayMs),
    });
    this.session = new ZkSession(client, {
      clock,
      opTimeoutMs: options.sessionTimeoutMs,
      onAnswer: (sentAt) => this.liveness?.recordAnswer(sentAt),
    });
    const isActive = (): boolean => this.active;
    this.membership = new MembershipWatch(this.session, paths, {
      clock,
      logger,
      retryDelayMs: options.retryDelayMs,
      isActive,
      onMembers: options.onMembers,
    });
    this.election = new Election(this.session, paths, {
      clock,
      logger,
      nodeId: options.self.nodeId,
      retryDelayMs: options.retryDelayMs,
      isActive,
      onElected: (epoch, confirmedAt) => {
        this.elected = true;
        this.liveness?.recordAnswer(confirmedAt);
        this.updateLeading('lowest election candidate');
      },
      onView: options.onView,
      onCandidateLost: () => this.lose('the candidate znode of this session was deleted'),
    });
    client.on('state', (state) => this.onState(state));
  }

  isActive(): boolean {
    return this.active;
  }

  sessionId(): string {
    return this.session.sessionId();
  }

  epoch(): number | null {
    return this.election.epoch();
  }

  isLeading(): boolean {
    return this.leading;
  }

  /** What operators see of the session (ZooKeeperView). */
  describe(): { connected: boolean; sessionId: string; sessionAgeMs: number } {
    if (this.establishedAt === 0) return { connected: false, sessionId: '', sessionAgeMs: 0 };
    // Whole milliseconds: the clock may be a fractional monotonic one.
    const sessionAgeMs = Math.max(0, Math.round(this.options.clock.now() - this.establishedAt));
    return { connected: this.session.isConnected(), sessionId: this.sessionId(), sessionAgeMs };
  }

  /** The fencing deadline has not passed, by the clock right now (see SessionLiveness.isFresh). */
  isFresh(): boolean {
    return this.liveness?.isFresh() ?? false;
  }

  /** Connects, registers, reads the membership and enters the election; rejects on failure. */
  async open(): Promise<void> {
    const { clock, logger, paths, self } = this.options;
    const connectSentAt = clock.now();
    await this.session.connect(this.options.connectTimeoutMs, this.options.hosts);
    this.establishedAt = clock.now();
    const negotiated = this.session.sessionTimeoutMs();
    this.liveness = new SessionLiveness({
      clock,
      logger,
      sessionTimeoutMs: negotiated,
      probeIntervalMs: this.options.probeIntervalMs,
      staleAfterMs: this.options.staleAfterMs,
      deadAfterMs: this.options.deadAfterMs,
      probe: async () => {
        const candidate = this.election.candidatePath();
        if (candidate === null) return (await this.session.exists(paths.election())) !== null;
        return (await this.session.exists(candidate)) !== null;
      },
      onFresh: () => this.updateLeading('ZooKeeper answered again and the candidate znode is present'),
      onStale: (reason) => this.updateLeading(reason),
      onUnresponsive: (reason) => {
        // Same session, new connection: if the server still knows the session we keep
        // our znodes; if it expired it, the handshake reports 'expired' and we start over.
        logger.warn({ reason, sessionId: this.sessionId() }, 'zookeeper unresponsive; forcing a reconnect');
        this.session.dropConnection();
      },
      onCandidateGone: () => this.lose('the candidate znode of this session was deleted'),
    });
    this.liveness.start(connectSentAt);
    logger.info({ sessionId: this.sessionId(), sessionTimeoutMs: negotiated }, 'connected to zookeeper');
    await this.session.mkdirp(paths.nodes());
    await this.session.mkdirp(paths.election());
    await registerNode(this.session, paths.node(self.nodeId), self, {
      clock,
      logger,
      formerSessionIds: this.options.formerSessionIds,
      waitForLeftoverMs: this.options.waitForLeftoverMs,
      isActive: () => this.active,
    });
    logger.info({ path: paths.node(self.nodeId), node: self }, 'registered in zookeeper');
    await this.membership.refresh();
    await this.election.enter();
    this.opened = true;
  }

  /**
   * Ends this run. With `deleteZnodes` (clean stop) the candidate goes first so
   * the successor takes over at once; closing the session removes both anyway.
   */
  shutdown(deleteZnodes: boolean): Promise<void> {
    this.shutdownPromise ??= this.doShutdown(deleteZnodes);
    return this.shutdownPromise;
  }

  private async doShutdown(deleteZnodes: boolean): Promise<void> {
    this.deactivate();
    if (deleteZnodes && this.session.isConnected()) {
      const candidate = this.election.candidatePath();
      try {
        if (candidate !== null) await this.session.remove(candidate);
        await this.session.remove(this.options.paths.node(this.options.self.nodeId));
      } catch (err) {
        this.options.logger.warn({ err }, 'could not delete own znodes; closing the session removes them');
      }
    }
    if (!this.expired) await this.session.close(Math.min(2000, this.options.sessionTimeoutMs));
  }

  private onState(state: State): void {
    if (!this.active) return;
    const { logger } = this.options;
    if (state === State.DISCONNECTED) {
      logger.warn({ sessionId: this.sessionId() }, 'zookeeper connection lost; client reconnects');
      this.liveness?.onDisconnected();
    } else if (state === State.SYNC_CONNECTED && this.opened) {
      logger.info({ sessionId: this.sessionId() }, 'zookeeper connection restored with the same session');
      this.liveness?.onReconnected();
      this.membership.kick();
      this.election.kick();
    } else if (state === State.EXPIRED) {
      this.expired = true;
      this.lose('zookeeper session expired');
    } else if (state === State.AUTH_FAILED) {
      this.lose('zookeeper authentication failed');
    }
  }

  private updateLeading(reason: string): void {
    const should = this.active && this.elected && (this.liveness?.isFresh() ?? false);
    if (should === this.leading) return;
    this.leading = should;
    this.options.onLeading(should, this.election.epoch() ?? 0, reason);
  }

  private lose(reason: string): void {
    if (!this.active) return;
    this.deactivate(reason);
    this.options.onLost(reason);
  }

  private deactivate(reason = 'coordinator stopping'): void {
    if (!this.active) return;
    this.active = false;
    this.liveness?.stop();
    this.membership.cancel();
    this.election.cancel();
    if (this.leading) {
      this.leading = false;
      this.options.onLeading(false, this.election.epoch() ?? 0, reason);
    }
  }
}
