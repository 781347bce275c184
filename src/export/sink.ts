import type { ExportRecord } from './records';

/**
 * Where export records go (a Redis stream, a RabbitMQ exchange, ...). The
 * ExportPublisher calls publishBatch one batch at a time, in order, and
 * retries a failed batch before any later one.
 */
export interface RecordSink {
  /** Short name for logs and metrics, e.g. 'redis'. */
  readonly name: string;
  /**
   * Resolves once every record of the batch is accepted by the broker, in
   * order. Throws if any is not; a PartialBatchError says how many leading
   * records did make it, so only the rest is sent again.
   */
  publishBatch(records: readonly ExportRecord[]): Promise<void>;
  /** Releases the connection. Idempotent. */
  close(): Promise<void>;
}

/** The first `published` records of a batch were accepted, the rest were not. */
export class PartialBatchError extends Error {
  constructor(
    readonly published: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PartialBatchError';
  }
}
