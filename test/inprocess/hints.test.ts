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
    cluster = await MemoryCluster.start();
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
    expect(ack.delivered).toBe(true);
    transport.send = send;
    cluster.bus.heal(f1, f2);
    const hint = await waitFor(() => boHints.find((h) => h.all), {
      what: 'a sync hint for bo',
      timeoutMs: 2000,
      intervalMs: 5,
    });
    expect(bo.received()).toEqual([]);
    expect(hint.positions).toContainEqual({ conversation: ack.conversation, afterSeq: ack.seq - 1 });
    const synced = await bo.sync(hint.positions);
    expect(synced.conversations[0]?.messages.map((m) => m.text)).toEqual(['lost in flight']);
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
