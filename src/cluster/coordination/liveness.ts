import type { Logger } from '../../core/logger';
import type { Clock } from './types';

export interface SessionLivenessOptions {
  clock: Clock;
  logger: Logger;
  /** Negotiated session timeout. */
  sessionTimeoutMs: number;
  /** How often to ask ZooKeeper for proof of life; default sessionTimeout / 6. */
  probeIntervalMs?: number;
  /** Answer age after which the session counts as stale (leader steps down); default 2/3 of the timeout. */
  staleAfterMs?: number;
  /**
   * Answer age after which the connection is declared unresponsive, and again
   * every such period while it stays so; default 4/3 of the timeout.
   */
  deadAfterMs?: number;
  /** Resolves true when ZooKeeper answered and this node's candidate znode exists, false when it is gone. */
  probe: () => Promise<boolean>;
  onFresh: () => void;
  onStale: (reason: string) => void;
  /**
   * No answer for `deadAfterMs`: the client library may be stuck (a silent
   * network drop, or a handshake the server never answered) and never notices.
   */
  onUnresponsive: (reason: string) => void;
  /** The probe found this session's candidate znode deleted. */
  onCandidateGone: () => void;
}

/**
 * Fencing by this node's own clock. The ZooKeeper server cannot expire a
 * session sooner than one session timeout after it last heard from the client,
 * and it heard from us no earlier than the moment we sent a request that got an
 * answer. So while `now - lastAnswerSentAt < staleAfter` (2/3 of the timeout)
 * our ephemeral znodes certainly still exist and acting as leader is safe; the
 * remaining third covers clock drift and the time the duties need to stop.
 * The deadline is armed from the last answer at all times, so a 'disconnected'
 * state (or a silent drop that the client never reports) leads to a step-down
 * no later than `staleAfter` after the last proof of life.
 *
 * Once stale, only a successful probe (answer + candidate znode still present)
 * makes the session fresh again.
 */
export class SessionLiveness {
  private lastAnswerSentAt = 0;
  private fresh = false;
  private running = false;
  /** Send time of the probe still waiting for its answer, if any. */
  private probeInFlightSince: number | null = null;
  private lastNudgeAt = 0;
  private probeTimer: unknown = null;
  private deadlineTimer: unknown = null;
  private readonly probeIntervalMs: number;
  readonly staleAfterMs: number;
  readonly deadAfterMs: number;

  constructor(private readonly options: SessionLivenessOptions) {
    const timeout = options.sessionTimeoutMs;
    this.probeIntervalMs = options.probeIntervalMs ?? Math.max(50, Math.floor(timeout / 6));
    this.staleAfterMs = options.staleAfterMs ?? Math.floor((timeout * 2) / 3);
    this.deadAfterMs = options.deadAfterMs ?? Math.floor((timeout * 4) / 3);
  }

  /** Starts probing; `confirmedAt` is the send time of a request the server has answered. */
  start(confirmedAt: number): void {
    if (this.running) return;
    this.running = true;
    this.lastAnswerSentAt = Math.max(this.lastAnswerSentAt, confirmedAt);
    this.fresh = this.age() < this.staleAfterMs;
    this.armDeadline();
    this.scheduleProbe(this.probeIntervalMs);
  }

  stop(): void {
    this.running = false;
    this.clear();
  }

  /**
   * Checked against the clock, not only the flag the deadline timer clears: a
   * process that stalled (stopped, swapped, a long GC or synchronous write)
   * may run I/O callbacks before its overdue timers, and must not act as
   * leader in that gap.
   */
  isFresh(): boolean {
    return this.running && this.fresh && this.age() < this.staleAfterMs;
  }

  /** Any answered request proves the session was alive when it was sent. */
  recordAnswer(sentAt: number): void {
    if (sentAt > this.lastAnswerSentAt) this.lastAnswerSentAt = sentAt;
    if (this.running) this.armDeadline();
  }

  /** The client lost its connection: the deadline is already running; probe as soon as it is back. */
  onDisconnected(): void {
    if (!this.running) return;
    this.options.logger.warn(
      { answerAgeMs: this.age(), staleAfterMs: this.staleAfterMs },
      'zookeeper connection lost; leadership holds only until the fencing deadline',
    );
    this.armDeadline();
  }

  /** The client reconnected: confirm right away instead of waiting for the next tick. */
  onReconnected(): void {
    if (!this.running) return;
    // Requests of the old connection were failed by the library; do not wait for them.
    this.probeInFlightSince = null;
    this.scheduleProbe(0);
  }

  private age(): number {
    return this.options.clock.now() - this.lastAnswerSentAt;
  }

  private scheduleProbe(delayMs: number): void {
    const { clock } = this.options;
    if (this.probeTimer !== null) clock.clearTimeout(this.probeTimer);
    this.probeTimer = clock.setTimeout(() => {
      this.probeTimer = null;
      this.runProbe();
    }, delayMs);
  }

  private runProbe(): void {
    if (!this.running) return;
    this.scheduleProbe(this.probeIntervalMs);
    const { clock } = this.options;
    // A probe still waiting is given up to the stale limit before another one is sent:
    // the deadline decides about leadership, not a pile of probes.
    if (this.probeInFlightSince !== null && clock.now() - this.probeInFlightSince < this.staleAfterMs) return;
    const sentAt = clock.now();
    this.probeInFlightSince = sentAt;
    this.options
      .probe()
      .then((present) => {
        if (!this.running) return;
        if (!present) {
          this.setStale('the candidate znode of this session is gone');
          this.stop();
          this.options.onCandidateGone();
          return;
        }
        this.recordAnswer(sentAt);
        if (!this.fresh && this.age() < this.staleAfterMs) {
          this.fresh = true;
          this.options.onFresh();
          this.armDeadline();
        }
      })
      .catch((err: unknown) => {
        this.options.logger.debug({ err }, 'zookeeper liveness probe failed');
      })
      .finally(() => {
        if (this.probeInFlightSince === sentAt) this.probeInFlightSince = null;
      });
  }

  private armDeadline(): void {
    const { clock } = this.options;
    if (this.deadlineTimer !== null) clock.clearTimeout(this.deadlineTimer);
    const left = this.fresh
      ? this.staleAfterMs - this.age()
      : Math.max(this.lastAnswerSentAt, this.lastNudgeAt) + this.deadAfterMs - clock.now();
    this.deadlineTimer = clock.setTimeout(
      () => {
        this.deadlineTimer = null;
        this.checkDeadline();
      },
      left > 0 ? left : this.probeIntervalMs,
    );
  }

  private checkDeadline(): void {
    if (!this.running) return;
    const now = this.options.clock.now();
    const age = this.age();
    if (this.fresh && age >= this.staleAfterMs) {
      this.setStale(`no answer from ZooKeeper for ${age} ms (limit ${this.staleAfterMs} ms)`);
    }
    if (!this.fresh && age >= this.deadAfterMs && now - this.lastNudgeAt >= this.deadAfterMs) {
      this.lastNudgeAt = now;
      this.options.onUnresponsive(`no answer from ZooKeeper for ${age} ms`);
    }
    this.armDeadline();
  }

  private setStale(reason: string): void {
    if (!this.fresh) return;
    this.fresh = false;
    this.options.onStale(reason);
  }

  private clear(): void {
    const { clock } = this.options;
    if (this.probeTimer !== null) clock.clearTimeout(this.probeTimer);
    if (this.deadlineTimer !== null) clock.clearTimeout(this.deadlineTimer);
    this.probeTimer = null;
    this.deadlineTimer = null;
  }
}
