import type { RedisClient } from '../../src/redis/connect';
import { RedisKeys } from '../../src/core/names';
import { TestCluster } from '../support/cluster';
import { redisFor } from '../support/services';
import { waitFor } from '../../src/core/wait-for';

describe('three chat nodes: leader, server list and direct messages', () => {
  let cluster: TestCluster;
  let redis: RedisClient;
  let keys: RedisKeys;

  beforeAll(async () => {
    cluster = await TestCluster.start({ name: 'dm' });
    redis = redisFor(cluster.env);
    keys = new RedisKeys(cluster.env.REDIS_PREFIX as string);
    for (const name of ['alice', 'bob', 'carol', 'dave']) await cluster.createUser(name);
  }, 90_000);

  afterAll(async () => {
    redis.disconnect();
    await cluster?.stop();
  });

  it('elects exactly one leader that every node agrees on', async () => {
    const { leaderId, epoch } = await cluster.waitForLeader();
    expect(['n1', 'n2', 'n3']).toContain(leaderId);
    expect(epoch).toBeGreaterThan(0);
    const infos = await Promise.all(['n1', 'n2', 'n3'].map((id) => cluster.info(id)));
    expect(infos.filter((i) => i.role === 'leader').map((i) => i.nodeId)).toEqual([leaderId]);
    for (const info of infos) expect(info.nodes.map((n) => n.nodeId).sort()).toEqual(['n1', 'n2', 'n3']);
  });

  it('writes every live node to the Redis server list', async () => {
    const servers = await waitFor(
      async () => {
        const raw = await redis.get(keys.servers());
        const list = raw ? (JSON.parse(raw) as Array<{ nodeId: string; url: string }>) : [];
        return list.length === 3 ? list : undefined;
      },
      { what: 'three nodes in the Redis server list' },
    );
    expect(servers.map((s) => s.nodeId).sort()).toEqual(['n1', 'n2', 'n3']);
    for (const s of servers) expect(s.url).toBe(cluster.node(s.nodeId).wsUrl);
  });

  it('delivers direct messages in every direction, once, in order, filtered', async () => {
    const { leaderId } = await cluster.waitForLeader();
    const followers = ['n1', 'n2', 'n3'].filter((id) => id !== leaderId);
    const [f1, f2] = followers as [string, string];
    const alice = await cluster.login(f1, 'alice');
    const bob = await cluster.login(f2, 'bob');
    const carol = await cluster.login(leaderId, 'carol');
    const dave = await cluster.login(f1, 'dave');

    const cases: Array<[string, typeof alice, string, typeof alice]> = [
      ['follower→follower', alice, 'bob', bob],
      ['follower→leader', bob, 'carol', carol],
      ['leader→follower', carol, 'alice', alice],
      ['same node', alice, 'dave', dave],
    ];
    for (const [label, from, to, receiver] of cases) {
      const texts = Array.from({ length: 5 }, (_, i) => `${label} #${i} fuck`);
      const acks = [];
      for (const text of texts) acks.push(await from.sendDirect(to, text));
      for (const ack of acks) expect(ack.id).toMatch(/[0-9a-f-]{36}/);
      const received = await waitFor(
        () => {
          const got = receiver.received().filter((m) => m.text.startsWith(label));
          return got.length >= 5 ? got : undefined;
        },
        { what: `5 ${label} messages` },
      );
      expect(received.map((m) => m.id)).toEqual(acks.map((a) => a.id));
      expect(received.map((m) => m.text)).toEqual(texts.map((t) => t.replace('fuck', '****')));
      const seqs = received.map((m) => m.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
  });

  it('answers 404 for an offline recipient and still stores the message', async () => {
    const { leaderId } = await cluster.waitForLeader();
    const erin = 'erin';
    await cluster.createUser(erin);
    const alice2 = await cluster.login(leaderId, 'alice');
    await expect(alice2.sendDirect(erin, 'are you there?')).rejects.toMatchObject({
      code: 404,
      reason: 'USER_OFFLINE',
    });
    await expect(alice2.sendDirect('nobody-here', 'hello?')).rejects.toMatchObject({
      code: 404,
      reason: 'UNKNOWN_USER',
    });
    const page = await alice2.history({ peer: erin });
    expect(page.messages.map((m) => m.text)).toEqual(['are you there?']);
  });

  it('keeps a pipelined sender’s messages in order: numbered, acknowledged and pushed as sent', async () => {
    const { leaderId } = await cluster.waitForLeader();
    const followers = ['n1', 'n2', 'n3'].filter((id) => id !== leaderId) as [string, string];
    await cluster.createUser('pip-a');
    await cluster.createUser('pip-b');
    await cluster.createUser('pip-c');
    const sender = await cluster.login(followers[0], 'pip-a');
    const dmReceiver = await cluster.login(followers[1], 'pip-b');
    const roomReceiver = await cluster.login(leaderId, 'pip-c');
    await sender.createRoom('pipelined');
    await roomReceiver.joinRoom('pipelined');

    // Sent without waiting for acknowledgements (36 commands, within the default rate burst and WS_MAX_PENDING): many in flight at once.
    const texts = Array.from({ length: 18 }, (_, i) => `pipelined #${i}`);
    const [dmAcks, roomAcks] = await Promise.all([
      Promise.all(texts.map((t) => sender.sendDirect('pip-b', t))),
      Promise.all(texts.map((t) => sender.sendRoom('pipelined', t))),
    ]);
    for (const acks of [dmAcks, roomAcks]) {
      const seqs = acks.map((a) => a.seq);
      expect(seqs).toEqual(Array.from({ length: 18 }, (_, i) => (seqs[0] ?? 0) + i));
    }
    for (const [receiver, acks] of [
      [dmReceiver, dmAcks],
      [roomReceiver, roomAcks],
    ] as const) {
      const conversation = acks[0]?.conversation;
      const got = await waitFor(
        () => {
          const mine = receiver.received().filter((m) => m.conversation === conversation);
          return mine.length >= 18 ? mine : undefined;
        },
        { what: `18 pipelined messages in ${conversation}` },
      );
      expect(got.map((m) => m.text)).toEqual(texts);
      expect(got.map((m) => m.id)).toEqual(acks.map((a) => a.id));
    }
  });
});
