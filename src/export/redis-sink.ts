import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import type { Logger } from '../core/logger';
import { closeRedis } from '../redis/connect';
import type { RedisClient } from '../redis/connect';
import { encodeRecord, recordTopic } from './records';
import type { ExportFormat } from '../config/export';
import type { ExportRecord } from './records';
import { PartialBatchError } from './sink';
import type { RecordSink } from './sink';

/**
 * Opens a Redis client for `url` (undefined: the opener's default, the chat's
 * own Redis) with the sink's `options`, logging problems to `logger`.
 */
export type RedisOpener = (url: string | undefined, options: RedisOptions, logger: Logger) => RedisClient;

const plainRedis: RedisOpener = (url, options, logger) => {
  const redis = new Redis(url ?? 'redis://127.0.0.1:6379', options);
  let lastLogAt = 0;
  redis.on('error', (err: Error) => {
    // Each failed reconnect emits one; the publisher reports the failing batches.
    if (Date.now() - lastLogAt < 5000) return;
    lastLogAt = Date.now();
    logger.warn({ err }, 'export Redis connection error');
  });
  return redis;
};

export interface RedisStreamSinkOptions {
  /** ioredis URL of a single Redis; unset = the opener's default. The sink opens a connection of its own. */
  url?: string | undefined;
  /**
   * Opens that connection. The node passes its openRedis (src/redis/connect.ts) so that the
   * export authenticates and verifies TLS like the chat's own connection; the default is plain.
   */
  open?: RedisOpener;
  /** Stream key, e.g. `chat:export`. */
  stream: string;
  /** Approximate cap on the stream's length (`MAXLEN ~`); 0 keeps every entry. */
  maxLen: number;
  format: ExportFormat;
  logger: Logger;
  /** A command unanswered for this long fails (the batch is retried). Default 5 s. */
  commandTimeoutMs?: number;
}

/**
 * Appends records to a Redis stream, one entry per record
 * (`XADD <stream> MAXLEN ~ <n> * data <bytes> kind <topic>`), one pipeline
 * per batch. It has its own connection, so export batches never queue in
 * front of the chat's own Redis commands, and no offline queue: while Redis
 * is unreachable a batch fails at once and the publisher keeps the records.
 */
export class RedisStreamSink implements RecordSink {
  readonly name = 'redis';
  private readonly redis: RedisClient;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: RedisStreamSinkOptions) {
    const logger = options.logger.child({ component: 'export', sink: this.name });
    const open = options.open ?? plainRedis;
    this.redis = open(
      options.url,
      {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        commandTimeout: options.commandTimeoutMs ?? 5000,
        connectionName: 'chat-export',
        // Keep reconnecting for as long as the node runs; the publisher holds the records meanwhile.
        retryStrategy: (times) => Math.min(100 * times, 2000),
      },
      logger,
    );
  }

  async publishBatch(records: readonly ExportRecord[]): Promise<void> {
    const { stream, maxLen, format } = this.options;
    const trim: (string | number)[] = maxLen > 0 ? ['MAXLEN', '~', maxLen] : [];
    const pipeline = this.redis.pipeline();
    for (const record of records) {
      pipeline.xadd(stream, ...trim, '*', 'data', encodeRecord(record, format), 'kind', recordTopic(record));
    }
    const results = await pipeline.exec();
    if (!results) throw new Error('the export pipeline was discarded');
    const failedAt = results.findIndex(([err]) => err !== null);
    if (failedAt >= 0) {
      const cause = results[failedAt]?.[0];
      throw new PartialBatchError(
        failedAt,
        `XADD to ${stream} failed at record ${failedAt + 1} of ${records.length}: ${cause?.message ?? 'unknown error'}`,
        { cause },
      );
    }
  }

  close(): Promise<void> {
    this.closing ??= closeRedis(this.redis);
    return this.closing;
  }
}
