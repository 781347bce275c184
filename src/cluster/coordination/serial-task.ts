import type { Clock } from './types';

/**
 * Runs an async refresh so that at most one is in flight; a trigger during a
 * run causes exactly one more run afterwards (watch notifications coalesce).
 * A failed run is retried after `retryDelayMs` until `isActive()` turns false.
 */
export class SerialTask {
  private running: Promise<void> | null = null;
  private again = false;
  private retryTimer: unknown = null;

  constructor(
    private readonly run: () => Promise<void>,
    private readonly options: {
      clock: Clock;
      retryDelayMs: number;
      isActive: () => boolean;
      onError: (err: unknown) => void;
    },
  ) {}

  /** Requests a run without waiting (watch callbacks); failures are reported through onError and retried. */
  kick(): void {
    this.trigger().catch(() => undefined);
  }

  /** Requests a run; settles when a run that started after this call has finished, rejects if it failed. */
  trigger(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.loop().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  cancel(): void {
    if (this.retryTimer !== null) this.options.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      if (!this.options.isActive()) return;
      try {
        await this.run();
      } catch (err) {
        if (!this.options.isActive()) return;
        this.options.onError(err);
        this.scheduleRetry();
        throw err;
      }
    } while (this.again);
  }

  private scheduleRetry(): void {
    if (this.retryTimer !== null) return;
    this.retryTimer = this.options.clock.setTimeout(() => {
      this.retryTimer = null;
      this.kick();
    }, this.options.retryDelayMs);
  }
}
