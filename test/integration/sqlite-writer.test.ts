/**
 * The SQLite writer: group commits, one failing job alone, and waiting for
 * another connection's write lock without blocking the event loop. A second
 * connection on the same file holds the lock the way another node process
 * on the machine would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { silentLogger } from '../../src/core/logger';
import { openSqliteStore } from '../../src/store/sqlite';
import { DEFAULT_WRITER, SqliteWriter } from '../../src/store/sqlite/writer';
import type { Store } from '../../src/store/types';

describe('SQLite writes', () => {
  let dir: string;
  let store: Store;
  let path: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sqlite-writer-'));
    path = join(dir, 'chat.db');
    store = await openSqliteStore({ path, logger: silentLogger(), busyTimeoutMs: 3000 });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const message = (i: number, conversation = 'world') => ({
    id: `m-${conversation}-${i}`,
    conversation,
    kind: 'world' as const,
    from: 'amy',
    to: 'world',
    text: `hello ${i}`,
    ts: 1000 + i,
  });

  it('holds a commit that follows another within the commit window, so writes of later turns join it', async () => {
    const windowed = await openSqliteStore({
      path: join(dir, 'windowed.db'),
      logger: silentLogger(),
      commitWindowMs: 1000,
    });
    try {
      const before = windowed.writeStats?.();
      // An idle writer commits at once; the next write, a turn later, waits for the window.
      await windowed.messages.appendNext(message(1));
      const second = windowed.messages.appendNext(message(2));
      await new Promise((resolve) => setImmediate(resolve));
      const third = windowed.messages.appendNext(message(3));
      await Promise.all([second, third]);
      const after = windowed.writeStats?.();
      expect((after?.commits ?? 0) - (before?.commits ?? 0)).toBe(2);
      expect((after?.rows ?? 0) - (before?.rows ?? 0)).toBe(3);
    } finally {
      await windowed.close();
    }
  });

  it('commits the appends of one turn together, numbered in call order', async () => {
    const before = store.writeStats?.();
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => store.messages.appendNext(message(i))),
    );
    expect(results.map((r) => r.message.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    const after = store.writeStats?.();
    expect((after?.commits ?? 0) - (before?.commits ?? 0)).toBe(1);
    expect((after?.rows ?? 0) - (before?.rows ?? 0)).toBe(200);
  });

  it('fails one bad job of a batch alone', async () => {
    await store.rooms.create('lobby');
    const [taken, joined, fresh] = await Promise.allSettled([
      store.rooms.create('lobby'),
      store.rooms.addMember('lobby', 'amy'),
      store.messages.appendNext(message(1)),
    ]);
    expect(taken).toMatchObject({ status: 'rejected', reason: { reason: 'ROOM_EXISTS' } });
    expect(joined.status).toBe('fulfilled');
    expect(fresh).toMatchObject({ status: 'fulfilled', value: { message: { seq: 1 } } });
    expect((await store.rooms.get('lobby'))?.members).toEqual(['amy']);
  });

  it('undoes everything a failing job wrote, and nothing of the others in its batch, in one commit', async () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (v TEXT NOT NULL)');
    const writer = new SqliteWriter(db, DEFAULT_WRITER);
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const [first, failing, last] = await Promise.allSettled([
      writer.submit(() => insert.run('first')),
      writer.submit(() => {
        insert.run('half-done');
        throw new Error('second statement failed');
      }),
      writer.submit(() => insert.run('last')),
    ]);
    expect(first.status).toBe('fulfilled');
    expect(failing).toMatchObject({ status: 'rejected', reason: { message: 'second statement failed' } });
    expect(last.status).toBe('fulfilled');
    expect(db.prepare('SELECT v FROM t ORDER BY rowid').pluck().all()).toEqual(['first', 'last']);
    expect(writer.stats().commits).toBe(1);
    writer.close();
    db.close();
  });

  it('waits for another connection’s write lock without blocking the event loop', async () => {
    const other = new Database(path);
    try {
      other.exec('BEGIN IMMEDIATE');
      let ticks = 0;
      const ticker = setInterval(() => ticks++, 5);
      const pending = store.messages.appendNext(message(1));
      let settled = false;
      void pending.then(() => (settled = true));
      // While the other connection holds the lock, timers keep firing here.
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(settled).toBe(false);
      expect(ticks).toBeGreaterThan(10);
      expect(store.writeStats?.().lockRetries).toBeGreaterThan(0);
      other.exec('COMMIT');
      await expect(pending).resolves.toMatchObject({ message: { seq: 1 }, created: true });
      clearInterval(ticker);
    } finally {
      other.close();
    }
  });

  it('gives up with 503 when the lock stays taken past the wait', async () => {
    await store.close();
    store = await openSqliteStore({ path, logger: silentLogger(), busyTimeoutMs: 100 });
    const other = new Database(path);
    try {
      other.exec('BEGIN IMMEDIATE');
      await expect(store.messages.appendNext(message(1))).rejects.toMatchObject({ code: 503 });
      other.exec('ROLLBACK');
      await expect(store.messages.appendNext(message(2))).resolves.toMatchObject({ message: { seq: 1 } });
    } finally {
      other.close();
    }
  });
});
