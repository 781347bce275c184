import { Channel } from '../../gen/chat/v1/client';
import { TestCluster } from '../support/cluster';
import { waitFor } from '../../src/core/wait-for';

/** Retries a send while the cluster elects a new leader (the client-side part of failover). */
async function sendUntilAccepted(send: () => Promise<unknown>, what: string): Promise<void> {
  await waitFor(
    async () => {
      await send();
      return true;
    },
    { what, timeoutMs: 30_000, intervalMs: 200 },
  );
}

describe('rooms through leader changes and restarts', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await TestCluster.start({ name: 'rooms-failover', env: { HOT_WORDS_RESET_MS: '1000' } });
    for (const name of ['ann', 'ben', 'cat', 'dan']) await cluster.createUser(name);
  }, 90_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('runs the hot-words reset on the leader only', async () => {
    const { leaderId } = await cluster.waitForLeader();
    await waitFor(() => cluster.node(leaderId).logTail.some((l) => l.includes('"hot_words_reset"')), {
      what: 'the leader to reset the hot words',
      timeoutMs: 10_000,
    });
    for (const id of ['n1', 'n2', 'n3'].filter((n) => n !== leaderId)) {
      expect(cluster.node(id).logTail.some((l) => l.includes('"hot_words_reset"'))).toBe(false);
    }
  });

  it('keeps rooms working after the leader is killed', async () => {
    const { leaderId, epoch } = await cluster.waitForLeader();
    const [f1, f2] = ['n1', 'n2', 'n3'].filter((n) => n !== leaderId) as [string, string];
    const ann = await cluster.login(f1, 'ann');
    const ben = await cluster.login(f2, 'ben');
    const cat = await cluster.login(leaderId, 'cat');
    await ann.createRoom('guild');
    await ben.joinRoom('guild');
    await cat.joinRoom('guild');
    await ann.sendRoom('guild', 'before failover');
    await ben.waitForMessage((m) => m.text === 'before failover');
    await cat.waitForMessage((m) => m.text === 'before failover');

    await cluster.kill(leaderId);
    // A direct message between the survivors while no leader is known: stored, held, pushed once a leader is back.
    const held = await ann.sendDirect('ben', 'sent during the election');
    expect(held.delivered).toBe(true);
    await ben.waitForMessage((m) => m.text === 'sent during the election', 20_000);
    // While no leader is known, room commands answer 503 and the client retries.
    await sendUntilAccepted(
      () => ann.sendRoom('guild', 'after failover'),
      'a room send accepted by the new leader',
    );
    const got = await ben.waitForMessage((m) => m.text === 'after failover', 10_000);
    expect(got.from).toBe('ann');
    const { leaderId: newLeader, epoch: newEpoch } = await cluster.waitForLeader();
    expect(newLeader).not.toBe(leaderId);
    expect(newEpoch).toBeGreaterThan(epoch);

    // cat's node died: cat reconnects to a survivor and room traffic reaches cat again.
    const cat2 = await cluster.login(f2, 'cat');
    await ben.sendRoom('guild', 'welcome back cat');
    await cat2.waitForMessage((m) => m.text === 'welcome back cat');
    await ben.sendChannel(Channel.CHANNEL_WORLD, 'world after failover');
    await ann.waitForMessage((m) => m.text === 'world after failover');

    // The new leader resets hot words now.
    await waitFor(() => cluster.node(newLeader).logTail.some((l) => l.includes('"hot_words_reset"')), {
      what: 'the new leader to reset the hot words',
      timeoutMs: 10_000,
    });
    await cluster.startNode(leaderId);
  });

  it('keeps room membership across a restart of every node', async () => {
    for (const id of [...cluster.nodes.keys()]) await cluster.stopNode(id);
    await cluster.startNode('n1');
    await Promise.all([cluster.startNode('n2'), cluster.startNode('n3')]);
    await cluster.waitForLeader();
    const dan = await cluster.login('n3', 'dan');
    await sendUntilAccepted(() => dan.listRooms(), 'room list after restart');
    const guild = (await dan.listRooms()).find((r) => r.name === 'guild');
    expect(guild).toMatchObject({ memberCount: 3, isMember: false });
    const ben = await cluster.login('n1', 'ben');
    const joined = await ben.history({ room: 'guild' });
    expect(joined.messages.map((m) => m.text)).toContain('welcome back cat');
    await ben.sendRoom('guild', 'after restart');
  });
});
