import type { RedisClient } from '../../src/redis/connect';
import { Channel } from '../../gen/chat/v1/client';
import type { ChatClient } from '../../src/client/chat-client';
import { RedisKeys, conversation } from '../../src/core/names';
import { TestCluster } from '../support/cluster';
import { redisFor } from '../support/services';
import { waitFor } from '../../src/core/wait-for';

const NODES = ['n1', 'n2', 'n3'];

describe('rooms, world and alliance channels, history and hot words across three nodes', () => {
  let cluster: TestCluster;
  let redis: RedisClient;
  let keys: RedisKeys;
  const clients = new Map<string, ChatClient>();

  beforeAll(async () => {
    // The history test sends 120 messages back to back: above the default per-connection rate.
    cluster = await TestCluster.start({
      name: 'rooms',
      env: { RATE_LIMIT_PER_SEC: '1000', RATE_LIMIT_BURST: '1000' },
    });
    redis = redisFor(cluster.env);
    keys = new RedisKeys(cluster.env.REDIS_PREFIX as string);
    const alliances = ['red', 'blue', 'red', 'blue', 'red', 'blue'];
    for (let i = 0; i < 6; i++) await cluster.createUser(`u${i}`, alliances[i]);
    await cluster.createUser('outsider');
    await cluster.waitForLeader();
    // Two users per node: u0,u3 on n1; u1,u4 on n2; u2,u5 on n3.
    for (let i = 0; i < 6; i++) clients.set(`u${i}`, await cluster.login(NODES[i % 3] as string, `u${i}`));
  }, 90_000);

  afterAll(async () => {
    redis.disconnect();
    await cluster?.stop();
  });

  const client = (name: string): ChatClient => {
    const c = clients.get(name);
    if (!c) throw new Error(`no client ${name}`);
    return c;
  };

  it('delivers a room message from each node to every online member once', async () => {
    await client('u0').createRoom('lobby');
    for (const name of ['u1', 'u2', 'u3', 'u4']) await client(name).joinRoom('lobby');
    const senders = ['u0', 'u1', 'u2'];
    for (const sender of senders) {
      const ack = await client(sender).sendRoom('lobby', `hello from ${sender}`);
      expect(ack.seq).toBeGreaterThan(0);
    }
    for (const member of ['u0', 'u1', 'u2', 'u3', 'u4']) {
      const got = await waitFor(
        () => {
          const m = client(member)
            .received()
            .filter((x) => x.conversation === conversation.room('lobby'));
          return m.length >= 3 ? m : undefined;
        },
        { what: `${member} to receive 3 lobby messages` },
      );
      expect(got.map((m) => m.text).sort()).toEqual(senders.map((s) => `hello from ${s}`).sort());
      expect(new Set(got.map((m) => m.id)).size).toBe(3);
    }
    // u5 is not a member: nothing arrives.
    expect(
      client('u5')
        .received()
        .filter((m) => m.conversation === conversation.room('lobby')),
    ).toEqual([]);
  });

  it('answers 403 to a non-member and 404 for an unknown room', async () => {
    await expect(client('u5').sendRoom('lobby', 'let me in')).rejects.toMatchObject({
      code: 403,
      reason: 'NOT_A_MEMBER',
    });
    await expect(client('u5').sendRoom('no-such-room', 'anyone?')).rejects.toMatchObject({
      code: 404,
      reason: 'UNKNOWN_ROOM',
    });
    await expect(client('u5').joinRoom('no-such-room')).rejects.toMatchObject({ code: 404 });
    await expect(client('u5').history({ room: 'lobby' })).rejects.toMatchObject({ code: 403 });
  });

  it('replays the last messages in order on join, and stops delivery after leave', async () => {
    const joined = await client('u5').joinRoom('lobby');
    expect(joined.recent.map((m) => m.text)).toEqual(['hello from u0', 'hello from u1', 'hello from u2']);
    expect(joined.room?.isMember).toBe(true);
    await client('u5').leaveRoom('lobby');
    await client('u0').sendRoom('lobby', 'after u5 left');
    await client('u3').waitForMessage((m) => m.text === 'after u5 left');
    expect(
      client('u5')
        .received()
        .some((m) => m.text === 'after u5 left'),
    ).toBe(false);
    const rooms = await client('u5').listRooms();
    expect(rooms.find((r) => r.name === 'lobby')).toMatchObject({ memberCount: 5, isMember: false });
  });

  it('delivers world messages to every online user and alliance messages to that alliance only', async () => {
    await client('u4').sendChannel(Channel.CHANNEL_WORLD, 'world hello');
    for (const name of clients.keys()) await client(name).waitForMessage((m) => m.text === 'world hello');
    await client('u1').sendChannel(Channel.CHANNEL_ALLIANCE, 'blue team assemble');
    for (const name of ['u1', 'u3', 'u5']) {
      const m = await client(name).waitForMessage((x) => x.text === 'blue team assemble');
      expect(m.conversation).toBe(conversation.alliance('blue'));
    }
    await client('u0').sendChannel(Channel.CHANNEL_ALLIANCE, 'red marker');
    await client('u2').waitForMessage((m) => m.text === 'red marker');
    for (const name of ['u0', 'u2', 'u4']) {
      expect(
        client(name)
          .received()
          .some((m) => m.text === 'blue team assemble'),
      ).toBe(false);
    }
  });

  it('pages 120 messages of history exactly once, newest first, with Redis holding only 50', async () => {
    await client('u0').createRoom('archive');
    await client('u1').joinRoom('archive');
    const texts: string[] = [];
    for (let i = 1; i <= 120; i++) {
      texts.push(`archived ${i}`);
      await client(i % 2 ? 'u0' : 'u1').sendRoom('archive', `archived ${i}`);
    }
    expect(await redis.llen(keys.history(conversation.room('archive')))).toBe(50);
    const seen: string[] = [];
    let cursor = '';
    for (let page = 0; page < 10; page++) {
      const result = await client('u1').history({ room: 'archive' }, { limit: 25, cursor });
      seen.push(...result.messages.map((m) => m.text));
      cursor = result.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual([...texts].reverse());
    // A direct conversation's history is separate and readable by its two users only.
    await client('u0').sendDirect('u1', 'private note');
    const dm = await client('u1').history({ peer: 'u0' });
    expect(dm.messages.map((m) => m.text)).toEqual(['private note']);
    expect(dm.conversation).toBe(conversation.direct('u0', 'u1'));
  });

  it('counts popular words across nodes in English and Chinese', async () => {
    await client('u0').sendChannel(Channel.CHANNEL_WORLD, 'dragon dragon 龙 龙 龙');
    await client('u1').sendDirect('u2', 'dragon 龙 treasure');
    await client('u2').sendChannel(Channel.CHANNEL_WORLD, 'dragon 宝藏');
    const top = await waitFor(
      async () => {
        const words = await client('u1').popular(20);
        const dragon = words.find((w) => w.word === 'dragon');
        return dragon && dragon.count >= 4 ? words : undefined;
      },
      { what: 'dragon to be counted 4 times' },
    );
    expect(top.find((w) => w.word === 'dragon')?.count).toBe(4);
    expect(top.find((w) => w.word === '龙')?.count).toBe(4);
    expect(top.find((w) => w.word === 'treasure')?.count).toBe(1);
  });
});
