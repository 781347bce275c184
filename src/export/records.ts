import { randomUUID } from 'node:crypto';
import { ExportKind, ExportRecord } from '../../gen/chat/v1/export';
import type { ExportFormat } from '../config/export';
import { messageToWire } from '../protocol/mappers';
import type { StoredMessage } from '../store/types';

export { ExportKind, ExportRecord };

/** A stored message as an export record; its id is the message id, so consumers can drop copies. */
export function messageRecord(
  message: StoredMessage,
  nodeId: string,
  now: number = Date.now(),
): ExportRecord {
  return {
    id: message.id,
    kind: ExportKind.EXPORT_KIND_MESSAGE,
    body: { $case: 'message', value: messageToWire(message) },
    ts: now,
    nodeId,
  };
}

export interface SessionEventInput {
  username: string;
  alliance: string;
  /** When the session started. */
  loginAt: number;
  /** When it happened (login or logout). */
  at: number;
}

/** A login or logout as an export record. */
export function sessionRecord(online: boolean, event: SessionEventInput, nodeId: string): ExportRecord {
  return {
    id: randomUUID(),
    kind: online ? ExportKind.EXPORT_KIND_USER_ONLINE : ExportKind.EXPORT_KIND_USER_OFFLINE,
    body: {
      $case: 'session',
      value: { username: event.username, alliance: event.alliance, loginAt: event.loginAt },
    },
    ts: event.at,
    nodeId,
  };
}

const MESSAGE_TOPICS = [
  'message.unspecified',
  'message.direct',
  'message.room',
  'message.world',
  'message.alliance',
];

/**
 * What a record is about, e.g. `message.direct`, `message.room`,
 * `session.online`: the `kind` field of a stream entry, and (prefixed with
 * `chat.`) the routing key on RabbitMQ.
 */
export function recordTopic(record: ExportRecord): string {
  switch (record.kind) {
    case ExportKind.EXPORT_KIND_MESSAGE: {
      const kind = record.body?.$case === 'message' ? record.body.value.kind : 0;
      return MESSAGE_TOPICS[kind] ?? 'message.unspecified';
    }
    case ExportKind.EXPORT_KIND_USER_ONLINE:
      return 'session.online';
    case ExportKind.EXPORT_KIND_USER_OFFLINE:
      return 'session.offline';
    default:
      return 'unspecified';
  }
}

export function encodeRecord(record: ExportRecord, format: ExportFormat): Buffer {
  if (format === 'json') return Buffer.from(JSON.stringify(ExportRecord.toJSON(record)), 'utf8');
  const bytes = ExportRecord.encode(record).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** For consumers and tests: the inverse of encodeRecord. */
export function decodeRecord(data: Uint8Array, format: ExportFormat): ExportRecord {
  if (format === 'json') return ExportRecord.fromJSON(JSON.parse(Buffer.from(data).toString('utf8')));
  return ExportRecord.decode(data);
}

export function contentType(format: ExportFormat): string {
  return format === 'json' ? 'application/json' : 'application/x-protobuf';
}
