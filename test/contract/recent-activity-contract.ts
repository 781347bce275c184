/**
 * The RecentActivity + HotWords contract, run against Redis and the in-memory
 * adapter. `make({ flushMs })` returns an empty adapter of its own whose word
 * counts are flushed `flushMs` after the first unflushed word; `elapse(ms)`
 * lets that much time pass on the clock the adapter's timers run on.
 */
import type { HotWords, RecentActivity } from '../../src/chat/ports';
import { conversation } from '../../src/core/names';
import { RECENT_LIMIT } from '../../src/core/recent-activity';
import { waitFor } from '../../src/core/wait-for';
import type { StoredMessage } from '../../src/store/types';

export interface ActivityFixture {
  activity: RecentActivity & HotWords & { flushWords(): Promise<void> };
  elapse(ms: number): Promise<void>;
}

/** Long enough that no test sees the timer flush unless it waits for it. */
const NEVER_MS = 600_000;

function message(conv: string, seq: number, overrides: Partial<StoredMessage> = {}): StoredMessage {
  return {
    id: `${conv}#${seq}`,
    conversation: conv,
    seq,
    kind: 'room',
    from: 'alice',
    to: 'lobby',
    text: `text ${seq}`,
    ts: 1_700_000_000_000 + seq,
    ...overrides,
  };
}

export function runRecentActivityContract(
  name: string,
  make: (options: { flushMs: number }) => Promise<ActivityFixture>,
): void {
  describe(`RecentActivity + HotWords contract: ${name}`, () => {
    const lobby = conversation.room('lobby');

    describe('recent lists', () => {
      let activity: ActivityFixture['activity'];

      beforeEach(async () => {
        ({ activity } = await make({ flushMs: NEVER_MS }));
      });

      it('answers an unknown conversation with an empty list', async () => {
        expect(await activity.recent(lobby, 10)).toEqual([]);
      });

      it(`keeps the ${RECENT_LIMIT} newest messages of a conversation, newest first`, async () => {
        for (let seq = 1; seq <= RECENT_LIMIT + 10; seq++) await activity.record(message(lobby, seq), []);
        const all = await activity.recent(lobby, 1000);
        expect(all.map((m) => m.seq)).toEqual(
          Array.from({ length: RECENT_LIMIT }, (_, i) => RECENT_LIMIT + 10 - i),
        );
        expect((await activity.recent(lobby, 3)).map((m) => m.seq)).toEqual([60, 59, 58]);
      });

      it('answers a limit of zero or less with nothing', async () => {
        await activity.record(message(lobby, 1), []);
        expect(await activity.recent(lobby, 0)).toEqual([]);
        expect(await activity.recent(lobby, -1)).toEqual([]);
      });

      it('keeps every field and never mixes conversations', async () => {
        const dm = conversation.direct('alice', 'bob');
        const direct = message(dm, 1, { kind: 'direct', to: 'bob', text: 'héllo 👋 "q" \\ {}' });
        await activity.record(direct, []);
        await activity.record(message(lobby, 1), []);
        await activity.record(message(lobby, 2), []);
        expect(await activity.recent(dm, 10)).toEqual([direct]);
        expect((await activity.recent(lobby, 10)).map((m) => m.id)).toEqual([`${lobby}#2`, `${lobby}#1`]);
      });

      it('takes the messages of many conversations recorded in one turn, each into its own list in order', async () => {
        // On a Redis Cluster these keys spread over many slots; the braced two share one.
        const conversations = [
          ...Array.from({ length: 20 }, (_, i) => conversation.room(`turn${i}`)),
          'room:{shared}a',
          'room:{shared}b',
        ];
        const recorded = conversations.flatMap((conv) => [1, 2, 3].map((seq) => message(conv, seq)));
        await Promise.all(recorded.map((m) => activity.record(m, [])));
        for (const conv of conversations)
          expect((await activity.recent(conv, 10)).map((m) => m.seq)).toEqual([3, 2, 1]);
      });

      it('hands out copies: changing an answer does not change the list', async () => {
        const sent = message(lobby, 1);
        await activity.record(sent, []);
        sent.text = 'changed after recording';
        const [got] = await activity.recent(lobby, 1);
        if (got) got.text = 'changed by a reader';
        expect(await activity.recent(lobby, 1)).toEqual([message(lobby, 1)]);
      });
    });

    describe('hot words', () => {
      let activity: ActivityFixture['activity'];

      beforeEach(async () => {
        ({ activity } = await make({ flushMs: NEVER_MS }));
      });

      it('counts words only once they are flushed', async () => {
        await activity.record(message(lobby, 1), ['dragon', 'gold']);
        expect(await activity.top(10)).toEqual([]);
        await activity.flushWords();
        expect(await activity.top(10)).toEqual([
          { word: 'gold', count: 1 },
          { word: 'dragon', count: 1 },
        ]);
      });

      it('ranks by count, then (for equal counts) in reverse byte order, bounded by the limit', async () => {
        await activity.record(message(lobby, 1), ['dragon', 'gold', 'dragon', '龙']);
        await activity.record(message(lobby, 2), ['gold', 'dragon', 'apple', 'Zebra']);
        await activity.flushWords();
        expect(await activity.top(10)).toEqual([
          { word: 'dragon', count: 3 },
          { word: 'gold', count: 2 },
          { word: '龙', count: 1 },
          { word: 'apple', count: 1 },
          { word: 'Zebra', count: 1 },
        ]);
        expect((await activity.top(2)).map((w) => w.word)).toEqual(['dragon', 'gold']);
        expect(await activity.top(0)).toEqual([]);
      });

      it('adds up counts over several flushes', async () => {
        await activity.record(message(lobby, 1), ['gold']);
        await activity.flushWords();
        await activity.record(message(lobby, 2), ['gold', 'gold']);
        await activity.flushWords();
        await activity.flushWords();
        expect(await activity.top(10)).toEqual([{ word: 'gold', count: 3 }]);
      });

      it('resets the leaderboard; words gathered but not flushed count afterwards', async () => {
        await activity.record(message(lobby, 1), ['old']);
        await activity.flushWords();
        await activity.record(message(lobby, 2), ['pending']);
        await activity.reset();
        expect(await activity.top(10)).toEqual([]);
        await activity.flushWords();
        expect(await activity.top(10)).toEqual([{ word: 'pending', count: 1 }]);
        await activity.reset();
        await activity.reset();
        expect(await activity.top(10)).toEqual([]);
      });
    });

    it('flushes by itself once the flush interval has passed', async () => {
      const { activity, elapse } = await make({ flushMs: 200 });
      await activity.record(message(lobby, 1), ['soon']);
      expect(await activity.top(10)).toEqual([]);
      await elapse(200);
      await waitFor(async () => (await activity.top(10)).length > 0, {
        what: 'the timer to flush the word counts',
        timeoutMs: 5000,
        intervalMs: 10,
      });
      expect(await activity.top(10)).toEqual([{ word: 'soon', count: 1 }]);
    });
  });
}
