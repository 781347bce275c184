import { Registry } from 'prom-client';
import { backoffDelay } from '../core/backoff';
import type { Logger } from '../core/logger';
import { ExportHealth } from './export-health';
import type { ExportStats } from './export-health';
import { registerExportMetrics } from './export-metrics';
import { RecordBuffer } from './record-buffer';
import type { ExportRecord } from './records';
import { PartialBatchError } from './sink';
import type { RecordSink } from './sink';

export interface ExportPublisherOptions {
  sink: RecordSink;
  logger: Logger;
  /** Where the export metrics go; default a registry of its own. */
  registry?: Registry;
  /** Records kept while the sink is slow or down; past it the oldest are dropped. Default 100,000. */
  bufferMax?: number;
  /** Records per batch. Default 500. */
  batchMax?: number;
  /** Longest a record waits for its batch to fill before it is sent anyway. Default 50 ms. */
  maxDelayMs?: number;
  /** Backoff after a failed batch: from retryMinMs, doubling, up to retryMaxMs (each delay jittered down to half). */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** A batch the sink has not confirmed in this time counts as failed and is sent again. Default 10 s. */
  sendTimeoutMs?: number;
  /** Shortest interval between two warnings about drops or sink failures. Default 5 s. */
  warnIntervalMs?: number;
}

export type { ExportStats } from './export-health';

/**
 * Sits between the chat path and a RecordSink. `publish` only appends to a
 * bounded in-memory buffer (O(1), never blocks, never throws); a background
 * loop sends batches one at a time, in order, retrying a failed batch with
 * backoff before any later record. When the buffer is full the OLDEST
 * records are dropped, counted in `chat_export_dropped_total` and reported in
 * a warning: loss is never silent. Delivery is at least once: a batch whose
 * confirmation was lost is sent again (record ids let consumers drop copies).
 */
export class ExportPublisher {
  private readonly sink: RecordSink;
  private readonly logger: Logger;
  private readonly buffer: RecordBuffer<ExportRecord>;
  private readonly batchMax: number;
  private readonly maxDelayMs: number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private readonly sendTimeoutMs: number;
  private readonly health: ExportHealth;
  private published = 0;
  private running = false;
  private delayTimer: NodeJS.Timeout | undefined;
  private wakeRetry: (() => void) | undefined;
  private abortSend: ((reason: Error) => void) | undefined;
  private idleWaiters: (() => void)[] = [];
  private closed = false;
  private deadline = Infinity;
  private closing: Promise<void> | undefined;

  constructor(options: ExportPublisherOptions) {
    this.sink = options.sink;
    this.logger = options.logger.child({ component: 'export', sink: options.sink.name });
    this.buffer = new RecordBuffer(options.bufferMax ?? 100_000);
    this.batchMax = Math.max(1, options.batchMax ?? 500);
    this.maxDelayMs = Math.max(0, options.maxDelayMs ?? 50);
    this.retryMinMs = Math.max(1, options.retryMinMs ?? 100);
    this.retryMaxMs = Math.max(this.retryMinMs, options.retryMaxMs ?? 5000);
    this.sendTimeoutMs = options.sendTimeoutMs ?? 10_000;
    this.health = new ExportHealth(
      this.logger,
      options.warnIntervalMs ?? 5000,
      this.buffer.capacity,
      () => this.closed,
    );
    registerExportMetrics(options.registry ?? new Registry(), () => this.stats());
  }

  /** Queues a record for export. O(1); never blocks, never throws. */
  publish(record: ExportRecord): void {
    if (this.closed) {
      this.health.recordsDropped(1);
      return;
    }
    if (this.buffer.push(record)) this.health.recordsDropped(1);
    if (this.running) return;
    if (this.buffer.size >= this.batchMax) this.startSoon();
    else this.delayTimer ??= setTimeout(() => this.startSoon(), this.maxDelayMs);
  }

  stats(): ExportStats {
    return {
      buffered: this.buffer.size,
      published: this.published,
      dropped: this.health.dropped,
      failedBatches: this.health.failedBatches,
      failing: this.health.failing,
    };
  }

  /** Resolves true once everything published so far is sent, false after `timeoutMs`. */
  async flush(timeoutMs = 5000): Promise<boolean> {
    if (this.buffer.size === 0 && !this.running) return true;
    if (!this.running) this.startSoon();
    this.wakeRetry?.();
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<boolean>((resolve) =>
      this.idleWaiters.push(() => resolve(this.buffer.size === 0)),
    );
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([idle, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Stops accepting records, sends what is buffered until `timeoutMs` passes,
   * counts whatever is left as dropped, and closes the sink. Idempotent.
   */
  close(timeoutMs = 5000): Promise<void> {
    this.closing ??= this.shutdown(timeoutMs);
    return this.closing;
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    this.closed = true;
    this.deadline = Date.now() + timeoutMs;
    const flushed = await this.flush(timeoutMs);
    // A batch still in flight past the deadline is given up, so nothing keeps running after close.
    this.abortSend?.(new Error('export closed while a batch was in flight'));
    this.wakeRetry?.();
    const left = this.buffer.clear();
    if (!flushed || left > 0) this.health.lostAtShutdown(left, this.published);
    this.health.stop();
    clearTimeout(this.delayTimer);
    try {
      await this.sink.close();
    } catch (err) {
      this.logger.warn({ err }, 'export sink did not close cleanly');
    }
  }

  private startSoon(): void {
    clearTimeout(this.delayTimer);
    this.delayTimer = undefined;
    if (this.running) return;
    this.running = true;
    setImmediate(() => void this.run());
  }

  /** Sends batches until the buffer is empty (or the close deadline passes). */
  private async run(): Promise<void> {
    let attempt = 0;
    try {
      while (this.buffer.size > 0 && Date.now() < this.deadline) {
        const { items, end } = this.buffer.peek(this.batchMax);
        const start = end - items.length;
        try {
          await this.send(items);
          this.buffer.commit(end);
          this.published += items.length;
          attempt = 0;
          this.health.batchSent(this.buffer.size);
        } catch (err) {
          let sent = 0;
          if (err instanceof PartialBatchError && err.published > 0) {
            sent = Math.min(err.published, items.length);
            this.buffer.commit(start + sent);
            this.published += sent;
          }
          attempt++;
          this.health.batchFailed(err, { attempt, buffered: this.buffer.size, sentOfBatch: sent });
          await this.backoff(attempt);
        }
      }
    } finally {
      this.running = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  private async send(items: ExportRecord[]): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const bounded = new Promise<never>((_, reject) => {
      this.abortSend = reject;
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `export sink ${this.sink.name} did not confirm a batch within ${this.sendTimeoutMs} ms`,
            ),
          ),
        this.sendTimeoutMs,
      );
    });
    try {
      await Promise.race([this.sink.publishBatch(items), bounded]);
    } finally {
      clearTimeout(timer);
      this.abortSend = undefined;
    }
  }

  private backoff(attempt: number): Promise<void> {
    const jittered = backoffDelay(attempt - 1, { initialMs: this.retryMinMs, maxMs: this.retryMaxMs });
    const ms = Math.max(0, Math.min(jittered, this.deadline - Date.now()));
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        if (this.wakeRetry === wake) this.wakeRetry = undefined;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      // flush() and close() cut the wait short to try at once.
      this.wakeRetry = wake;
    });
  }
}
