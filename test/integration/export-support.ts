import { randomBytes } from 'node:crypto';
import { decodeRecord, messageRecord } from '../../src/export';
import type { ExportFormat } from '../../src/config/export';
import type { ExportRecord } from '../../src/export';
import type { MessageKind } from '../../src/store/types';
import type { RedisClient } from '../../src/redis/connect';

/**
 * `count` message records spread round-robin over `conversations` rooms (or
 * direct conversations), each conversation with its own growing seq.
 */
export function makeMessageRecords(
  count: number,
  conversations: number,
  kind: MessageKind = 'room',
): ExportRecord[] {
  const run = randomBytes(3).toString('hex');
  const seqs = new Map<string, number>();
  const records: ExportRecord[] = [];
  for (let i = 0; i < count; i++) {
    const c = i % conversations;
    const conversation = kind === 'direct' ? `dm:u${c}|v${c}` : `room:r${c}`;
    const seq = (seqs.get(conversation) ?? 0) + 1;
    seqs.set(conversation, seq);
    records.push(
      messageRecord(
        {
          id: `${run}-${i}`,
          conversation,
          seq,
          kind,
          from: `u${c}`,
          to: kind === 'direct' ? `v${c}` : `r${c}`,
          text: `message ${i}`,
          ts: 1_700_000_000_000 + i,
        },
        'node-test',
      ),
    );
  }
  return records;
}

function conversationOf(record: ExportRecord): string {
  return record.body?.$case === 'message' ? record.body.value.conversation : `session:${record.id}`;
}

/** Every sent record arrived exactly once, and each conversation's records arrived in the order sent. */
export function expectDeliveredOnceInOrder(
  sent: readonly ExportRecord[],
  received: readonly ExportRecord[],
): void {
  const counts = new Map<string, number>();
  for (const r of received) counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
  const duplicates = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
  const missing = sent.filter((r) => !counts.has(r.id)).map((r) => r.id);
  expect({ duplicates, missing: missing.slice(0, 10), missingCount: missing.length }).toEqual({
    duplicates: [],
    missing: [],
    missingCount: 0,
  });
  expect(received).toHaveLength(sent.length);
  const byConversation = (records: readonly ExportRecord[]): Map<string, string[]> => {
    const map = new Map<string, string[]>();
    for (const r of records) {
      const key = conversationOf(r);
      map.set(key, [...(map.get(key) ?? []), r.id]);
    }
    return map;
  };
  expect(byConversation(received)).toEqual(byConversation(sent));
  // Records decode to what was sent, not just the same ids.
  const sentById = new Map(sent.map((r) => [r.id, r]));
  for (const r of received) expect(r).toEqual(sentById.get(r.id));
}

export interface StreamEntry {
  record: ExportRecord;
  kind: string;
}

/**
 * Reads a stream the way docs/export.md shows (XREADGROUP + XACK) until
 * `expected` entries arrived and a further read finds nothing (so extra
 * copies would be seen too), or `timeoutMs` passed.
 */
export async function readStream(
  redis: RedisClient,
  stream: string,
  format: ExportFormat,
  expected: number,
  timeoutMs = 20_000,
): Promise<StreamEntry[]> {
  const group = `analytics-${randomBytes(3).toString('hex')}`;
  await redis.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
  const entries: StreamEntry[] = [];
  const deadline = Date.now() + timeoutMs;
  let lastReadEmpty = false;
  while ((entries.length < expected || !lastReadEmpty) && Date.now() < deadline) {
    const reply = (await redis.xreadgroupBuffer(
      'GROUP', group, 'worker-1', 'COUNT', 1000, 'BLOCK', 100, 'STREAMS', stream, '>',
    )) as [Buffer, [Buffer, Buffer[]][]][] | null; // prettier-ignore
    lastReadEmpty = !reply || reply.every(([, messages]) => messages.length === 0);
    for (const [, messages] of reply ?? []) {
      const ackIds: Buffer[] = [];
      for (const [id, fields] of messages) {
        const field = (name: string): Buffer | undefined => {
          const at = fields.findIndex((f, i) => i % 2 === 0 && f.toString() === name);
          return at >= 0 ? fields[at + 1] : undefined;
        };
        const data = field('data');
        if (!data) throw new Error(`stream entry ${id.toString()} has no data field`);
        entries.push({ record: decodeRecord(data, format), kind: field('kind')?.toString() ?? '' });
        ackIds.push(id);
      }
      if (ackIds.length > 0) await redis.xack(stream, group, ...ackIds);
    }
  }
  return entries;
}
