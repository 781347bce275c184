import { connect } from 'amqplib';
import type { ChannelModel, ConfirmChannel } from 'amqplib';
import type { Logger } from '../core/logger';
import { contentType, encodeRecord, recordTopic } from './records';
import type { ExportFormat } from '../config/export';
import type { ExportRecord } from './records';
import { PartialBatchError } from './sink';
import type { RecordSink } from './sink';

export interface RabbitMqSinkOptions {
  /** amqp:// or amqps:// URL (never logged: it may hold a password). */
  url: string;
  /** Durable topic exchange the records go to, e.g. `chat.export`. */
  exchange: string;
  format: ExportFormat;
  logger: Logger;
  /** Routing key prefix; records go to `<prefix>.<topic>`, e.g. `chat.message.room`. Default 'chat'. */
  routingPrefix?: string;
  /** TCP connect timeout. Default 5 s. */
  connectTimeoutMs?: number;
  /** AMQP heartbeat, so a silently dead connection is noticed. Default 10 s. */
  heartbeatS?: number;
}

/**
 * Publishes records to a durable topic exchange as persistent messages, on a
 * confirm channel: a batch counts as sent once the broker confirmed every
 * message. Routing key `chat.<topic>` (chat.message.direct,
 * chat.session.online, ...). When the connection or channel drops, the next
 * batch opens a new one; the publisher's backoff paces those attempts.
 */
export class RabbitMqSink implements RecordSink {
  readonly name = 'rabbitmq';
  private connection: ChannelModel | undefined;
  private channel: ConfirmChannel | undefined;
  private connecting: Promise<ConfirmChannel> | undefined;
  private closed = false;
  private readonly logger: Logger;

  constructor(private readonly options: RabbitMqSinkOptions) {
    this.logger = options.logger.child({ component: 'export', sink: this.name, exchange: options.exchange });
  }

  async publishBatch(records: readonly ExportRecord[]): Promise<void> {
    const channel = await this.ensureChannel();
    const { exchange, format } = this.options;
    const prefix = this.options.routingPrefix ?? 'chat';
    const confirms: Promise<void>[] = [];
    for (const record of records) {
      const topic = recordTopic(record);
      let flowing = true;
      confirms.push(
        new Promise<void>((resolve, reject) => {
          flowing = channel.publish(
            exchange,
            `${prefix}.${topic}`,
            encodeRecord(record, format),
            {
              persistent: true,
              contentType: contentType(format),
              type: 'chat.v1.ExportRecord',
              messageId: record.id,
              timestamp: Math.floor(record.ts / 1000),
              headers: { kind: topic, nodeId: record.nodeId },
            },
            (err: unknown) => (err ? reject(toError(err)) : resolve()),
          );
        }),
      );
      // The socket's buffer is full: let it drain before writing more.
      if (!flowing) await drainOrClose(channel);
    }
    const outcomes = await Promise.allSettled(confirms);
    const firstFailure = outcomes.findIndex((o) => o.status === 'rejected');
    if (firstFailure >= 0) {
      const outcome = outcomes[firstFailure];
      const cause = outcome?.status === 'rejected' ? (outcome.reason as unknown) : undefined;
      throw new PartialBatchError(
        firstFailure,
        `RabbitMQ did not confirm record ${firstFailure + 1} of ${records.length}: ${toError(cause).message}`,
        { cause },
      );
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const connection = this.connection;
    this.connection = undefined;
    this.channel = undefined;
    if (!connection) return;
    try {
      await connection.close();
    } catch {
      // Already closed or broken: nothing left to release.
    }
  }

  private ensureChannel(): Promise<ConfirmChannel> {
    if (this.closed) return Promise.reject(new Error('the RabbitMQ export sink is closed'));
    if (this.channel) return Promise.resolve(this.channel);
    this.connecting ??= this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async open(): Promise<ConfirmChannel> {
    const connection = await connect(withHeartbeat(this.options.url, this.options.heartbeatS ?? 10), {
      timeout: this.options.connectTimeoutMs ?? 5000,
      clientProperties: { connection_name: 'chat-export' },
    });
    connection.on('error', (err: Error) => this.logger.warn({ err }, 'RabbitMQ connection error'));
    connection.on('close', () => {
      if (this.connection !== connection) return;
      this.connection = undefined;
      this.channel = undefined;
      if (!this.closed) this.logger.warn('RabbitMQ connection closed; the next batch reconnects');
    });
    try {
      const channel = await connection.createConfirmChannel();
      channel.on('error', (err: Error) => this.logger.warn({ err }, 'RabbitMQ channel error'));
      channel.on('close', () => {
        if (this.channel === channel) this.channel = undefined;
      });
      await channel.assertExchange(this.options.exchange, 'topic', { durable: true });
      if (this.closed) throw new Error('the RabbitMQ export sink is closed');
      this.connection = connection;
      this.channel = channel;
      this.logger.info('RabbitMQ export channel open');
      return channel;
    } catch (err) {
      await connection.close().catch(() => undefined);
      throw err;
    }
  }
}

/** Adds `heartbeat=<s>` to the URL unless it sets one (amqplib takes it from the URL). */
export function withHeartbeat(url: string, seconds: number): string {
  const parsed = new URL(url);
  if (parsed.searchParams.has('heartbeat')) return url;
  parsed.searchParams.set('heartbeat', String(seconds));
  return parsed.toString();
}

/** Resolves on 'drain', or on 'close' (the confirms of the batch then fail). */
function drainOrClose(channel: ConfirmChannel): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      channel.off('drain', done);
      channel.off('close', done);
      resolve();
    };
    channel.once('drain', done);
    channel.once('close', done);
  });
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
