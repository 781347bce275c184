import { connect } from 'amqplib';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { Registry } from 'prom-client';
import { silentLogger } from '../../src/core/logger';
import { startRabbitMq } from '../../src/devservices';
import type { RabbitMqProcess } from '../../src/devservices';
import { ExportPublisher, RabbitMqSink, decodeRecord, sessionRecord } from '../../src/export';
import type { ExportFormat } from '../../src/config/export';
import type { ExportRecord } from '../../src/export';
import type { MessageKind } from '../../src/store/types';
import { TestScope, tempDir, uniqueName, useScope, waitFor } from '../support';
import { expectDeliveredOnceInOrder, makeMessageRecords } from './export-support';

const logger = silentLogger();

// One broker for the file: it takes 5-15 s to start. A missing rabbitmq-server
// fails here, with the install command in the error (startRabbitMq says it).
const fileScope = new TestScope();
let rabbit: RabbitMqProcess;
beforeAll(async () => {
  rabbit = await startRabbitMq({ dataDir: await tempDir(fileScope, 'rabbitmq') });
  fileScope.defer(() => rabbit.stop(), 'stop rabbitmq');
}, 120_000);
afterAll(() => fileScope.close(), 60_000);

interface Consumer {
  received: ExportRecord[];
  messages: ConsumeMessage[];
}

/** A durable queue bound to `patterns`, consumed into memory (as an analytics service would). */
async function bindQueue(
  scope: TestScope,
  exchange: string,
  patterns: string[],
  format: ExportFormat = 'protobuf',
): Promise<{ queue: string; consumer: Consumer; consume: () => Promise<void> }> {
  const connection: ChannelModel = await connect(rabbit.url);
  scope.defer(() => connection.close().catch(() => undefined), 'close consumer connection');
  const channel: Channel = await connection.createChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  const queue = uniqueName('analytics');
  await channel.assertQueue(queue, { durable: true });
  for (const pattern of patterns) await channel.bindQueue(queue, exchange, pattern);
  const consumer: Consumer = { received: [], messages: [] };
  const consume = async (): Promise<void> => {
    const live = await connect(rabbit.url);
    scope.defer(() => live.close().catch(() => undefined), 'close consumer connection');
    const ch = await live.createChannel();
    await ch.prefetch(1000);
    await ch.consume(queue, (msg) => {
      if (!msg) return;
      consumer.messages.push(msg);
      consumer.received.push(decodeRecord(msg.content, format));
      ch.ack(msg);
    });
  };
  return { queue, consumer, consume };
}

/**
 * Publishes a last message record and waits for it: a queue delivers in
 * publish order, so everything sent before it (copies included) is in by then.
 */
async function publishSentinel(
  publisher: ExportPublisher,
  consumer: Consumer,
  kind: MessageKind = 'room',
): Promise<void> {
  const [sentinel] = makeMessageRecords(1, 1, kind);
  publisher.publish(sentinel!);
  await waitFor(() => consumer.received.some((r) => r.id === sentinel!.id), { what: 'the sentinel record' });
  consumer.received = consumer.received.filter((r) => r.id !== sentinel!.id);
}

function rabbitExporter(scope: TestScope, options: { format?: ExportFormat; batchMax?: number } = {}) {
  const exchange = uniqueName('chat.export');
  const registry = new Registry();
  const publisher = new ExportPublisher({
    sink: new RabbitMqSink({ url: rabbit.url, exchange, format: options.format ?? 'protobuf', logger }),
    logger,
    registry,
    batchMax: options.batchMax ?? 500,
    maxDelayMs: 20,
    retryMinMs: 100,
    retryMaxMs: 500,
  });
  scope.defer(() => publisher.close(5000), 'close export publisher');
  return { exchange, publisher };
}

describe('export to RabbitMQ', () => {
  const scope = useScope();

  it('delivers 2,000 records over 10 conversations once each, in order per conversation', async () => {
    const { exchange, publisher } = rabbitExporter(scope);
    const all = await bindQueue(scope, exchange, ['chat.message.#']);
    await all.consume();
    const sent = makeMessageRecords(2000, 10);
    for (const record of sent) publisher.publish(record);
    // A session record must not reach a queue bound to messages only.
    publisher.publish(sessionRecord(true, { username: 'u', alliance: '', loginAt: 1, at: 1 }, 'node-test'));
    await expect(publisher.flush(20_000)).resolves.toBe(true);
    await waitFor(() => all.consumer.received.length >= sent.length, {
      what: 'every record at the consumer',
    });
    // Anything extra (a duplicate or the session record) would have arrived with the rest.
    await expect(publisher.flush()).resolves.toBe(true);
    expectDeliveredOnceInOrder(sent, all.consumer.received);
    const first = all.consumer.messages[0]!;
    expect(first.fields.routingKey).toBe('chat.message.room');
    expect(first.properties).toMatchObject({
      deliveryMode: 2,
      contentType: 'application/x-protobuf',
      type: 'chat.v1.ExportRecord',
      messageId: sent[0]!.id,
    });
  });

  it('routes by kind: chat.message.<kind> and chat.session.<online|offline>, JSON on request', async () => {
    const { exchange, publisher } = rabbitExporter(scope, { format: 'json' });
    const direct = await bindQueue(scope, exchange, ['chat.message.direct'], 'json');
    const sessions = await bindQueue(scope, exchange, ['chat.session.*'], 'json');
    await direct.consume();
    await sessions.consume();
    const dms = makeMessageRecords(30, 3, 'direct');
    const rooms = makeMessageRecords(30, 3, 'room');
    const logins = [
      sessionRecord(true, { username: 'a', alliance: 'red', loginAt: 5, at: 5 }, 'node-test'),
      sessionRecord(false, { username: 'a', alliance: 'red', loginAt: 5, at: 50 }, 'node-test'),
    ];
    for (let i = 0; i < 30; i++) {
      publisher.publish(dms[i]!);
      publisher.publish(rooms[i]!);
    }
    for (const record of logins) publisher.publish(record);
    await publisher.flush();
    await publishSentinel(publisher, direct.consumer, 'direct');
    await waitFor(() => sessions.consumer.received.length >= 2, { what: 'the session events' });
    expectDeliveredOnceInOrder(dms, direct.consumer.received);
    expectDeliveredOnceInOrder(logins, sessions.consumer.received);
    expect(sessions.consumer.messages.map((m) => m.fields.routingKey)).toEqual([
      'chat.session.online',
      'chat.session.offline',
    ]);
    expect(direct.consumer.messages[0]?.properties.contentType).toBe('application/json');
  });

  it('loses nothing while the broker is down and back, and reconnects by itself', async () => {
    const { exchange, publisher } = rabbitExporter(scope, { batchMax: 100 });
    const { consumer, consume } = await bindQueue(scope, exchange, ['chat.message.#']);
    const sent = makeMessageRecords(1000, 10);
    for (const record of sent.slice(0, 300)) publisher.publish(record);
    await expect(publisher.flush()).resolves.toBe(true);

    await rabbit.stop();
    for (const record of sent.slice(300, 800)) publisher.publish(record);
    await waitFor(() => publisher.stats().failedBatches >= 2, {
      what: 'batches to fail while RabbitMQ is down',
    });
    expect(publisher.stats()).toMatchObject({ buffered: 500, dropped: 0 });

    await rabbit.restart();
    for (const record of sent.slice(800)) publisher.publish(record);
    await waitFor(() => publisher.stats().buffered === 0, {
      what: 'the backlog to drain',
      timeoutMs: 30_000,
    });
    // The durable queue kept the persistent messages sent before the stop.
    await consume();
    await publishSentinel(publisher, consumer);
    expectDeliveredOnceInOrder(sent, consumer.received);
    expect(publisher.stats()).toMatchObject({ dropped: 0, failing: false });
  }, 120_000);
});
