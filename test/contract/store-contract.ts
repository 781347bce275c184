/**
 * The Store contract, written once and run against every adapter (SQLite
 * always, MongoDB when MONGO_URL is set). `makeStore` must return a fresh,
 * empty store with the default text limit; the suite closes it after each test.
 */
import { Conflict, InvalidArgument, NotFound, TooLarge } from '../../src/core/errors';
import { conversation } from '../../src/core/names';
import type { Store, StoredMessage } from '../../src/store/types';
import { DEFAULT_MAX_TEXT_LENGTH } from '../../src/store/validation';

/** Small scrypt cost for tests; adapters under test should be built with it. */
export const TEST_SCRYPT = { N: 2 ** 10, r: 8, p: 1 };

const WORLD = conversation.world();

function message(conv: string, seq: number, overrides: Partial<StoredMessage> = {}): StoredMessage {
  return {
    id: `${conv}#${seq}`,
    conversation: conv,
    seq,
    kind: 'world',
    from: 'alice',
    to: 'world',
    text: `text ${seq} of ${conv}`,
    ts: 1_700_000_000_000 + seq,
    ...overrides,
  };
}

async function appendRange(store: Store, conv: string, from: number, to: number): Promise<void> {
  for (let seq = from; seq <= to; seq += 1) await store.messages.append(message(conv, seq));
}

/** Follows cursors to the end; bounded so a cursor bug fails instead of looping. */
async function readAllPages(store: Store, conv: string, limit: number): Promise<StoredMessage[][]> {
  const pages: StoredMessage[][] = [];
  let cursor = '';
  for (let i = 0; i < 1000; i += 1) {
    const page = await store.messages.page(conv, { limit, cursor });
    pages.push(page.messages);
    if (page.nextCursor === '') return pages;
    cursor = page.nextCursor;
  }
  throw new Error('paging did not end after 1000 pages');
}

export function runStoreContract(name: string, makeStore: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;

    beforeEach(async () => {
      store = await makeStore();
    });

    afterEach(async () => {
      await store.close();
    });

    describe('users', () => {
      it('creates a user with an alliance and finds it without exposing the hash', async () => {
        const created = await store.users.create({ username: 'alice', password: 's3cret', alliance: 'red' });
        expect(created).toEqual({ username: 'alice', alliance: 'red', createdAt: expect.any(Number) });
        expect(await store.users.find('alice')).toEqual(created);
        expect(await store.users.find('bob')).toBeNull();
        expect(await store.users.count()).toBe(1);
      });

      it('stores no alliance as an empty string', async () => {
        await store.users.create({ username: 'loner', password: 'pw' });
        expect((await store.users.find('loner'))?.alliance).toBe('');
      });

      it('rejects a taken username with Conflict and keeps the first password', async () => {
        await store.users.create({ username: 'alice', password: 'first', alliance: 'red' });
        const second = store.users.create({ username: 'alice', password: 'second', alliance: 'blue' });
        await expect(second).rejects.toBeInstanceOf(Conflict);
        await expect(second).rejects.toMatchObject({ code: 409, reason: 'USERNAME_TAKEN' });
        expect(await store.users.count()).toBe(1);
        expect((await store.users.verifyPassword('alice', 'first'))?.alliance).toBe('red');
        expect(await store.users.verifyPassword('alice', 'second')).toBeNull();
      });

      it('lets exactly one of two simultaneous sign-ups of one name win', async () => {
        const results = await Promise.allSettled([
          store.users.create({ username: 'race', password: 'a' }),
          store.users.create({ username: 'race', password: 'b' }),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const rejected = results.find((r) => r.status === 'rejected');
        expect(rejected?.status === 'rejected' && rejected.reason).toBeInstanceOf(Conflict);
        expect(await store.users.count()).toBe(1);
      });

      it('answers the right password with the user, and a wrong password or unknown user with null', async () => {
        const alice = await store.users.create({ username: 'alice', password: 'correct', alliance: 'red' });
        expect(await store.users.verifyPassword('alice', 'correct')).toEqual(alice);
        expect(await store.users.verifyPassword('alice', 'wrong')).toBeNull();
        expect(await store.users.verifyPassword('alice', '')).toBeNull();
        expect(await store.users.verifyPassword('nobody', 'correct')).toBeNull();
        expect(await store.users.verifyPassword('', 'correct')).toBeNull();
      });

      it('rejects empty or malformed input with InvalidArgument and stores nothing', async () => {
        await expect(store.users.create({ username: '', password: 'pw' })).rejects.toBeInstanceOf(
          InvalidArgument,
        );
        await expect(store.users.create({ username: 'a', password: '' })).rejects.toBeInstanceOf(
          InvalidArgument,
        );
        await expect(store.users.create({ username: ' a', password: 'pw' })).rejects.toBeInstanceOf(
          InvalidArgument,
        );
        await expect(store.users.create({ username: 'a\nb', password: 'pw' })).rejects.toBeInstanceOf(
          InvalidArgument,
        );
        await expect(store.users.create({ username: 'x'.repeat(65), password: 'pw' })).rejects.toBeInstanceOf(
          InvalidArgument,
        );
        expect(await store.users.count()).toBe(0);
      });
    });

    describe('rooms', () => {
      it('creates, lists (sorted by name) and gets rooms; a second create is a Conflict', async () => {
        const lobby = await store.rooms.create('lobby');
        expect(lobby).toEqual({ name: 'lobby', members: [], createdAt: expect.any(Number) });
        await store.rooms.create('arena');
        await expect(store.rooms.create('lobby')).rejects.toMatchObject({ code: 409, reason: 'ROOM_EXISTS' });
        expect((await store.rooms.list()).map((r) => r.name)).toEqual(['arena', 'lobby']);
        expect(await store.rooms.get('lobby')).toEqual(lobby);
        expect(await store.rooms.get('nowhere')).toBeNull();
      });

      it('adds and removes members idempotently and returns them sorted', async () => {
        await store.rooms.create('lobby');
        await store.rooms.create('arena');
        await store.rooms.addMember('lobby', 'carol');
        await store.rooms.addMember('lobby', 'alice');
        await store.rooms.addMember('lobby', 'alice');
        await store.rooms.addMember('arena', 'bob');
        expect((await store.rooms.get('lobby'))?.members).toEqual(['alice', 'carol']);
        expect((await store.rooms.list()).map((r) => [r.name, r.members])).toEqual([
          ['arena', ['bob']],
          ['lobby', ['alice', 'carol']],
        ]);
        await store.rooms.removeMember('lobby', 'alice');
        await store.rooms.removeMember('lobby', 'alice');
        await store.rooms.removeMember('lobby', 'nobody');
        expect((await store.rooms.get('lobby'))?.members).toEqual(['carol']);
        expect((await store.rooms.get('arena'))?.members).toEqual(['bob']);
      });

      it('answers NotFound for an unknown room on add, remove and delete', async () => {
        await expect(store.rooms.addMember('ghost', 'alice')).rejects.toBeInstanceOf(NotFound);
        await expect(store.rooms.removeMember('ghost', 'alice')).rejects.toBeInstanceOf(NotFound);
        await expect(store.rooms.delete('ghost')).rejects.toMatchObject({
          code: 404,
          reason: 'ROOM_NOT_FOUND',
        });
        expect(await store.rooms.list()).toEqual([]);
      });

      it('deletes a room with its membership; a new room of that name starts empty', async () => {
        await store.rooms.create('lobby');
        await store.rooms.create('arena');
        await store.rooms.addMember('lobby', 'alice');
        await store.rooms.delete('lobby');
        expect(await store.rooms.get('lobby')).toBeNull();
        expect((await store.rooms.list()).map((r) => r.name)).toEqual(['arena']);
        await expect(store.rooms.addMember('lobby', 'bob')).rejects.toBeInstanceOf(NotFound);
        await store.rooms.create('lobby');
        expect((await store.rooms.get('lobby'))?.members).toEqual([]);
      });

      it('sorts rooms and members by their bytes, upper case before lower case', async () => {
        for (const name of ['b', 'é', 'B', 'a']) await store.rooms.create(name);
        for (const user of ['zoë', 'Zed', 'adam']) await store.rooms.addMember('a', user);
        expect((await store.rooms.list()).map((r) => r.name)).toEqual(['B', 'a', 'b', 'é']);
        expect((await store.rooms.get('a'))?.members).toEqual(['Zed', 'adam', 'zoë']);
      });

      it('hands out copies: changing an answer does not change the room', async () => {
        await store.rooms.create('lobby');
        await store.rooms.addMember('lobby', 'alice');
        (await store.rooms.get('lobby'))?.members.push('mallory');
        const [listed] = await store.rooms.list();
        listed?.members.splice(0);
        expect((await store.rooms.get('lobby'))?.members).toEqual(['alice']);
      });

      it('rejects invalid room names with InvalidArgument', async () => {
        await expect(store.rooms.create('')).rejects.toBeInstanceOf(InvalidArgument);
        await expect(store.rooms.create('r'.repeat(65))).rejects.toBeInstanceOf(InvalidArgument);
        expect(await store.rooms.list()).toEqual([]);
      });
    });

    describe('messages', () => {
      describe('appendNext (the store numbers messages)', () => {
        const draft = (id: string, conv = WORLD) => ({
          id,
          conversation: conv,
          kind: 'world' as const,
          from: 'alice',
          to: 'world',
          text: `text of ${id}`,
          ts: 1_700_000_000_000,
        });

        it('numbers messages 1, 2, 3... per conversation', async () => {
          const a = await store.messages.appendNext(draft('a'));
          const b = await store.messages.appendNext(draft('b'));
          const other = await store.messages.appendNext(draft('c', conversation.room('lobby')));
          expect([a.message.seq, b.message.seq, other.message.seq]).toEqual([1, 2, 1]);
          expect([a.created, b.created, other.created]).toEqual([true, true, true]);
          expect(await store.messages.latestSeq(WORLD)).toBe(2);
        });

        it('continues after messages stored with explicit numbers', async () => {
          await appendRange(store, WORLD, 1, 7);
          expect((await store.messages.appendNext(draft('next'))).message.seq).toBe(8);
        });

        it('returns the first write for a repeated id: stored once, same seq', async () => {
          const first = await store.messages.appendNext(draft('retry'));
          await store.messages.appendNext(draft('between'));
          const again = await store.messages.appendNext({ ...draft('retry'), text: 'a retried copy', ts: 1 });
          expect(again).toEqual({ message: first.message, created: false });
          expect((await store.messages.page(WORLD, { limit: 10 })).messages.map((m) => m.id)).toEqual([
            'between',
            'retry',
          ]);
        });

        it('returns the first write for a repeated idempotency in a conversation, whatever the id', async () => {
          const first = await store.messages.appendNext({ ...draft('try-1'), idempotency: 'send-7' });
          const again = await store.messages.appendNext({
            ...draft('try-2'),
            idempotency: 'send-7',
            text: 'retry',
          });
          expect(again).toEqual({ message: first.message, created: false });
          expect(first.message.id).toBe('try-1');
          // The same idempotency in another conversation is another send.
          const elsewhere = await store.messages.appendNext({
            ...draft('try-3', conversation.room('lobby')),
            idempotency: 'send-7',
          });
          expect(elsewhere.created).toBe(true);
          // Within one batch too.
          const [a, b] = await Promise.all([
            store.messages.appendNext({ ...draft('batch-1'), idempotency: 'send-8' }),
            store.messages.appendNext({ ...draft('batch-2'), idempotency: 'send-8' }),
          ]);
          expect(a?.created).toBe(true);
          expect(b).toEqual({ message: a?.message, created: false });
          expect(await store.messages.latestSeq(WORLD)).toBe(2);
        });

        it('finds the direct conversations a user missed since a time', async () => {
          const dm = (id: string, from: string, to: string, ts: number) => ({
            id,
            conversation: conversation.direct(from, to),
            kind: 'direct' as const,
            from,
            to,
            text: id,
            ts,
          });
          await store.messages.appendNext(dm('old', 'bob', 'alice', 100));
          await store.messages.appendNext(dm('new1', 'bob', 'alice', 200));
          await store.messages.appendNext(dm('new2', 'bob', 'alice', 300));
          await store.messages.appendNext(dm('mine', 'alice', 'carol', 400));
          await store.messages.appendNext(dm('carol', 'carol', 'alice', 500));
          expect(await store.messages.missedDirect('alice', 150, 10)).toEqual([
            { conversation: conversation.direct('alice', 'bob'), afterSeq: 1 },
            { conversation: conversation.direct('alice', 'carol'), afterSeq: 1 },
          ]);
          expect(await store.messages.missedDirect('alice', 150, 1)).toHaveLength(1);
          expect(await store.messages.missedDirect('alice', 500, 10)).toEqual([]);
        });

        it('gives concurrent appends distinct numbers without gaps', async () => {
          const results = await Promise.all(
            Array.from({ length: 40 }, (_, i) => store.messages.appendNext(draft(`p${i}`))),
          );
          expect(results.map((r) => r.message.seq).sort((x, y) => x - y)).toEqual(
            Array.from({ length: 40 }, (_, i) => i + 1),
          );
        });

        it('numbers the appends of one turn in call order, and a repeat within them once', async () => {
          const results = await Promise.all([
            store.messages.appendNext(draft('t1')),
            store.messages.appendNext(draft('t2', conversation.room('lobby'))),
            store.messages.appendNext(draft('t3')),
            store.messages.appendNext({ ...draft('t1'), text: 'the same id again' }),
            store.messages.appendNext(draft('t4')),
          ]);
          expect(results.map((r) => [r.message.id, r.message.seq, r.created])).toEqual([
            ['t1', 1, true],
            ['t2', 1, true],
            ['t3', 2, true],
            ['t1', 1, false],
            ['t4', 3, true],
          ]);
          expect(results[3]?.message.text).toBe('text of t1');
          expect(await store.messages.latestSeq(WORLD)).toBe(3);
        });

        it('rejects oversized text without storing or numbering it', async () => {
          await store.messages.appendNext(draft('ok'));
          await expect(
            store.messages.appendNext({ ...draft('big'), text: 'x'.repeat(DEFAULT_MAX_TEXT_LENGTH + 1) }),
          ).rejects.toBeInstanceOf(TooLarge);
          expect((await store.messages.appendNext(draft('ok2'))).message.seq).toBe(2);
        });
      });

      it('hands out copies: changing an answer does not change the stored message', async () => {
        const sent = message(WORLD, 1);
        await store.messages.append(sent);
        sent.text = 'changed after the append';
        const [paged] = (await store.messages.page(WORLD, { limit: 1 })).messages;
        if (paged) paged.text = 'changed by a reader';
        const [after] = await store.messages.after(WORLD, 0, 1);
        if (after) after.seq = 99;
        expect(await store.messages.after(WORLD, 0, 10)).toEqual([message(WORLD, 1)]);
      });

      it('keeps every field of a message', async () => {
        const conv = conversation.direct('alice', 'bob');
        const sent = message(conv, 1, { kind: 'direct', to: 'bob', text: 'héllo 👋 "quoted" \\ $x' });
        await store.messages.append(sent);
        expect((await store.messages.page(conv, { limit: 10 })).messages).toEqual([sent]);
      });

      it('pages 120 messages newest first, each exactly once across pages', async () => {
        await appendRange(store, WORLD, 1, 120);
        const pages = await readAllPages(store, WORLD, 25);
        expect(pages.map((p) => p.length)).toEqual([25, 25, 25, 25, 20]);
        const seqs = pages.flat().map((m) => m.seq);
        expect(seqs).toEqual(Array.from({ length: 120 }, (_, i) => 120 - i));
        expect(new Set(pages.flat().map((m) => m.id)).size).toBe(120);
      });

      it('ends paging exactly when the last page is full, without an empty extra page', async () => {
        await appendRange(store, WORLD, 1, 100);
        const first = await store.messages.page(WORLD, { limit: 50 });
        expect(first.nextCursor).not.toBe('');
        const second = await store.messages.page(WORLD, { limit: 50, cursor: first.nextCursor });
        expect(second.messages.map((m) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 50 - i));
        expect(second.nextCursor).toBe('');
      });

      it('keeps paging stable while new messages arrive', async () => {
        await appendRange(store, WORLD, 1, 30);
        const first = await store.messages.page(WORLD, { limit: 10 });
        await appendRange(store, WORLD, 31, 40);
        const rest = await store.messages.page(WORLD, { limit: 100, cursor: first.nextCursor });
        expect(rest.messages.map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => 20 - i));
      });

      it('answers an empty conversation with an empty page and latestSeq 0', async () => {
        expect(await store.messages.page('room:empty', { limit: 10 })).toEqual({
          messages: [],
          nextCursor: '',
        });
        expect(await store.messages.after('room:empty', 0, 10)).toEqual([]);
        expect(await store.messages.latestSeq('room:empty')).toBe(0);
      });

      it('never mixes two conversations', async () => {
        const lobby = conversation.room('lobby');
        const red = conversation.alliance('red');
        for (let seq = 1; seq <= 20; seq += 1) {
          await store.messages.append(message(lobby, seq, { kind: 'room', to: 'lobby' }));
          await store.messages.append(message(red, seq, { kind: 'alliance', to: 'red' }));
        }
        await store.messages.append(message(red, 21, { kind: 'alliance', to: 'red' }));
        const lobbyAll = (await readAllPages(store, lobby, 7)).flat();
        const redAll = (await readAllPages(store, red, 7)).flat();
        expect(lobbyAll).toHaveLength(20);
        expect(redAll).toHaveLength(21);
        expect(lobbyAll.every((m) => m.conversation === lobby)).toBe(true);
        expect(redAll.every((m) => m.conversation === red)).toBe(true);
        expect(await store.messages.latestSeq(lobby)).toBe(20);
        expect(await store.messages.latestSeq(red)).toBe(21);
        expect((await store.messages.after(lobby, 18, 100)).map((m) => m.id)).toEqual([
          `${lobby}#19`,
          `${lobby}#20`,
        ]);
      });

      it('returns the gap after a sequence number oldest first, bounded by the limit', async () => {
        await appendRange(store, WORLD, 1, 30);
        expect((await store.messages.after(WORLD, 25, 100)).map((m) => m.seq)).toEqual([26, 27, 28, 29, 30]);
        expect((await store.messages.after(WORLD, 10, 3)).map((m) => m.seq)).toEqual([11, 12, 13]);
        expect(await store.messages.after(WORLD, 30, 10)).toEqual([]);
        expect(await store.messages.latestSeq(WORLD)).toBe(30);
      });

      it('treats a second append of the same id as a no-op (the first write wins)', async () => {
        const first = message(WORLD, 1);
        await store.messages.append(first);
        await store.messages.append(first);
        await store.messages.append({ ...first, text: 'a retried copy with other text' });
        const page = await store.messages.page(WORLD, { limit: 10 });
        expect(page.messages).toEqual([first]);
      });

      it('rejects another id on a taken sequence number with Conflict', async () => {
        const first = message(WORLD, 1);
        await store.messages.append(first);
        await expect(store.messages.append({ ...first, id: 'other-id' })).rejects.toMatchObject({
          code: 409,
          reason: 'SEQ_TAKEN',
        });
        expect((await store.messages.page(WORLD, { limit: 10 })).messages).toEqual([first]);
      });

      it('rejects oversized text with TooLarge and loses nothing stored before', async () => {
        await appendRange(store, WORLD, 1, 5);
        const big = message(WORLD, 6, { text: 'x'.repeat(DEFAULT_MAX_TEXT_LENGTH + 1) });
        await expect(store.messages.append(big)).rejects.toBeInstanceOf(TooLarge);
        expect(await store.messages.latestSeq(WORLD)).toBe(5);
        expect((await readAllPages(store, WORLD, 2)).flat().map((m) => m.seq)).toEqual([5, 4, 3, 2, 1]);
        // The refused seq stays free for the message that was meant to go there.
        await store.messages.append(message(WORLD, 6));
        expect(await store.messages.latestSeq(WORLD)).toBe(6);
      });

      it('counts the text limit in characters, not UTF-16 units', async () => {
        const emoji = '🎉'.repeat(DEFAULT_MAX_TEXT_LENGTH);
        await store.messages.append(message(WORLD, 1, { text: emoji }));
        expect((await store.messages.page(WORLD, { limit: 1 })).messages[0]?.text).toBe(emoji);
        await expect(store.messages.append(message(WORLD, 2, { text: `${emoji}!` }))).rejects.toBeInstanceOf(
          TooLarge,
        );
      });

      it.each<[string, Partial<StoredMessage>]>([
        ['an empty id', { id: '' }],
        ['an empty conversation', { conversation: '' }],
        ['seq 0', { seq: 0 }],
        ['a fractional seq', { seq: 1.5 }],
        ['an unknown kind', { kind: 'shout' as StoredMessage['kind'] }],
        ['an empty sender', { from: '' }],
        ['empty text', { text: '' }],
        ['a timestamp that is not a number', { ts: Number.NaN }],
      ])('rejects a message with %s as InvalidArgument and stores nothing', async (_label, overrides) => {
        await store.messages.append(message(WORLD, 1));
        await expect(store.messages.append(message(WORLD, 2, overrides))).rejects.toBeInstanceOf(
          InvalidArgument,
        );
        expect((await store.messages.page(WORLD, { limit: 10 })).messages.map((m) => m.seq)).toEqual([1]);
      });

      it('rejects a forged cursor and an out-of-range limit with InvalidArgument', async () => {
        await appendRange(store, WORLD, 1, 3);
        await expect(
          store.messages.page(WORLD, { limit: 10, cursor: 'not-a-cursor' }),
        ).rejects.toBeInstanceOf(InvalidArgument);
        await expect(store.messages.page(WORLD, { limit: 0 })).rejects.toBeInstanceOf(InvalidArgument);
        await expect(store.messages.page(WORLD, { limit: 1_000_000 })).rejects.toBeInstanceOf(
          InvalidArgument,
        );
        await expect(store.messages.after(WORLD, -1, 10)).rejects.toBeInstanceOf(InvalidArgument);
        await expect(store.messages.page('', { limit: 10 })).rejects.toBeInstanceOf(InvalidArgument);
      });
    });

    it('closes idempotently', async () => {
      await store.close();
      await store.close();
    });
  });
}
