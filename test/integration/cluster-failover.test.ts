import { Redis } from 'ioredis';
import type { ChatClient } from '../../src/client/chat-client';
import { RedisKeys } from '../../src/core/names';
import { TestCluster } from '../support/cluster';
import { waitFor } from '../../src/core/wait-for';

/**
 * Failover with real node processes: a SIGKILLed leader or follower, a node
 * restarted with its old id, and what AdminService and Redis say meanwhile.
 * The tests run in order on one cluster; each leaves three live nodes or says
 * which it left.
 */
describe('cluster failover', () => {
  let cluster: TestCluster;
  let redis: Redis;
  let keys: RedisKeys;

  const serverList = async (): Promise<string[]> => {
    const raw = await redis.get(keys.servers());
    const list = raw ? (JSON.parse(raw) as Array<{ nodeId: string }>) : [];
    return list.map((s) => s.nodeId).sort();
  };

  const waitForServerList = (expected: string[]): Promise<boolean> =>
    waitFor(async () => JSON.stringify(await serverList()) === JSON.stringify([...expected].sort()), {
      what: `the Redis server list to be ${expected.join(',')}`,
      timeoutMs: 15_000,
    });

  /** A direct message that arrives: retried while the new links come up, then one exact round. */
  const provenDm = async (
    from: ChatClient,
    to: string,
    receiver: ChatClient,
    label: string,
  ): Promise<void> => {
    let attempt = 0;
    await waitFor(
      async () => {
        attempt++;
        await from.sendDirect(to, `${label} probe ${attempt}`);
        return receiver
          .waitForMessage((m) => m.text.startsWith(`${label} probe`), 300)
          .then(() => true)
          .catch(() => false);
      },
      { what: `a direct message ${label}`, timeoutMs: 15_000, intervalMs: 50 },
    );
    const ack = await from.sendDirect(to, `${label} final`);
    const got = await receiver.waitForMessage((m) => m.text === `${label} final`);
    expect(got.id).toBe(ack.id);
  };

  beforeAll(async () => {
    cluster = await TestCluster.start({ name: 'failover' });
    redis = new Redis(cluster.env.REDIS_URL as string);
    keys = new RedisKeys(cluster.env.REDIS_PREFIX as string);
    for (const name of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'gina']) {
      await cluster.createUser(name);
    }
  }, 90_000);

  afterAll(async () => {
    redis?.disconnect();
    await cluster?.stop();
  });

  it('counts local and global sessions in AdminService ListSessions', async () => {
    await cluster.waitForLeader();
    const alice = await cluster.login('n1', 'alice');
    const bob = await cluster.login('n1', 'bob');
    const carol = await cluster.login('n2', 'carol');

    const n1 = await cluster.sessions('n1');
    expect([n1.localCount, n1.globalCount]).toEqual([2, 3]);
    expect(n1.sessions.map((s) => s.username).sort()).toEqual(['alice', 'bob']);
    expect(n1.sessions.every((s) => s.nodeId === 'n1' && s.online)).toBe(true);
    const n3 = await cluster.sessions('n3');
    expect([n3.localCount, n3.globalCount, n3.sessions.length]).toEqual([0, 3, 0]);

    const global = await cluster.sessions('n3', true);
    expect(global.sessions.map((s) => `${s.username}@${s.nodeId}:${s.online}`).sort()).toEqual([
      'alice@n1:true',
      'bob@n1:true',
      'carol@n2:true',
    ]);

    await alice.close();
    await waitFor(
      async () => {
        const now = await cluster.sessions('n2');
        return now.localCount === 1 && now.globalCount === 2;
      },
      { what: 'the closed session to leave the counts' },
    );
    await Promise.all([bob.close(), carol.close()]);
    await waitFor(async () => (await cluster.sessions('n1')).globalCount === 0, {
      what: 'every session to be gone',
    });
  });

  it('replaces a SIGKILLed leader with a higher epoch; the survivors re-link and route through it', async () => {
    const before = await cluster.waitForLeader();
    const [f1, f2] = ['n1', 'n2', 'n3'].filter((id) => id !== before.leaderId) as [string, string];
    const dave = await cluster.login(f1, 'dave');
    const erin = await cluster.login(f2, 'erin');
    // A user of the leader: their global session goes stale with it.
    await cluster.login(before.leaderId, 'frank');

    await cluster.kill(before.leaderId);
    const after = await cluster.waitForLeader('a new leader among the survivors');
    expect([f1, f2]).toContain(after.leaderId);
    expect(after.epoch).toBeGreaterThan(before.epoch);
    const infos = await Promise.all([f1, f2].map((id) => cluster.info(id)));
    for (const info of infos) {
      expect([info.leaderId, info.epoch]).toEqual([after.leaderId, after.epoch]);
      expect(info.nodes.map((n) => n.nodeId).sort()).toEqual([f1, f2].sort());
    }
    expect(infos.map((i) => i.role).sort()).toEqual(['follower', 'leader']);
    await waitForServerList([f1, f2]);

    // One of the two is the new leader, so each direction crosses the new link.
    await provenDm(dave, 'erin', erin, `${f1}->${f2}`);
    await provenDm(erin, 'dave', dave, `${f2}->${f1}`);

    // The dead leader's user is offline wherever one asks.
    const info = await dave.userInfo('frank');
    expect([info.online, info.nodeId]).toEqual([false, '']);
    await expect(erin.sendDirect('frank', 'still there?')).rejects.toMatchObject({
      code: 404,
      reason: 'USER_OFFLINE',
    });
  });

  it('lets the dead node rejoin under its id, without resurrecting its old sessions', async () => {
    const dead = ['n1', 'n2', 'n3'].find((id) => !cluster.nodes.has(id)) as string;
    const { leaderId, epoch } = await cluster.waitForLeader();
    await cluster.startNode(dead);
    const now = await cluster.waitForLeader('all three nodes, the rejoined one included');
    // Rejoining does not take leadership away from the current leader.
    expect(now).toEqual({ leaderId, epoch });
    await waitForServerList(['n1', 'n2', 'n3']);

    const asker = await cluster.login(leaderId, 'gina');
    const frank = await asker.userInfo('frank');
    expect(frank.online).toBe(false);
    await expect(asker.sendDirect('frank', 'are you back?')).rejects.toMatchObject({
      code: 404,
      reason: 'USER_OFFLINE',
    });
    // A fresh login on the rejoined node works and is reachable.
    const frankAgain = await cluster.login(dead, 'frank');
    await provenDm(asker, 'frank', frankAgain, `${leaderId}->${dead}`);
  });

  it("drops a SIGKILLed follower from the leader's members and the Redis server list", async () => {
    const { leaderId } = await cluster.waitForLeader();
    const victim = ['n1', 'n2', 'n3'].find((id) => id !== leaderId) as string;
    const survivors = ['n1', 'n2', 'n3'].filter((id) => id !== victim);
    // A room member on the victim: the leader's presence must forget them with the node.
    const member = await cluster.login(victim, 'carol');
    await member.createRoom('lobby');
    await member.joinRoom('lobby');
    const online = await cluster.room(leaderId, 'lobby');
    expect(online.onlineByNode).toEqual([{ nodeId: victim, usernames: ['carol'] }]);

    await cluster.kill(victim);
    await waitFor(
      async () => {
        const info = await cluster.info(leaderId);
        return JSON.stringify(info.nodes.map((n) => n.nodeId).sort()) === JSON.stringify(survivors);
      },
      { what: `leader ${leaderId} to drop ${victim} from its members`, timeoutMs: 15_000 },
    );
    await waitForServerList(survivors);
    expect((await cluster.waitForLeader()).leaderId).toBe(leaderId);
    const room = await cluster.room(leaderId, 'lobby');
    expect([room.members, room.onlineByNode]).toEqual([['carol'], []]);
  });

  it('restarts a node under its id right after a SIGKILL, once its stale registration is gone', async () => {
    const { leaderId } = await cluster.waitForLeader();
    const victim = ['n1', 'n2', 'n3'].find((id) => !cluster.nodes.has(id)) as string;
    // A long session timeout for this node keeps its registration in ZooKeeper
    // well past the restart, however slowly the new process starts.
    const longSession = { ZK_SESSION_TIMEOUT_MS: '10000' };
    await cluster.startNode(victim, longSession);
    expect((await cluster.waitForLeader('three nodes again')).leaderId).toBe(leaderId);

    await cluster.kill(victim);
    const node = await cluster.startNode(victim, longSession);
    expect(node.logTail.some((line) => line.includes('registered by another session'))).toBe(true);
    const after = await cluster.waitForLeader('three nodes after the quick restart', 30_000);
    expect(after.leaderId).toBe(leaderId);
    await waitForServerList(['n1', 'n2', 'n3']);

    const user = await cluster.login(victim, 'alice');
    const peer = await cluster.login(leaderId, 'bob');
    await provenDm(peer, 'alice', user, `${leaderId}->${victim} after restart`);
  }, 120_000);
});
