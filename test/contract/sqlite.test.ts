import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SCHEMA_VERSION } from '../../src/store/sqlite/schema';
import { silentLogger } from '../../src/core/logger';
import { openStore } from '../../src/store';
import { openSqliteStore } from '../../src/store/sqlite';
import { runStoreContract, TEST_SCRYPT } from './store-contract';

const dir = mkdtempSync(join(tmpdir(), 'store-contract-'));
let next = 0;

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

runStoreContract('sqlite', async () => {
  next += 1;
  return openSqliteStore({
    path: join(dir, `contract-${next}.db`),
    logger: silentLogger(),
    scrypt: TEST_SCRYPT,
  });
});

describe('SQLite adapter', () => {
  it('creates the folder, uses WAL and keeps data across reopening', async () => {
    const path = join(dir, 'nested', 'deeper', 'chat.db');
    const first = await openStore({ sqlitePath: path, logger: silentLogger(), scrypt: TEST_SCRYPT });
    await first.users.create({ username: 'alice', password: 'pw', alliance: 'red' });
    await first.rooms.create('lobby');
    await first.rooms.addMember('lobby', 'alice');
    await first.messages.append({
      id: 'm1',
      conversation: 'world',
      seq: 1,
      kind: 'world',
      from: 'alice',
      to: 'world',
      text: 'hi',
      ts: 1,
    });
    await first.close();

    // Opening again runs the schema again: it must be idempotent and keep the rows.
    const second = await openStore({ sqlitePath: path, logger: silentLogger(), scrypt: TEST_SCRYPT });
    try {
      expect(await second.users.verifyPassword('alice', 'pw')).toMatchObject({ alliance: 'red' });
      expect((await second.rooms.get('lobby'))?.members).toEqual(['alice']);
      expect(await second.messages.latestSeq('world')).toBe(1);
    } finally {
      await second.close();
    }

    const raw = new Database(path, { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    } finally {
      raw.close();
    }
  });

  it('upgrades a version 1 file: the idempotency column is added and old rows keep working', async () => {
    const path = join(dir, 'v1.db');
    const v1 = new Database(path);
    v1.pragma('journal_mode = WAL');
    v1.exec(`CREATE TABLE messages (
      id TEXT PRIMARY KEY, conversation TEXT NOT NULL, seq INTEGER NOT NULL,
      kind TEXT NOT NULL CHECK (kind IN ('direct', 'room', 'world', 'alliance')),
      sender TEXT NOT NULL, recipient TEXT NOT NULL, text TEXT NOT NULL, ts INTEGER NOT NULL,
      UNIQUE (conversation, seq)) STRICT`);
    v1.prepare(`INSERT INTO messages VALUES ('old', 'world', 1, 'world', 'amy', 'world', 'before', 1)`).run();
    v1.pragma('user_version = 1');
    v1.close();
    const store = await openStore({ sqlitePath: path, logger: silentLogger(), scrypt: TEST_SCRYPT });
    try {
      const next = await store.messages.appendNext({
        id: 'new',
        conversation: 'world',
        kind: 'world',
        from: 'amy',
        to: 'world',
        text: 'after',
        ts: 2,
        idempotency: 'k',
      });
      expect(next.message.seq).toBe(2);
      expect((await store.messages.after('world', 0, 10)).map((m) => m.text)).toEqual(['before', 'after']);
    } finally {
      await store.close();
    }
  });

  it('picks SQLite when the MongoDB URL is empty', async () => {
    const store = await openStore({
      mongoUrl: '',
      sqlitePath: join(dir, 'factory.db'),
      logger: silentLogger(),
      scrypt: TEST_SCRYPT,
    });
    try {
      expect(await store.users.count()).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('applies a configured text limit', async () => {
    const store = await openSqliteStore({
      path: join(dir, 'limit.db'),
      logger: silentLogger(),
      scrypt: TEST_SCRYPT,
      maxTextLength: 5,
    });
    try {
      const base = { conversation: 'world', kind: 'world' as const, from: 'a', to: 'world', ts: 1 };
      await store.messages.append({ ...base, id: 'ok', seq: 1, text: '12345' });
      await expect(
        store.messages.append({ ...base, id: 'long', seq: 2, text: '123456' }),
      ).rejects.toMatchObject({
        code: 413,
      });
    } finally {
      await store.close();
    }
  });
});
