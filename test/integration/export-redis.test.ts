import { Registry } from 'prom-client';
import { silentLogger } from '../../src/core/logger';
import { ExportPublisher, RedisStreamSink, sessionRecord } from '../../src/export';
import type { ExportFormat } from '../../src/config/export';
import { openRedis } from '../../src/redis/connect';
import {
  connectRedis,
  redisConnectionOf,
  redisEnv,
  startOwnRedis,
  uniquePrefix,
  useScope,
  waitFor,
} from '../support';
import type { TestScope } from '../support';
import { expectDeliveredOnceInOrder, makeMessageRecords, readStream } from './export-support';

const logger = silentLogger();

/** An exporter to the single Redis at `url`, or by default to the project's shared Redis (of any kind). */
function redisExporter(
  scope: TestScope,
  options: { url?: string; format?: ExportFormat; bufferMax?: number; batchMax?: number },
) {
  const stream = `${uniquePrefix('export')}stream`;
  const registry = new Registry();
  const sink = new RedisStreamSink({
    url: options.url,
    // The node's opener: the chat's own Redis (Cluster and Sentinel included) unless a URL is given.
    open: (url, sinkOptions, log) =>
      openRedis(url === undefined ? redisConnectionOf(redisEnv()) : { url }, log, sinkOptions),
    stream,
    maxLen: 1_000_000,
    format: options.format ?? 'protobuf',
    logger,
  });
  const publisher = new ExportPublisher({
    sink,
    logger,
    registry,
    bufferMax: options.bufferMax,
    batchMax: options.batchMax ?? 500,
    maxDelayMs: 20,
    retryMinMs: 50,
    retryMaxMs: 300,
  });
  scope.defer(() => publisher.close(2000), 'close export publisher');
  return { stream, registry, publisher };
}

async function droppedTotal(registry: Registry): Promise<number> {
  const metric = registry.getSingleMetric('chat_export_dropped_total');
  return (await metric?.get())?.values[0]?.value ?? NaN;
}

describe('export to a Redis stream', () => {
  const scope = useScope();

  it('delivers 2,000 records over 10 conversations once each, in order per conversation', async () => {
    const { stream, publisher } = redisExporter(scope, {});
    const sent = makeMessageRecords(2000, 10);
    for (const record of sent) publisher.publish(record);
    await expect(publisher.flush(20_000)).resolves.toBe(true);
    const reader = await connectRedis(scope);
    const entries = await readStream(reader, stream, 'protobuf', sent.length);
    expectDeliveredOnceInOrder(
      sent,
      entries.map((e) => e.record),
    );
    expect(new Set(entries.map((e) => e.kind))).toEqual(new Set(['message.room']));
    expect(publisher.stats()).toMatchObject({ published: 2000, dropped: 0, buffered: 0 });
  });

  it('writes JSON when asked, with the kind field per record', async () => {
    const { stream, publisher } = redisExporter(scope, { format: 'json' });
    const sent = [
      ...makeMessageRecords(20, 4, 'direct'),
      sessionRecord(true, { username: 'u1', alliance: 'red', loginAt: 10, at: 10 }, 'node-test'),
      sessionRecord(false, { username: 'u1', alliance: 'red', loginAt: 10, at: 99 }, 'node-test'),
    ];
    for (const record of sent) publisher.publish(record);
    await publisher.flush();
    const reader = await connectRedis(scope);
    const raw = await reader.xrange(stream, '-', '+', 'COUNT', 1);
    const first = JSON.parse(raw[0]?.[1][1] ?? '{}') as { kind?: string; message?: { kind?: string } };
    expect(first).toMatchObject({ kind: 'EXPORT_KIND_MESSAGE', message: { kind: 'MESSAGE_KIND_DIRECT' } });
    const entries = await readStream(reader, stream, 'json', sent.length);
    expectDeliveredOnceInOrder(
      sent,
      entries.map((e) => e.record),
    );
    expect(entries.slice(-2).map((e) => e.kind)).toEqual(['session.online', 'session.offline']);
  });

  it('loses nothing within the buffer bound while Redis is down and back', async () => {
    const redis = await startOwnRedis(scope, { persist: true });
    const { stream, publisher } = redisExporter(scope, { url: redis.url, batchMax: 50 });
    const sent = makeMessageRecords(1000, 10);
    for (const record of sent.slice(0, 300)) publisher.publish(record);
    await expect(publisher.flush()).resolves.toBe(true);

    await redis.stop();
    for (const record of sent.slice(300, 800)) publisher.publish(record);
    await waitFor(() => publisher.stats().failedBatches >= 2, {
      what: 'batches to fail while Redis is down',
    });
    expect(publisher.stats()).toMatchObject({ buffered: 500, failing: true, dropped: 0 });

    await redis.restart();
    for (const record of sent.slice(800)) publisher.publish(record);
    await waitFor(() => publisher.stats().buffered === 0, {
      what: 'the backlog to drain',
      timeoutMs: 20_000,
    });
    const reader = await connectRedis(scope, { url: redis.url });
    const entries = await readStream(reader, stream, 'protobuf', sent.length);
    expectDeliveredOnceInOrder(
      sent,
      entries.map((e) => e.record),
    );
    expect(publisher.stats()).toMatchObject({ dropped: 0, failing: false });
  });

  it('past the bound drops the oldest records and counts them', async () => {
    const redis = await startOwnRedis(scope);
    const { stream, publisher, registry } = redisExporter(scope, {
      url: redis.url,
      bufferMax: 100,
      batchMax: 20,
    });
    // Wait for the sink's connection, then take Redis away.
    publisher.publish(makeMessageRecords(1, 1)[0]!);
    await expect(publisher.flush()).resolves.toBe(true);
    await redis.stop();

    const sent = makeMessageRecords(250, 10);
    for (const record of sent) publisher.publish(record);
    expect(publisher.stats()).toMatchObject({ buffered: 100, dropped: 150 });
    expect(await droppedTotal(registry)).toBe(150);

    await redis.restart();
    await waitFor(() => publisher.stats().buffered === 0, {
      what: 'the kept records to drain',
      timeoutMs: 20_000,
    });
    const reader = await connectRedis(scope, { url: redis.url });
    // Redis ran without persistence: the stream holds only what was sent after the restart.
    const entries = await readStream(reader, stream, 'protobuf', 100);
    expectDeliveredOnceInOrder(
      sent.slice(150),
      entries.map((e) => e.record),
    );
    expect(await droppedTotal(registry)).toBe(150);
  });
});
