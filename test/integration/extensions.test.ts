import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { decodeRecord, ExportKind } from '../../src/export';
import { TestCluster } from '../support/cluster';
import { waitFor } from '../../src/core/wait-for';

const REPO = path.resolve(__dirname, '..', '..');

describe('plugins and export wired into real nodes', () => {
  let cluster: TestCluster;
  let redis: Redis;
  let stream: string;

  beforeAll(async () => {
    stream = `export-test-${process.pid}-${Date.now()}`;
    const pluginsConfig = path.join(tmpdir(), `plugins-${process.pid}.json`);
    writeFileSync(pluginsConfig, JSON.stringify({ 'link-guard': { minAccountAgeMinutes: 60 } }));
    cluster = await TestCluster.start({
      name: 'extensions',
      env: {
        PLUGINS: [
          path.join(REPO, 'src/plugins/examples/link-guard.ts'),
          path.join(REPO, 'test/support/plugins/misbehaving.ts'),
        ].join(','),
        PLUGINS_CONFIG: pluginsConfig,
        EXPORT_SINK: 'redis',
        EXPORT_STREAM: stream,
      },
    });
    redis = new Redis(cluster.env.REDIS_URL as string);
    for (const name of ['newbie', 'friend']) await cluster.createUser(name);
    await cluster.waitForLeader();
  }, 90_000);

  afterAll(async () => {
    await redis?.del(stream);
    redis?.disconnect();
    await cluster?.stop();
  });

  it('rejects a link from a new account with the code the plugin chose, and lets plain text through', async () => {
    const newbie = await cluster.login('n1', 'newbie');
    const friend = await cluster.login('n2', 'friend');
    await expect(newbie.sendDirect('friend', 'visit https://spam.example.com now')).rejects.toMatchObject({
      code: 403,
      reason: 'LINK_NOT_ALLOWED',
    });
    await newbie.createRoom('plaza');
    await friend.joinRoom('plaza');
    await expect(newbie.sendRoom('plaza', 'cheap gold at www.gold.example')).rejects.toMatchObject({
      code: 403,
    });
    // A plugin whose hooks throw or hang does not stop delivery.
    for (let i = 1; i <= 5; i++) await newbie.sendDirect('friend', `hello ${i}`);
    await newbie.sendRoom('plaza', 'room hello');
    await friend.waitForMessage((m) => m.text === 'hello 5');
    await friend.waitForMessage((m) => m.text === 'room hello');
  });

  it('exports every stored message once, in order per conversation, and logins', async () => {
    const records = await waitFor(
      async () => {
        const entries = await redis.xrangeBuffer(stream, '-', '+');
        const decoded = entries.map(([, fields]) => {
          const data = fields[fields.findIndex((f) => f.toString() === 'data') + 1] as Buffer;
          return decodeRecord(data, 'protobuf');
        });
        const messages = decoded.filter((r) => r.kind === ExportKind.EXPORT_KIND_MESSAGE);
        return messages.length >= 6 ? decoded : undefined;
      },
      { what: 'six exported messages in the Redis stream' },
    );
    const texts = records
      .map((r) => (r.body?.$case === 'message' ? r.body.value : undefined))
      .filter((m) => m !== undefined)
      .map((m) => ({ text: m.text, seq: m.seq, conversation: m.conversation }));
    const direct = texts.filter((m) => m.conversation.startsWith('dm:'));
    expect(direct.map((m) => m.text)).toEqual(['hello 1', 'hello 2', 'hello 3', 'hello 4', 'hello 5']);
    expect(direct.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(texts.filter((m) => m.conversation === 'room:plaza').map((m) => m.text)).toEqual(['room hello']);
    expect(records.some((r) => r.kind === ExportKind.EXPORT_KIND_USER_ONLINE)).toBe(true);
  });
});
