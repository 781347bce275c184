import type { Logger } from '../../core/logger';
import type { LeadershipChange } from './types';

/** Work only the leader does (rooms service, hot-words timer, server list). */
export interface LeaderDuty {
  name: string;
  start(epoch: number): Promise<void> | void;
  stop(): Promise<void> | void;
}

/** Anything that reports leadership changes, e.g. ClusterCoordinator. */
export interface LeadershipSource {
  on(event: 'leadership', listener: (change: LeadershipChange) => void): unknown;
  off(event: 'leadership', listener: (change: LeadershipChange) => void): unknown;
  /** The current state, so that following a source that already leads starts the duties. */
  leadership?(): { leading: boolean; epoch: number };
}

interface DutyState {
  duty: LeaderDuty;
  /** Epoch it was started for; null while stopped. */
  startedEpoch: number | null;
  /** Epoch whose start failed: not retried for that epoch. */
  failedEpoch: number | null;
}

/**
 * Starts registered duties when this node gains leadership and stops them when
 * it loses it. One worker applies the latest wanted state, so transitions are
 * serialised and coalesced: a duty never gets two starts without a stop in
 * between, and a quick lose-regain with a new epoch restarts it with that epoch.
 * A duty whose start threw counts as not started (it gets no stop). Errors are
 * logged with the duty name and never reach the caller (a ZooKeeper callback).
 */
export class LeaderDuties {
  private readonly duties: DutyState[] = [];
  private wanted: number | null = null;
  private worker: Promise<void> | null = null;
  /** Set by every request; the worker runs until no request came in during its last pass. */
  private dirty = false;
  private readonly logger: Logger;

  constructor(logger: Logger) {
    this.logger = logger.child({ component: 'leader-duties' });
  }

  register(duty: LeaderDuty): void {
    if (this.duties.some((d) => d.duty.name === duty.name)) {
      throw new Error(`A leader duty named "${duty.name}" is already registered.`);
    }
    this.duties.push({ duty, startedEpoch: null, failedEpoch: null });
    this.kick();
  }

  /** Follows a leadership source; returns the function that unsubscribes. */
  follow(source: LeadershipSource): () => void {
    const listener = (change: LeadershipChange): void => this.setLeadership(change);
    source.on('leadership', listener);
    const current = source.leadership?.();
    if (current) this.setLeadership(current);
    return () => {
      source.off('leadership', listener);
    };
  }

  setLeadership(change: { leading: boolean; epoch: number }): void {
    this.wanted = change.leading ? change.epoch : null;
    this.kick();
  }

  /** Stops every running duty (shutdown) and waits for it. */
  async stopAll(): Promise<void> {
    this.wanted = null;
    this.kick();
    await this.idle();
  }

  /** Resolves when all queued transitions have been applied. */
  async idle(): Promise<void> {
    while (this.worker) await this.worker;
  }

  /** Names of duties currently started, for diagnostics. */
  running(): string[] {
    return this.duties.filter((d) => d.startedEpoch !== null).map((d) => d.duty.name);
  }

  private kick(): void {
    this.dirty = true;
    if (this.worker) return;
    this.worker = this.drain().finally(() => {
      this.worker = null;
    });
  }

  private async drain(): Promise<void> {
    while (this.dirty) {
      this.dirty = false;
      await this.apply();
    }
  }

  private async apply(): Promise<void> {
    // Each pass starts or stops at least one duty, or ends the loop.
    for (let pass = 0; pass < 10_000; pass += 1) {
      const wanted = this.wanted;
      const toStop = this.duties.filter((d) => d.startedEpoch !== null && d.startedEpoch !== wanted);
      const last = toStop[toStop.length - 1];
      if (last) {
        await this.stopDuty(last); // reverse order of registration
        continue;
      }
      if (wanted === null) return;
      const next = this.duties.find((d) => d.startedEpoch === null && d.failedEpoch !== wanted);
      if (!next) return;
      await this.startDuty(next, wanted);
    }
  }

  private async startDuty(state: DutyState, epoch: number): Promise<void> {
    try {
      await state.duty.start(epoch);
      state.startedEpoch = epoch;
      state.failedEpoch = null;
      this.logger.info({ duty: state.duty.name, epoch }, 'leader duty started');
    } catch (err) {
      state.failedEpoch = epoch;
      this.logger.error({ err, duty: state.duty.name, epoch }, 'leader duty failed to start');
    }
  }

  private async stopDuty(state: DutyState): Promise<void> {
    const epoch = state.startedEpoch;
    state.startedEpoch = null;
    try {
      await state.duty.stop();
      this.logger.info({ duty: state.duty.name, epoch }, 'leader duty stopped');
    } catch (err) {
      this.logger.error({ err, duty: state.duty.name, epoch }, 'leader duty failed to stop');
    }
  }
}
