import { RecentHistory } from '../../src/chat/recent-history';
import { conversation } from '../../src/core/names';
import { MemoryRecentActivity } from '../../src/memory/activity';
import { createMemoryStore } from '../../src/store/memory';
import type { StoredMessage } from '../../src/store/types';

const lobby = conversation.room('lobby');

async function setUp(stored: number, listed: number[]) {
  const store = createMemoryStore();
  const activity = new MemoryRecentActivity();
  const messages: StoredMessage[] = [];
  for (let i = 1; i <= stored; i++) {
    const { message } = await store.messages.appendNext({
      id: `m${i}`,
      conversation: lobby,
      kind: 'room',
      from: 'amy',
      to: 'lobby',
      text: `text ${i}`,
      ts: 1000 + i,
    });
    messages.push(message);
  }
  for (const seq of listed) await activity.record(messages[seq - 1] as StoredMessage, []);
  return new RecentHistory({ activity, messages: store.messages });
}

const seqs = (list: StoredMessage[]) => list.map((m) => m.seq);

describe('RecentHistory', () => {
  it('answers from the list when it is up to date', async () => {
    const recent = await setUp(5, [1, 2, 3, 4, 5]);
    expect(seqs(await recent.newest(lobby, 3))).toEqual([5, 4, 3]);
  });

  it('puts what the store has after the list head in front: a push still in its window is not missed', async () => {
    const recent = await setUp(6, [1, 2, 3, 4]);
    expect(seqs(await recent.newest(lobby, 10))).toEqual([6, 5, 4, 3, 2, 1]);
    expect(seqs(await recent.newest(lobby, 3))).toEqual([6, 5, 4]);
  });

  it('keeps only the run below the head that has no gap (a failed push left a hole)', async () => {
    const recent = await setUp(6, [1, 2, 4, 5]);
    expect(seqs(await recent.newest(lobby, 10))).toEqual([6, 5, 4]);
  });

  it('reads the store page when the list is empty or further behind than the page', async () => {
    expect(seqs(await (await setUp(4, [])).newest(lobby, 10))).toEqual([4, 3, 2, 1]);
    expect(seqs(await (await setUp(9, [1, 2])).newest(lobby, 3))).toEqual([9, 8, 7]);
  });

  it('answers a limit of zero with nothing', async () => {
    expect(await (await setUp(2, [1, 2])).newest(lobby, 0)).toEqual([]);
  });
});
