/**
 * What tells a client it may have missed something, and what keeps a stale
 * directory entry from swallowing messages: three ChatNodes in this process.
 */
import type { SyncHint } from '../../gen/chat/v1/client';
import type { ChatClient } from '../../src/client/chat-client';
import { waitFor } from '../../src/core/wait-for';
import { MemoryCluster } from '../support/memory-cluster';

function hints(client: ChatClient): SyncHint[] {
  const seen: SyncHint[] = [];
  client.on('syncHint', (h) => seen.push(h));
  return seen;
}

describe('sync hints and stale sessions', () => {
  let cluster: MemoryCluster;
  let f1: string;
  let f2: string;

  beforeEach(async () => {
    // A push nobody confirms is answered delivered:false after this long.
    cluster = await MemoryCluster.start({ env: { DELIVERY_CONFIRM_MS: '100' } });
    [f1, f2] = (await cluster.followers()) as [string, string];
    for (const name of ['amy', 'bo', 'cy']) await cluster.createUser(name);
  });
  afterEach(() => cluster.stop());

  it('after a link broke with a message in flight, the recipient is told to sync that conversation', async () => {
    const amy = await cluster.login(f1, 'amy');
    const bo = await cluster.login(f2, 'bo');
    const boHints = hints(bo);
    // Cut the link right after the delivery is queued on it, before the batch leaves: it is lost.
    const transport = cluster.node(f1).transport;
    const send = transport.send.bind(transport);
    transport.send = (to, frame) => {
      const queued = send(to, frame);
      if (to === f2 && frame.body?.$case === 'deliver') queueMicrotask(() => cluster.bus.cut(f1, f2));
      return queued;
    };
    const sending = amy.sendDirect('bo', 'lost in flight');
    const ack = await sending;
    // Written into the link, but f2 never confirmed pushing it to bo: not delivered.
    expect(ack.delivered).toBe(false);
    transport.send = send;
    cluster.bus.heal(f1, f2);
    const hint = await waitFor(() => boHints.find((h) => h.all), {
      what: 'a sync hint for bo',
      timeoutMs: 2000,
      intervalMs: 5,
    });
    // The lost push may also come again once f2's sessions are heard anew (LatePushes); the hint
    // is what a client must not need luck for.
    expect(hint.positions).toContainEqual({ conversation: ack.conversation, afterSeq: ack.seq - 1 });
    const synced = await bo.sync(hint.positions);
    expect(synced.conversations[0]?.messages.map((m) => m.text)).toEqual(['lost in flight']);
  });

  it('a direct message whose sender the recipient node does not know on the sending node: not pushed, delivered:false, the recipient told to sync it', async () => {
    const bo = await cluster.login(f2, 'bo');
    const boHints = hints(bo);
    // f2 never hears of amy's login on f1, as when f1's ZooKeeper session expired while its
    // links stayed up and f2 dropped its users: f2 cannot tell the message is genuinely amy's.
    const transport = cluster.node(f1).transport;
    const send = transport.send.bind(transport);
    transport.send = (to, frame) => (to === f2 && frame.body?.$case === 'sessionEvent') || send(to, frame);
    const amy = await cluster.login(f1, 'amy');
    const ack = await amy.sendDirect('bo', 'from a node rejoining');
    expect(ack.delivered).toBe(false);
    const hint = await waitFor(() => boHints.find((h) => !h.all), {
      what: 'a sync hint for bo',
      timeoutMs: 2000,
      intervalMs: 5,
    });
    expect(bo.received()).toEqual([]);
    expect(hint.positions).toEqual([{ conversation: ack.conversation, afterSeq: ack.seq - 1 }]);
    const synced = await bo.sync(hint.positions);
    expect(synced.conversations[0]?.messages.map((m) => m.text)).toEqual(['from a node rejoining']);
    transport.send = send;
  });

  it('a direct message confirmed by the recipient node is delivered:true, also through the leader', async () => {
    const amy = await cluster.login(f1, 'amy');
    const bo = await cluster.login(f2, 'bo');
    expect((await amy.sendDirect('bo', 'straight')).delivered).toBe(true);
    cluster.bus.cut(f1, f2);
    expect((await amy.sendDirect('bo', 'relayed')).delivered).toBe(true);
    await waitFor(() => bo.received().length === 2, { what: 'both pushes', timeoutMs: 2000, intervalMs: 5 });
    cluster.bus.heal(f1, f2);
  });

  it('does not deliver to a directory entry the node it names does not have', async () => {
    const amy = await cluster.login(f1, 'amy');
    // As after Redis came back from an old snapshot: bo "is on f2", but f2 has no such session.
    await cluster.shared.directory.claim('bo', { nodeId: f2, sid: 'gone', loginAt: 1 });
    await expect(amy.sendDirect('bo', 'anyone?')).rejects.toMatchObject({ reason: 'USER_OFFLINE' });
    expect((await amy.userInfo('bo')).online).toBe(false);
    // f2 cleans up its own leftovers when the shared state comes back.
    await cluster.node(f2).node.sharedStateRecovered();
    expect(await cluster.shared.directory.get('bo')).toBeNull();
  });
});
