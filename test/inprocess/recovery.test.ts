/**
 * The client library's recovery (src/client/recovery) against three ChatNodes
 * in this process: what a careful client shows after a drop, a hole in a
 * conversation's numbering, and a send whose node went away.
 */
import type { ChatMessage } from '../../gen/chat/v1/client';
import { rotatingLocator, ResilientClient } from '../../src/client/recovery';
import type { ShownOrigin } from '../../src/client/recovery';
import { conversation } from '../../src/core/names';
import { waitFor } from '../../src/core/wait-for';
import { MEMORY_PASSWORD, MemoryCluster } from '../support/memory-cluster';

describe('ResilientClient in a one-process cluster', () => {
  let cluster: MemoryCluster;
  const resilient: ResilientClient[] = [];

  beforeEach(async () => {
    cluster = await MemoryCluster.start();
    for (const name of ['amy', 'bo', 'cy']) await cluster.createUser(name);
  });
  afterEach(async () => {
    await Promise.all(resilient.splice(0).map((c) => c.close()));
    await cluster.stop();
  });

  /** A resilient client of `user` that starts on `nodeId`; `shown` collects what it shows. */
  async function careful(user: string, nodeId: string) {
    const shown: Array<{ m: ChatMessage; origin: ShownOrigin }> = [];
    const nodes = () => cluster.nodeIds().map((id) => ({ nodeId: id, url: `memory://${id}` }));
    const client = new ResilientClient({
      locate: rotatingLocator(nodes, Math.max(0, cluster.nodeIds().indexOf(nodeId))),
      connect: (url) => Promise.resolve(cluster.connect(url.slice('memory://'.length))),
      listener: { message: (m, origin) => shown.push({ m, origin }) },
      backoff: { initialMs: 5, maxMs: 50 },
      gapGraceMs: 20,
    });
    resilient.push(client);
    await client.login(user, MEMORY_PASSWORD);
    await client.loginCatchUp();
    return { client, shown, texts: () => shown.map((s) => s.m.text) };
  }
  type Careful = Awaited<ReturnType<typeof careful>>;

  /**
   * amy's "first" reaches bo; then amy's "stored, not pushed" is stored but
   * never pushed (as when a link drops the frame): the store numbers it 2.
   */
  async function firstThenUnpushed(amy: Careful, bo: Careful): Promise<void> {
    await amy.client.sendDirect('bo', 'first');
    await waitFor(() => bo.texts().includes('first'), { what: 'bo to see "first"' });
    await cluster.shared.store.messages.appendNext({
      id: 'unpushed-1',
      conversation: conversation.direct('amy', 'bo'),
      kind: 'direct',
      from: 'amy',
      to: 'bo',
      text: 'stored, not pushed',
      ts: Date.now(),
    });
  }

  /** Makes the shared store's range reads (what Sync serves) fail until `restore()`, counting them. */
  function failStoreReads(): { readonly failed: number; restore(): void } {
    const messages = cluster.shared.store.messages;
    const after = messages.after.bind(messages);
    let failed = 0;
    messages.after = () => {
      failed++;
      return Promise.reject(new Error('the store is away'));
    };
    return {
      get failed() {
        return failed;
      },
      restore: () => {
        messages.after = after;
      },
    };
  }

  it('after its node stops, resumes elsewhere and shows what it missed meanwhile, once', async () => {
    const [f1, f2] = (await cluster.followers()) as [string, string];
    const amy = await careful('amy', f1);
    const bo = await careful('bo', f2);
    await amy.client.createRoom('lobby');
    await bo.client.joinRoom('lobby');
    await amy.client.sendRoom('lobby', 'one');
    await waitFor(() => bo.texts().includes('one'), { what: 'bo to see "one"' });

    await cluster.stopNode(f2);
    // Sent while bo reconnects: only the catch-up after the resume can bring it.
    const ack = await amy.client.sendRoom('lobby', 'two');
    await waitFor(() => bo.texts().includes('two'), { what: 'bo to see "two" after reconnecting' });
    expect(bo.client.nodeId).not.toBe(f2);
    expect(bo.texts().filter((t) => t === 'two')).toHaveLength(1);
    expect(bo.shown.find((s) => s.m.id === ack.id)?.origin).toMatch(/live|missed/);
    // Her own messages show once each: from the acknowledgement or from the room's echo, whichever came first.
    expect(amy.texts()).toEqual(['one', 'two']);
  });

  it('syncs the hole before a pushed message whose seq skips one, and shows them in order', async () => {
    const [f1, f2] = (await cluster.followers()) as [string, string];
    const amy = await careful('amy', f1);
    const bo = await careful('bo', f2);
    await firstThenUnpushed(amy, bo);
    await amy.client.sendDirect('bo', 'third');
    await waitFor(() => bo.texts().includes('third'), { what: 'bo to see "third"' });
    expect(bo.texts()).toEqual(['first', 'stored, not pushed', 'third']);
    // The sync that fills the hole may bring "third" too; the push of it is then not shown again.
    expect(bo.shown.map((s) => s.origin).slice(0, 2)).toEqual(['live', 'missed']);
  });

  it('keeps a message behind its hole while the store cannot serve the sync, and shows both in order once it can', async () => {
    const [f1, f2] = (await cluster.followers()) as [string, string];
    const amy = await careful('amy', f1);
    const bo = await careful('bo', f2);
    const cy = await careful('cy', f1);
    await firstThenUnpushed(amy, bo);
    // Reads of the store fail for a while, as when its file or server is away: bo's sync of the hole fails.
    const reads = failStoreReads();
    try {
      await amy.client.sendDirect('bo', 'third');
      await waitFor(() => reads.failed >= 2, { what: 'bo to try the sync twice' });
      expect(bo.texts()).toEqual(['first']);
      // Another conversation has no hole: its message is shown while the sync is still retried.
      await cy.client.sendDirect('bo', 'from cy');
      await waitFor(() => bo.texts().includes('from cy'), { what: 'bo to see "from cy"' });
      expect(bo.texts()).toEqual(['first', 'from cy']);
    } finally {
      reads.restore();
    }
    await waitFor(() => bo.texts().length === 4, { what: 'bo to see all four' });
    expect(bo.texts()).toEqual(['first', 'from cy', 'stored, not pushed', 'third']);
  });

  it('stops retrying the sync of a hole once its session is replaced, and shows what waited behind it', async () => {
    const [f1, f2] = (await cluster.followers()) as [string, string];
    const amy = await careful('amy', f1);
    const bo = await careful('bo', f2);
    await firstThenUnpushed(amy, bo);
    const reads = failStoreReads();
    try {
      await amy.client.sendDirect('bo', 'third');
      await waitFor(() => reads.failed >= 1, { what: 'bo to try the sync' });
      // bo logs in elsewhere: this session is over, and no connection will come back to sync on.
      const elsewhere = cluster.connect(f1);
      await elsewhere.login('bo', MEMORY_PASSWORD);
      await waitFor(() => bo.client.ended !== undefined, { what: "bo's first session to end" });
      // Well within the 15 s the sync would otherwise keep trying.
      await waitFor(() => bo.texts().includes('third'), { what: 'bo to show "third"', timeoutMs: 3000 });
      expect(bo.texts()).toEqual(['first', 'third']);
      await elsewhere.close();
    } finally {
      reads.restore();
    }
  });

  it('retries a send whose node stopped with the same key: one stored message, one acknowledgement', async () => {
    const [f1, f2] = (await cluster.followers()) as [string, string];
    const amy = await careful('amy', f1);
    const bo = await careful('bo', f2);
    const sending = amy.client.sendDirect('bo', 'across the stop', 'key-1');
    await cluster.stopNode(f1);
    const ack = await sending;
    const again = await amy.client.sendDirect('bo', 'across the stop', 'key-1');
    expect(again).toMatchObject({ id: ack.id, seq: ack.seq });
    await waitFor(() => bo.texts().includes('across the stop'), { what: 'bo to see the message' });
    const stored = await cluster.shared.store.messages.after(conversation.direct('amy', 'bo'), 0, 10);
    expect(stored.map((m) => m.text)).toEqual(['across the stop']);
  });
});
