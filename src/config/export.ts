import { EnvReader } from './env-reader';

/** How records are encoded on the wire: binary protobuf (default) or the proto3 JSON mapping. */
export type ExportFormat = 'protobuf' | 'json';

export const EXPORT_FORMATS: readonly ['protobuf', 'json'] = ['protobuf', 'json'];

export type ExportSinkKind = 'redis' | 'rabbitmq';

/** Export of chat records to a queue (docs/export.md). Absent when EXPORT_SINK is unset or 'off'. */
export interface ExportConfig {
  sink: ExportSinkKind;
  format: ExportFormat;
  /** Records kept while the sink is down; past it the oldest are dropped (and counted). */
  bufferMax: number;
  batchMax: number;
  /** Longest a record waits for its batch. */
  flushMs: number;
  /** `url` undefined: the chat's own Redis (single, Cluster or Sentinel, as REDIS_* say). */
  redis: { url: string | undefined; stream: string; maxLen: number };
  rabbitmq: { url: string; exchange: string };
}

/**
 * Reads the EXPORT_* variables into `v` (so their problems are reported with
 * the rest of the node's config).
 */
export function readExportConfig(v: EnvReader): ExportConfig | undefined {
  const sink = v.oneOf(
    'EXPORT_SINK',
    'off',
    'Where chat records are exported: off, redis (a stream) or rabbitmq (a topic exchange). See docs/export.md.',
    ['off', 'redis', 'rabbitmq'],
  );
  const format = v.oneOf<ExportFormat>(
    'EXPORT_FORMAT',
    'protobuf',
    'Encoding of exported records: protobuf (chat.v1.ExportRecord) or json (its proto3 JSON mapping).',
    EXPORT_FORMATS,
  );
  const bufferMax = v.int(
    'EXPORT_BUFFER_MAX',
    100_000,
    'Records kept in memory while the export sink is down; past it the oldest are dropped and counted.',
    1,
    10_000_000,
  );
  const batchMax = v.int('EXPORT_BATCH_MAX', 500, 'Records per export batch.', 1, 10_000);
  const flushMs = v.int(
    'EXPORT_FLUSH_MS',
    50,
    'Longest a record waits for its export batch to fill (ms).',
    0,
    60_000,
  );
  const redisUrl = v.optional(
    'EXPORT_REDIS_URL',
    "A single Redis for EXPORT_SINK=redis; unset = the chat's own Redis (REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS). The exporter opens its own connection.",
  );
  const stream = v.string('EXPORT_STREAM', 'chat:export', 'Redis stream key for exported records.');
  const maxLen = v.int(
    'EXPORT_STREAM_MAXLEN',
    1_000_000,
    'Approximate cap on the export stream (XADD MAXLEN ~); 0 keeps every entry.',
  );
  const amqpDoc = 'RabbitMQ URL (amqp:// or amqps://) for EXPORT_SINK=rabbitmq; required then.';
  const amqpUrl =
    sink === 'rabbitmq'
      ? v.string('EXPORT_AMQP_URL', '', amqpDoc, /^amqps?:\/\/.+/)
      : (v.optional('EXPORT_AMQP_URL', amqpDoc) ?? '');
  const exchange = v.string(
    'EXPORT_EXCHANGE',
    'chat.export',
    'Durable topic exchange for EXPORT_SINK=rabbitmq; routing keys chat.message.<kind>, chat.session.<online|offline>.',
  );
  if (sink === 'off') return undefined;
  return {
    sink,
    format,
    bufferMax,
    batchMax,
    flushMs,
    redis: { url: redisUrl, stream, maxLen },
    rabbitmq: { url: amqpUrl, exchange },
  };
}

/**
 * The export config the environment asks for, undefined when export is off.
 * Throws a ConfigError naming every invalid variable.
 */
export function parseExportEnv(
  env: NodeJS.ProcessEnv | Record<string, string | undefined>,
): ExportConfig | undefined {
  const v = new EnvReader(env);
  const config = readExportConfig(v);
  v.finish();
  return config;
}
