/**
 * WAL checkpoints of the node processes sharing one SQLite file: one worker
 * holds the machine's checkpoint lock and checkpoints; when it stops, another
 * takes over. Two connections in this process stand for two node processes
 * (SQLite's file locks apply between connections of one process as well).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { silentLogger } from '../../src/core/logger';
import { waitFor } from '../../src/core/wait-for';
import { Checkpointer } from '../../src/store/sqlite/checkpointer';

describe('SQLite checkpointer', () => {
  let dir: string;
  let path: string;
  const opened: Database.Database[] = [];
  const running: Checkpointer[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sqlite-checkpointer-'));
    path = join(dir, 'chat.db');
  });
  afterEach(async () => {
    for (const c of running.splice(0)) await c.stop();
    for (const db of opened.splice(0)) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function connect(): Database.Database {
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE IF NOT EXISTS t (v TEXT NOT NULL)');
    opened.push(db);
    return db;
  }

  function checkpointer(db: Database.Database): Checkpointer {
    const c = new Checkpointer(db, path, silentLogger(), 20);
    running.push(c);
    return c;
  }

  it('checkpoints from exactly one process, and another takes over when it stops', async () => {
    const first = connect();
    const second = connect();
    const a = checkpointer(first);
    const b = checkpointer(second);
    await waitFor(() => a.holding || b.holding, { timeoutMs: 5000, what: 'a checkpointer holding the lock' });
    // Several ticks later the other still does not hold it.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect([a.holding, b.holding].filter(Boolean)).toHaveLength(1);

    const before = statSync(path).size;
    const insert = first.prepare('INSERT INTO t (v) VALUES (?)');
    first.transaction(() => {
      for (let i = 0; i < 2000; i++) insert.run(`row ${i} ${'x'.repeat(100)}`);
    })();
    await waitFor(() => statSync(path).size > before, {
      timeoutMs: 5000,
      what: 'pages copied into the file',
    });

    const [holder, other] = a.holding ? [a, b] : [b, a];
    await holder.stop();
    await waitFor(() => other.holding, { timeoutMs: 5000, what: 'the other checkpointer taking over' });
    // A worker that does not hold the lock never waits for it, so it stops at once.
    const third = checkpointer(connect());
    const stopping = Date.now();
    await third.stop();
    expect(Date.now() - stopping).toBeLessThan(1000);
  });
});
