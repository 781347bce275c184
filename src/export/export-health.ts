import type { Logger } from '../core/logger';

export interface ExportStats {
  buffered: number;
  published: number;
  dropped: number;
  failedBatches: number;
  /** True while the last batch failed and is waiting to be retried. */
  failing: boolean;
}

/**
 * What went wrong with the export, counted and told: dropped records and
 * failed batches, each kind at most one warning per `warnIntervalMs` (drops
 * held back by the interval are reported when it ends, even if no more
 * come), and one line when a failing sink accepts records again. Loss is
 * never silent.
 */
export class ExportHealth {
  dropped = 0;
  failedBatches = 0;
  private unreportedDrops = 0;
  private lastDropWarnAt = 0;
  private dropWarnTimer: NodeJS.Timeout | undefined;
  private lastFailureWarnAt = 0;
  private failingSince: number | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly warnIntervalMs: number,
    private readonly bufferMax: number,
    /** Whether the publisher has closed (drops after close are told apart). */
    private readonly isClosed: () => boolean,
  ) {}

  get failing(): boolean {
    return this.failingSince !== undefined;
  }

  recordsDropped(n: number): void {
    this.dropped += n;
    this.unreportedDrops += n;
    if (Date.now() - this.lastDropWarnAt >= this.warnIntervalMs) this.reportDrops();
    else this.dropWarnTimer ??= setTimeout(() => this.reportDrops(), this.warnIntervalMs);
  }

  /** Records still buffered when the export stopped. */
  lostAtShutdown(left: number, published: number): void {
    this.dropped += left;
    this.logger.warn(
      { dropped: left, published, totalDropped: this.dropped },
      'export stopped before every record was delivered; the rest is lost',
    );
  }

  batchFailed(err: unknown, detail: { attempt: number; buffered: number; sentOfBatch: number }): void {
    this.failedBatches++;
    const now = Date.now();
    this.failingSince ??= now;
    if (now - this.lastFailureWarnAt < this.warnIntervalMs) return;
    this.lastFailureWarnAt = now;
    this.logger.warn(
      { err, ...detail, failingForMs: now - this.failingSince },
      'export sink failed; keeping the records and retrying',
    );
  }

  batchSent(buffered: number): void {
    if (this.failingSince === undefined) return;
    this.logger.info(
      { downMs: Date.now() - this.failingSince, buffered },
      'export sink is accepting records again',
    );
    this.failingSince = undefined;
    this.lastFailureWarnAt = 0;
  }

  /** Reports drops not told yet and stops the pending report. */
  stop(): void {
    this.reportDrops();
    clearTimeout(this.dropWarnTimer);
  }

  private reportDrops(): void {
    clearTimeout(this.dropWarnTimer);
    this.dropWarnTimer = undefined;
    if (this.unreportedDrops === 0) return;
    this.lastDropWarnAt = Date.now();
    const closed = this.isClosed();
    this.logger.warn(
      { dropped: this.unreportedDrops, totalDropped: this.dropped, bufferMax: this.bufferMax, closed },
      closed
        ? 'export records published after close were dropped'
        : 'export buffer full: dropped the oldest records',
    );
    this.unreportedDrops = 0;
  }
}
