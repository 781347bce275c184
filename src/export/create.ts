import type { Registry } from 'prom-client';
import type { Logger } from '../core/logger';
import type { ExportConfig } from '../config/export';
import { ExportPublisher } from './publisher';
import { RabbitMqSink } from './rabbitmq-sink';
import { RedisStreamSink } from './redis-sink';
import type { RedisOpener } from './redis-sink';
import type { RecordSink } from './sink';

/** The sink the config names. Connections open lazily (Redis: at once, in the background). */
export function createRecordSink(config: ExportConfig, logger: Logger, openRedis?: RedisOpener): RecordSink {
  switch (config.sink) {
    case 'redis':
      return new RedisStreamSink({ ...config.redis, format: config.format, logger, open: openRedis });
    case 'rabbitmq':
      return new RabbitMqSink({ ...config.rabbitmq, format: config.format, logger });
  }
}

/** A publisher in front of the configured sink; close() it at shutdown. */
export function createExportPublisher(
  config: ExportConfig,
  deps: { logger: Logger; registry?: Registry; openRedis?: RedisOpener },
): ExportPublisher {
  return new ExportPublisher({
    sink: createRecordSink(config, deps.logger, deps.openRedis),
    logger: deps.logger,
    registry: deps.registry,
    bufferMax: config.bufferMax,
    batchMax: config.batchMax,
    maxDelayMs: config.flushMs,
  });
}
