/**
 * Export of chat records (messages, logins, logouts) to a Redis stream or a
 * RabbitMQ exchange for analytics. Off unless EXPORT_SINK is set; see docs/export.md.
 */
export { ExportPublisher } from './publisher';
export type { ExportPublisherOptions, ExportStats } from './publisher';
export { PartialBatchError } from './sink';
export type { RecordSink } from './sink';
export { RedisStreamSink } from './redis-sink';
export type { RedisOpener, RedisStreamSinkOptions } from './redis-sink';
export { RabbitMqSink } from './rabbitmq-sink';
export type { RabbitMqSinkOptions } from './rabbitmq-sink';
export { createExportPublisher, createRecordSink } from './create';
export { exportPlugin } from './hooks';
export {
  ExportKind,
  ExportRecord,
  contentType,
  decodeRecord,
  encodeRecord,
  messageRecord,
  recordTopic,
  sessionRecord,
} from './records';
export type { SessionEventInput } from './records';
export { RecordBuffer } from './record-buffer';
