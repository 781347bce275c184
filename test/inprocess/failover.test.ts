/**
 * Leader changes and session expiry on three ChatNodes in this process.
 * ZooKeeper is the in-memory ensemble, so an expiry happens at once and the
 * cluster settles in a few event-loop turns.
 */
import { CloseCode } from '../../src/protocol/close-codes';
import { waitFor } from '../../src/core/wait-for';
import { MemoryCluster } from '../support/memory-cluster';

describe('leader changes in a one-process cluster', () => {
  let cluster: MemoryCluster;

  beforeEach(async () => {
    cluster = await MemoryCluster.start();
    for (const name of ['amy', 'bo', 'cy']) await cluster.createUser(name);
  });
  afterEach(() => cluster.stop());

  /** amy, bo and cy each on one node, all in room `lobby`. */
  async function roomOnEveryNode() {
    const { leaderId } = await cluster.waitForLeader();
    const [f1, f2] = (await cluster.followers()) as [string, string];
    const amy = await cluster.login(f1, 'amy');
    const bo = await cluster.login(f2, 'bo');
    const cy = await cluster.login(leaderId, 'cy');
    await amy.createRoom('lobby');
    await bo.joinRoom('lobby');
    await cy.joinRoom('lobby');
    return { leaderId, f1, f2, amy, bo, cy };
  }

  it('a new leader after a clean stop serves the room to members on every remaining node', async () => {
    const { leaderId, epoch } = await cluster.waitForLeader();
    const { amy, bo } = await roomOnEveryNode();
    await cluster.stopNode(leaderId);
    const next = await cluster.waitForLeader('a new leader');
    expect(next.epoch).toBeGreaterThan(epoch);
    const ack = await amy.sendRoom('lobby', 'after the handover');
    await Promise.all([amy, bo].map((c) => c.waitForMessage((m) => m.id === ack.id)));
  });

  it('keeps pushing room messages to a follower’s users after its ZooKeeper session expired', async () => {
    const { f1, f2, amy, bo } = await roomOnEveryNode();
    // Its links stay up; the others drop its presence and must ask for it again when it is back.
    cluster.ensemble.expire(f2);
    await cluster.waitForLeader('f2 registered again');
    const ack = await amy.sendRoom('lobby', 'after the expiry');
    await bo.waitForMessage((m) => m.id === ack.id);
    const dm = await amy.sendDirect('bo', 'and a direct one');
    await bo.waitForMessage((m) => m.id === dm.id);
    expect(f1).not.toBe(f2);
  });

  it('the leader steps down at once when its session expires, and the next one serves the rooms', async () => {
    const { leaderId, amy, bo, cy } = await roomOnEveryNode();
    cluster.ensemble.expire(leaderId);
    expect(cluster.node(leaderId).coordinator.isLeader()).toBe(false);
    const next = await cluster.waitForLeader('the next leader');
    expect(next.leaderId).not.toBe(leaderId);
    const ack = await bo.sendRoom('lobby', 'new leader');
    await Promise.all([amy, bo, cy].map((c) => c.waitForMessage((m) => m.id === ack.id)));
  });

  it('serves rooms after a store error while the new leader loaded them', async () => {
    const { leaderId, amy, bo } = await roomOnEveryNode();
    const rooms = cluster.shared.store.rooms;
    const list = rooms.list.bind(rooms);
    let failures = 1;
    rooms.list = () => (failures-- > 0 ? Promise.reject(new Error('store hiccup')) : list());
    await cluster.stopNode(leaderId);
    await cluster.waitForLeader('a new leader');
    // The first operation may meet the failed load; the next one loads again.
    await amy.sendRoom('lobby', 'first try').catch(() => undefined);
    const ack = await amy.sendRoom('lobby', 'rooms are back');
    await bo.waitForMessage((m) => m.id === ack.id);
    expect(failures).toBeLessThan(0);
  });

  it('leaves nothing behind when a login fails half-way', async () => {
    const { f1, f2 } = await roomOnEveryNode();
    await cluster.createUser('di');
    const tokens = cluster.shared.tokens;
    const issue = tokens.issue.bind(tokens);
    tokens.issue = () => Promise.reject(new Error('shared state unreachable'));
    const di = cluster.connect(f1);
    await expect(di.login('di', 'pw-memory-1')).rejects.toMatchObject({ code: 500 });
    tokens.issue = issue;
    expect(await cluster.shared.directory.get('di')).toBeNull();
    const bo = await cluster.login(f2, 'bo');
    await expect(bo.sendDirect('di', 'are you on?')).rejects.toMatchObject({ reason: 'USER_OFFLINE' });
    expect((await bo.userInfo('di')).online).toBe(false);
  });

  it('drains on a clean stop: what clients sent is answered, then they are told to reconnect', async () => {
    const [f1, f2] = (await cluster.followers()) as [string, string];
    const amy = await cluster.login(f1, 'amy');
    const bo = await cluster.login(f2, 'bo');
    // The store holds every write until told to go on, so the sends are surely in flight at the stop.
    const messages = cluster.shared.store.messages;
    const appendNext = messages.appendNext.bind(messages);
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let held = 0;
    messages.appendNext = async (m) => {
      held++;
      await gate;
      return appendNext(m);
    };
    const sends = Array.from({ length: 8 }, (_, i) => amy.sendDirect('bo', `before the stop ${i}`));
    await waitFor(() => held === 8, { what: 'eight sends in the store', timeoutMs: 2000, intervalMs: 2 });
    const stopping = cluster.stopNode(f1);
    open();
    const acks = await Promise.all(sends);
    messages.appendNext = appendNext;
    expect(acks.map((a) => a.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(await amy.waitClosed()).toMatchObject({ code: CloseCode.SERVER_SHUTDOWN });
    await stopping;
    await bo.waitForMessage((m) => m.id === acks[7]?.id);
  });
});
