import { EventEmitter } from 'node:events';
import { createClient } from 'node-zookeeper-client';
import { backoffDelay } from '../../core/backoff';
import { Conflict, Unavailable } from '../../core/errors';
import type { Logger } from '../../core/logger';
import { ZkPaths } from '../../core/names';
import { ViewRecord } from './membership';
import { SessionRun } from './session-run';
import { monotonicClock } from '../../core/clock';
import type {
  Clock,
  Coordinator,
  CoordinatorEvents,
  LeaderView,
  MembershipView,
  NodeDescriptor,
  ZkClientFactory,
  ZooKeeperView,
} from './types';

export interface ClusterCoordinatorOptions {
  /** ZooKeeper connection string, e.g. `127.0.0.1:2181` or several `host:port` joined by commas. */
  zkHosts: string;
  /** Root path of this cluster, e.g. `/chat`. */
  root: string;
  /** Requested session timeout; the server may negotiate it into its min/max bounds. */
  sessionTimeoutMs: number;
  self: NodeDescriptor;
  logger: Logger;
  /** Default `createClient` of node-zookeeper-client. */
  clientFactory?: ZkClientFactory;
  clock?: Clock;
  /** How long start() keeps trying to reach ZooKeeper; default max(15 s, 2 session timeouts). */
  startTimeoutMs?: number;
  /** How long a registration of our id held by an unknown session may take to vanish; default 2 session timeouts + 1 s. */
  waitForLeftoverMs?: number;
  /** Base delay between retries; default min(1 s, sessionTimeout / 4). */
  retryDelayMs?: number;
  /** Fencing: probe period (default timeout / 6), stale limit (2/3), silent-death limit (4/3). */
  probeIntervalMs?: number;
  staleAfterMs?: number;
  deadAfterMs?: number;
}

const MAX_RENEW_DELAY_MS = 5000;

/**
 * A chat node's view of the cluster through ZooKeeper: it registers the node,
 * takes part in the leader election, keeps the membership and the leader
 * current, and replaces its session when ZooKeeper expires it. Events:
 * 'members', 'leader', 'leadership'.
 */
export class ClusterCoordinator extends EventEmitter<CoordinatorEvents> implements Coordinator {
  private readonly paths: ZkPaths;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly formerSessionIds = new Set<string>();
  private run: SessionRun | null = null;
  /** The run being opened: its failures surface through open(), not through onLost. */
  private opening: SessionRun | null = null;
  private membersSeen: NodeDescriptor[] = [];
  private readonly membership = new ViewRecord<SessionRun>((view) => this.emit('view', view));
  private rawView: { nodeId: string; epoch: number } | null = null;
  private view: LeaderView | null = null;
  private leading: { epoch: number } | null = null;
  private stopped = false;
  private renewTimer: unknown = null;
  private renewAttempts = 0;
  private startPromise: Promise<void> | null = null;
  private stopPromise: Promise<void> | null = null;

  constructor(private readonly options: ClusterCoordinatorOptions) {
    super();
    this.paths = new ZkPaths(options.root);
    // Deadlines and the fencing timer: a stepped wall clock must not stretch or cut them.
    this.clock = options.clock ?? monotonicClock;
    this.logger = options.logger.child({ component: 'coordinator', nodeId: options.self.nodeId });
  }

  start(): Promise<void> {
    this.startPromise ??= this.doStart();
    return this.startPromise;
  }

  stop(): Promise<void> {
    this.stopPromise ??= this.doStop();
    return this.stopPromise;
  }

  members(): NodeDescriptor[] {
    return [...this.membersSeen];
  }

  leader(): LeaderView | null {
    return this.view;
  }

  /**
   * True while this node is elected and its own fencing deadline has not
   * passed. The deadline is read from the clock here as well, so a node whose
   * timers are late (it was paused) stops leading at the deadline itself,
   * before the overdue timer announces the step-down.
   */
  isLeader(): boolean {
    return this.leading !== null && (this.run?.isFresh() ?? false);
  }

  membershipView(): MembershipView {
    return this.membership.current;
  }

  isCurrent(): boolean {
    return this.run !== null && this.membership.readIn(this.run) && this.run.isFresh();
  }

  /** Current leadership of this node; `epoch` is the leading epoch, or 0 when not leading. */
  leadership(): { leading: boolean; epoch: number } {
    return { leading: this.leading !== null, epoch: this.leading?.epoch ?? 0 };
  }

  zookeeper(): ZooKeeperView {
    return this.run?.describe() ?? { connected: false, sessionId: '', sessionAgeMs: 0 };
  }

  private get retryDelayMs(): number {
    return this.options.retryDelayMs ?? Math.min(1000, Math.floor(this.options.sessionTimeoutMs / 4));
  }

  private async doStart(): Promise<void> {
    const timeoutMs = this.options.startTimeoutMs ?? Math.max(15_000, 2 * this.options.sessionTimeoutMs);
    const deadline = this.clock.now() + timeoutMs;
    for (let attempt = 1; ; attempt += 1) {
      if (this.stopped) throw new Unavailable('The cluster coordinator was stopped before it started.');
      const left = deadline - this.clock.now();
      try {
        await this.openRun(Math.max(1, left));
        return;
      } catch (err) {
        if (err instanceof Conflict || this.stopped) throw err;
        if (this.clock.now() >= deadline) {
          throw new Unavailable(
            `Could not join the cluster through ZooKeeper at ${this.options.zkHosts} within ${timeoutMs} ms: ` +
              `${err instanceof Error ? err.message : String(err)}`,
          );
        }
        this.logger.warn({ err, attempt }, 'joining the cluster failed; retrying');
        await this.sleep(
          backoffDelay(attempt - 1, { initialMs: this.retryDelayMs, maxMs: MAX_RENEW_DELAY_MS }),
        );
      }
    }
  }

  private async doStop(): Promise<void> {
    this.stopped = true;
    if (this.renewTimer !== null) this.clock.clearTimeout(this.renewTimer);
    this.renewTimer = null;
    const run = this.run;
    this.run = null;
    this.setLeading(false, this.leading?.epoch ?? 0, 'coordinator stopping');
    this.membership.clear();
    if (run) await run.shutdown(true);
    await this.startPromise?.catch(() => undefined);
    this.logger.info('left the cluster');
  }

  /** Builds a session run and opens it; on failure the run is closed and the error rethrown. */
  private async openRun(connectTimeoutMs: number): Promise<void> {
    const run: SessionRun = new SessionRun({
      hosts: this.options.zkHosts,
      paths: this.paths,
      self: this.options.self,
      clock: this.clock,
      logger: this.logger,
      clientFactory: this.options.clientFactory ?? createClient,
      sessionTimeoutMs: this.options.sessionTimeoutMs,
      connectTimeoutMs,
      retryDelayMs: this.retryDelayMs,
      waitForLeftoverMs: this.options.waitForLeftoverMs ?? 2 * this.options.sessionTimeoutMs + 1000,
      formerSessionIds: this.formerSessionIds,
      probeIntervalMs: this.options.probeIntervalMs,
      staleAfterMs: this.options.staleAfterMs,
      deadAfterMs: this.options.deadAfterMs,
      onMembers: (members, view) => {
        if (run !== this.run) return;
        this.setMembers(members);
        this.membership.set(view, run);
      },
      onView: (view) => {
        if (run === this.run) this.setView(view);
      },
      onLeading: (leading, epoch, reason) => {
        if (run === this.run) this.setLeading(leading, epoch, reason);
      },
      onLost: (reason) => {
        if (run === this.run && run !== this.opening) this.onRunLost(run, reason);
      },
    });
    this.run = run;
    this.opening = run;
    try {
      await run.open();
      if (!run.isActive()) throw new Unavailable('The ZooKeeper session was lost while joining the cluster.');
    } catch (err) {
      if (this.run === run) this.run = null;
      this.rememberSession(run);
      await run.shutdown(false);
      // The run may have been elected before it failed; its step-down came after it stopped being
      // the current run, so it was not applied: leadership must not outlive the session it came from.
      this.setLeading(false, this.leading?.epoch ?? 0, 'joining the cluster failed');
      this.membership.clear();
      if (this.view?.self) this.setView(null);
      throw err;
    } finally {
      this.opening = null;
    }
    if (this.stopped) throw new Unavailable('The cluster coordinator was stopped while joining.');
    this.renewAttempts = 0;
    this.logger.info({ sessionId: run.sessionId(), candidateEpoch: run.epoch() }, 'joined the cluster');
  }

  private onRunLost(run: SessionRun, reason: string): void {
    this.logger.warn({ reason, sessionId: run.sessionId() }, 'zookeeper session lost; starting a new one');
    this.run = null;
    this.rememberSession(run);
    this.setLeading(false, this.leading?.epoch ?? 0, reason);
    this.membership.clear();
    if (this.view?.self) this.setView(null);
    void run.shutdown(false);
    this.scheduleRenew();
  }

  private scheduleRenew(): void {
    if (this.stopped || this.renewTimer !== null) return;
    const delay = backoffDelay(this.renewAttempts, {
      initialMs: this.retryDelayMs,
      maxMs: MAX_RENEW_DELAY_MS,
    });
    this.renewAttempts += 1;
    this.renewTimer = this.clock.setTimeout(() => {
      this.renewTimer = null;
      if (this.stopped || this.run !== null) return;
      this.openRun(this.options.sessionTimeoutMs * 2).then(
        () => undefined,
        (err: unknown) => {
          if (this.stopped) return;
          const level = err instanceof Conflict ? 'error' : 'warn';
          this.logger[level]({ err }, 'rejoining the cluster failed; retrying');
          this.scheduleRenew();
        },
      );
    }, delay);
  }

  private rememberSession(run: SessionRun): void {
    const id = run.sessionId();
    if (!/^0+$/.test(id)) this.formerSessionIds.add(id);
  }

  private setMembers(members: NodeDescriptor[]): void {
    const changed = JSON.stringify(members) !== JSON.stringify(this.membersSeen);
    this.membersSeen = members;
    if (changed) {
      this.logger.info({ members: members.map((m) => m.nodeId) }, 'cluster membership changed');
      this.emit('members', this.members());
    }
    this.setView(this.rawView);
  }

  private setView(raw: { nodeId: string; epoch: number } | null): void {
    this.rawView = raw;
    let next: LeaderView | null = null;
    if (raw) {
      const node = this.membersSeen.find((m) => m.nodeId === raw.nodeId);
      const self = raw.nodeId === this.options.self.nodeId && this.run?.epoch() === raw.epoch;
      next = node ? { ...raw, self, node } : { ...raw, self };
    }
    if (JSON.stringify(next) === JSON.stringify(this.view)) return;
    const leaderChanged = next?.nodeId !== this.view?.nodeId || next?.epoch !== this.view?.epoch;
    this.view = next;
    if (leaderChanged)
      this.logger.info({ leader: next?.nodeId ?? null, epoch: next?.epoch ?? null }, 'leader view');
    this.emit('leader', next);
  }

  private setLeading(leading: boolean, epoch: number, reason: string): void {
    if (leading === (this.leading !== null)) return;
    this.leading = leading ? { epoch } : null;
    if (leading) this.logger.info({ epoch, reason }, 'leading the cluster');
    else this.logger.warn({ epoch, reason }, 'stepped down as leader');
    this.emit('leadership', { leading, epoch, reason });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.clock.setTimeout(resolve, ms));
  }
}
