import pino from 'pino';
import { Registry } from 'prom-client';
import { ConfigError } from '../../src/config/env-reader';
import { parseExportEnv } from '../../src/config/export';
import type { Logger } from '../../src/core/logger';
import {
  ExportKind,
  ExportPublisher,
  PartialBatchError,
  RecordBuffer,
  decodeRecord,
  exportPlugin,
  encodeRecord,
  messageRecord,
  recordTopic,
  sessionRecord,
} from '../../src/export';
import type { ExportRecord, RecordSink } from '../../src/export';
import { withHeartbeat } from '../../src/export/rabbitmq-sink';
import { HookRunner } from '../../src/plugins';
import type { StoredMessage } from '../../src/store/types';
import { useScope, waitFor } from '../support';

interface LogLine {
  level: number;
  msg: string;
  dropped?: number;
}

function capture(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s) as LogLine) });
  return { logger: logger as Logger, lines };
}

const msg = (i: number, conversation = 'room:lobby'): StoredMessage => ({
  id: `m${i}`,
  conversation,
  seq: i + 1,
  kind: 'room',
  from: 'alice',
  to: 'lobby',
  text: `text ${i}`,
  ts: 1_700_000_000_000 + i,
});
const rec = (i: number): ExportRecord => messageRecord(msg(i), 'node1', 1_700_000_000_000);
const ids = (records: readonly ExportRecord[]): string[] => records.map((r) => r.id);

/** A sink that records batches; `down` makes it fail, `failAfter` accepts only a prefix. */
class FakeSink implements RecordSink {
  readonly name = 'fake';
  batches: string[][] = [];
  down = false;
  failAfter: number | undefined;
  hang = false;
  closed = false;
  get received(): string[] {
    return this.batches.flat();
  }
  async publishBatch(records: readonly ExportRecord[]): Promise<void> {
    if (this.hang) return new Promise<void>(() => undefined);
    if (this.down) throw new Error('sink down');
    if (this.failAfter !== undefined) {
      const n = this.failAfter;
      this.failAfter = undefined;
      this.batches.push(ids(records.slice(0, n)));
      throw new PartialBatchError(n, `only ${n}`);
    }
    this.batches.push(ids(records));
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

async function metric(registry: Registry, name: string): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (!m) throw new Error(`no metric ${name}`);
  return (await m.get()).values[0]?.value ?? NaN;
}

describe('ExportPublisher', () => {
  const scope = useScope();
  const make = (options: Partial<ConstructorParameters<typeof ExportPublisher>[0]> = {}) => {
    const sink = new FakeSink();
    const registry = new Registry();
    const { logger, lines } = capture();
    const publisher = new ExportPublisher({
      sink,
      logger,
      registry,
      maxDelayMs: 5,
      retryMinMs: 5,
      retryMaxMs: 20,
      warnIntervalMs: 50,
      ...options,
    });
    scope.defer(() => publisher.close(1000), 'close publisher');
    return { sink, registry, publisher, lines };
  };

  it('sends every record once, in order, in batches of at most batchMax', async () => {
    const { sink, publisher, registry } = make({ batchMax: 7 });
    for (let i = 0; i < 100; i++) publisher.publish(rec(i));
    await expect(publisher.flush()).resolves.toBe(true);
    expect(sink.received).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`));
    expect(Math.max(...sink.batches.map((b) => b.length))).toBeLessThanOrEqual(7);
    expect(publisher.stats()).toMatchObject({ buffered: 0, published: 100, dropped: 0 });
    expect(await metric(registry, 'chat_export_published_total')).toBe(100);
    expect(await metric(registry, 'chat_export_buffer_records')).toBe(0);
  });

  it('sends a lone record after maxDelayMs without waiting for a full batch', async () => {
    const { sink, publisher } = make({ batchMax: 500, maxDelayMs: 10 });
    publisher.publish(rec(1));
    await waitFor(() => sink.received.length === 1, { what: 'the lone record' });
  });

  it('keeps records while the sink is down and retries the failed batch before later ones', async () => {
    const { sink, publisher, lines } = make({ batchMax: 10 });
    sink.down = true;
    for (let i = 0; i < 25; i++) publisher.publish(rec(i));
    await waitFor(() => publisher.stats().failedBatches >= 3, { what: 'failed attempts' });
    expect(publisher.stats()).toMatchObject({ buffered: 25, failing: true, dropped: 0 });
    for (let i = 25; i < 30; i++) publisher.publish(rec(i));
    sink.down = false;
    await expect(publisher.flush()).resolves.toBe(true);
    expect(sink.received).toEqual(Array.from({ length: 30 }, (_, i) => `m${i}`));
    expect(lines.some((l) => l.msg === 'export sink failed; keeping the records and retrying')).toBe(true);
    expect(lines.some((l) => l.msg === 'export sink is accepting records again')).toBe(true);
  });

  it('sends only the rest of a partly accepted batch again', async () => {
    const { sink, publisher } = make({ batchMax: 10 });
    sink.failAfter = 4;
    for (let i = 0; i < 10; i++) publisher.publish(rec(i));
    await publisher.flush();
    expect(sink.batches).toEqual([
      ['m0', 'm1', 'm2', 'm3'],
      ['m4', 'm5', 'm6', 'm7', 'm8', 'm9'],
    ]);
  });

  it('drops the OLDEST records past the bound, counts them and warns with the count', async () => {
    const { sink, publisher, registry, lines } = make({ bufferMax: 50, batchMax: 10 });
    sink.down = true;
    for (let i = 0; i < 80; i++) publisher.publish(rec(i));
    expect(publisher.stats()).toMatchObject({ buffered: 50, dropped: 30 });
    expect(await metric(registry, 'chat_export_dropped_total')).toBe(30);
    // The first drop warns at once; the rest of the burst is reported when the interval ends.
    await waitFor(
      () =>
        lines
          .filter((l) => l.msg === 'export buffer full: dropped the oldest records')
          .reduce((n, l) => n + (l.dropped ?? 0), 0) === 30,
      { what: 'warnings accounting for all 30 drops' },
    );
    sink.down = false;
    await publisher.flush();
    expect(sink.received).toEqual(Array.from({ length: 50 }, (_, i) => `m${i + 30}`));
  });

  it('never throws and stays O(1) per publish while a batch hangs', async () => {
    const { sink, publisher } = make({ bufferMax: 1000, batchMax: 10, sendTimeoutMs: 60_000 });
    sink.hang = true;
    for (let i = 0; i < 5000; i++) expect(() => publisher.publish(rec(i))).not.toThrow();
    expect(publisher.stats()).toMatchObject({ buffered: 1000, dropped: 4000 });
  });

  it('counts a batch the sink never confirms as failed and retries it', async () => {
    const { sink, publisher } = make({ sendTimeoutMs: 30 });
    sink.hang = true;
    publisher.publish(rec(1));
    await waitFor(() => publisher.stats().failedBatches >= 1, { what: 'the send timeout' });
    sink.hang = false;
    await expect(publisher.flush()).resolves.toBe(true);
    expect(sink.received).toEqual(['m1']);
  });

  it('close() flushes what it can by the deadline, counts the rest and closes the sink', async () => {
    const { sink, publisher, registry } = make();
    for (let i = 0; i < 5; i++) publisher.publish(rec(i));
    await publisher.close(1000);
    expect(sink.received).toHaveLength(5);
    expect(sink.closed).toBe(true);
    publisher.publish(rec(99));
    expect(publisher.stats().dropped).toBe(1);
    expect(await metric(registry, 'chat_export_dropped_total')).toBe(1);

    const stuck = make();
    stuck.sink.down = true;
    for (let i = 0; i < 3; i++) stuck.publisher.publish(rec(i));
    await stuck.publisher.close(60);
    expect(stuck.publisher.stats()).toMatchObject({ dropped: 3, buffered: 0 });
    expect(stuck.sink.closed).toBe(true);
    expect(stuck.lines.some((l) => l.msg.startsWith('export stopped before every record'))).toBe(true);
  });
});

describe('exportPlugin', () => {
  it('turns stored messages and logins/logouts into records through the HookRunner', async () => {
    const sink = new FakeSink();
    const publisher = new ExportPublisher({ sink, logger: capture().logger, maxDelayMs: 1 });
    const hooks = new HookRunner([exportPlugin(publisher, { nodeId: 'n1' })]);
    hooks.emit({ type: 'messageStored', message: msg(1) });
    hooks.emit({ type: 'userOnline', username: 'a', alliance: 'red', nodeId: 'n2', at: 5, loginAt: 5 });
    hooks.emit({ type: 'userOffline', username: 'a', alliance: 'red', nodeId: 'n2', at: 9, loginAt: 5 });
    hooks.emit({ type: 'roomJoined', room: 'r', username: 'a' });
    await hooks.close();
    expect(sink.closed).toBe(true);
    expect(sink.batches.flat()).toHaveLength(3);
    expect(sink.batches.flat()[0]).toBe('m1');
  });
});

describe('RecordBuffer', () => {
  it('keeps positions stable across drops while a batch is in flight', () => {
    const buffer = new RecordBuffer<number>(4);
    for (let i = 0; i < 4; i++) buffer.push(i);
    const batch = buffer.peek(3);
    expect(batch.items).toEqual([0, 1, 2]);
    expect(buffer.push(4)).toBe(true);
    expect(buffer.push(5)).toBe(true);
    buffer.commit(batch.end);
    expect(buffer.peek(10).items).toEqual([3, 4, 5]);
    buffer.commit(batch.end);
    expect(buffer.size).toBe(3);
    expect(buffer.clear()).toBe(3);
    expect(buffer.size).toBe(0);
  });
});

describe('export records', () => {
  it('encode and decode in both formats, with topics per kind', () => {
    const records = [
      rec(1),
      messageRecord({ ...msg(2), kind: 'direct', conversation: 'dm:a|b', to: 'b' }, 'n1'),
      sessionRecord(true, { username: 'a', alliance: 'red', loginAt: 5, at: 5 }, 'n2'),
      sessionRecord(false, { username: 'a', alliance: 'red', loginAt: 5, at: 9 }, 'n2'),
    ];
    expect(records.map(recordTopic)).toEqual([
      'message.room',
      'message.direct',
      'session.online',
      'session.offline',
    ]);
    for (const record of records) {
      expect(decodeRecord(encodeRecord(record, 'protobuf'), 'protobuf')).toEqual(record);
      expect(decodeRecord(encodeRecord(record, 'json'), 'json')).toEqual(record);
    }
    const json = JSON.parse(encodeRecord(records[0]!, 'json').toString('utf8')) as Record<string, unknown>;
    expect(json).toMatchObject({ id: 'm1', kind: 'EXPORT_KIND_MESSAGE', nodeId: 'node1' });
    expect(json.message).toMatchObject({ conversation: 'room:lobby', kind: 'MESSAGE_KIND_ROOM', seq: 2 });
    expect(records[2]!.kind).toBe(ExportKind.EXPORT_KIND_USER_ONLINE);
  });

  it('adds a heartbeat to AMQP URLs that set none', () => {
    expect(withHeartbeat('amqp://u:p@h:1/v', 10)).toBe('amqp://u:p@h:1/v?heartbeat=10');
    expect(withHeartbeat('amqp://h?heartbeat=3', 10)).toBe('amqp://h?heartbeat=3');
  });
});

describe('parseExportEnv', () => {
  it('is off unless EXPORT_SINK is set', () => {
    expect(parseExportEnv({})).toBeUndefined();
    expect(parseExportEnv({ EXPORT_SINK: 'off' })).toBeUndefined();
  });

  it("defaults to the chat's own Redis, protobuf and the documented sizes", () => {
    expect(parseExportEnv({ EXPORT_SINK: 'redis', REDIS_URL: 'redis://r:1' })).toEqual({
      sink: 'redis',
      format: 'protobuf',
      bufferMax: 100_000,
      batchMax: 500,
      flushMs: 50,
      redis: { url: undefined, stream: 'chat:export', maxLen: 1_000_000 },
      rabbitmq: { url: '', exchange: 'chat.export' },
    });
  });

  it('reads every variable', () => {
    expect(
      parseExportEnv({
        EXPORT_SINK: 'rabbitmq',
        EXPORT_AMQP_URL: 'amqp://u:p@mq:5672',
        EXPORT_EXCHANGE: 'x',
        EXPORT_FORMAT: 'json',
        EXPORT_BUFFER_MAX: '10',
        EXPORT_BATCH_MAX: '2',
        EXPORT_FLUSH_MS: '0',
        EXPORT_REDIS_URL: 'redis://e:2',
        EXPORT_STREAM: 's',
        EXPORT_STREAM_MAXLEN: '0',
      }),
    ).toEqual({
      sink: 'rabbitmq',
      format: 'json',
      bufferMax: 10,
      batchMax: 2,
      flushMs: 0,
      redis: { url: 'redis://e:2', stream: 's', maxLen: 0 },
      rabbitmq: { url: 'amqp://u:p@mq:5672', exchange: 'x' },
    });
  });

  it('reports every invalid variable at once', () => {
    const parse = () =>
      parseExportEnv({ EXPORT_SINK: 'rabbitmq', EXPORT_FORMAT: 'xml', EXPORT_BATCH_MAX: '0' });
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(/EXPORT_FORMAT="xml"[\s\S]*EXPORT_BATCH_MAX="0"[\s\S]*EXPORT_AMQP_URL=""/);
    expect(() => parseExportEnv({ EXPORT_SINK: 'kafka' })).toThrow(/EXPORT_SINK="kafka": must be one of off/);
  });
});
