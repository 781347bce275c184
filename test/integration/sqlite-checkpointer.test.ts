/**
 * WAL checkpoints of the node processes sharing one SQLite file: one worker
 * holds the machine's checkpoint lock and checkpoints; when it stops, another
 * takes over. Two connections in this process stand for two node processes
 * (SQLite's file locks apply between connections of one process as well).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
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

  function checkpointer(db: Database.Database, restartFrames?: number): Checkpointer {
    const c = new Checkpointer(db, path, silentLogger(), 20, restartFrames);
    running.push(c);
    return c;
  }

  /**
   * Commits one row at a time, as fast as they can, for `ms` from two
   * threads of their own, so that commits land while a checkpoint runs, as
   * they do with the node processes of a machine under load; a third thread
   * reads `readRows` rows (the newest) in transactions that overlap, so that
   * some reader always holds a snapshot. The reader holds its first snapshot
   * before the writers start and keeps reading until they are done: on a busy
   * machine a worker can start late, and a moment without a reader lets the
   * WAL start over. Resolves with the commits made.
   */
  async function writeSteadily(ms: number, readRows: number | 'all'): Promise<number> {
    const source = `
      const { parentPort, workerData } = require('node:worker_threads');
      const Database = require(workerData.driver);
      const db = new Database(workerData.path);
      db.pragma('busy_timeout = 2000');
      const end = Date.now() + workerData.ms;
      let commits = 0;
      if (workerData.read) {
        const other = new Database(workerData.path);
        const readers = [db, other];
        const sql = workerData.readRows === 'all'
          ? 'SELECT count(*) FROM t'
          : 'SELECT count(*) FROM (SELECT v FROM t ORDER BY rowid DESC LIMIT ' + workerData.readRows + ')';
        const read = (r) => r.prepare(sql).get();
        db.exec('BEGIN'); read(db);
        parentPort.postMessage('ready');
        const stop = new Int32Array(workerData.stop);
        // Until the writers are done (bounded, should the test die first).
        for (let i = 1; Atomics.load(stop, 0) === 0 && Date.now() < end + 30000; i++) {
          const next = readers[i % 2], last = readers[(i + 1) % 2];
          next.exec('BEGIN'); read(next);
          last.exec('COMMIT');
        }
        for (const r of readers) if (r.inTransaction) r.exec('COMMIT');
        other.close();
      } else {
        const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
        const row = 'x'.repeat(3000);
        while (Date.now() < end) { insert.run(row); commits++; }
      }
      db.close();
      parentPort.postMessage(commits);
    `;
    const stop = new SharedArrayBuffer(4);
    const start = (read: boolean): { ready: Promise<void>; done: Promise<number> } => {
      const worker = new Worker(source, {
        eval: true,
        workerData: { path, ms, read, readRows, stop, driver: require.resolve('better-sqlite3') },
      });
      let ready: () => void = () => undefined;
      const failed = new Promise<never>((_, reject) => worker.once('error', reject));
      const readyOrFailed = Promise.race([new Promise<void>((resolve) => (ready = resolve)), failed]);
      // Only the reader's is awaited; a writer's failure reaches the test through `done`.
      readyOrFailed.catch(() => undefined);
      const done = Promise.race([
        new Promise<number>((resolve) =>
          worker.on('message', (m: unknown) => (m === 'ready' ? ready() : resolve(m as number))),
        ),
        failed,
      ]);
      return { ready: readyOrFailed, done };
    };
    const reader = start(true);
    await reader.ready;
    const writers = await Promise.all([start(false).done, start(false).done]);
    Atomics.store(new Int32Array(stop), 0, 1);
    const commits = [...writers, await reader.done];
    return commits.reduce((a, b) => a + b, 0);
  }

  /**
   * What `c` reports the WAL holds (chat_store_wal_bytes), read every 5 ms
   * while `during` runs: each reading is the WAL's size at the worker's last
   * checkpoint.
   */
  async function sampleWal<T>(
    c: Checkpointer,
    during: Promise<T>,
  ): Promise<{ result: T; samples: number[] }> {
    const samples: number[] = [];
    const timer = setInterval(() => {
      if (c.walBytes !== undefined && c.walBytes !== samples[samples.length - 1]) samples.push(c.walBytes);
    }, 5);
    try {
      return { result: await during, samples };
    } finally {
      clearInterval(timer);
    }
  }

  /**
   * Readings under half the largest one before them, once that was past 1 MiB: each is the WAL
   * having started over (before the writes begin, the few frames of the table's creation may go).
   */
  function drops(samples: number[]): number {
    let largest = 0;
    let count = 0;
    for (const bytes of samples) {
      if (largest > 1024 * 1024 && bytes < largest / 2) count++;
      largest = Math.max(largest, bytes);
    }
    return count;
  }

  it('starts the WAL over under steady writes, which passive checkpoints alone never do', async () => {
    const db = connect();
    // Frames in the WAL since it last started over (a passive checkpoint reports them).
    const walFrames = (): number =>
      (db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number }>)[0]?.log ?? 0;
    // Passive checkpoints only (a restart threshold never reached): the WAL keeps everything written.
    const passiveOnly = checkpointer(db, Number.MAX_SAFE_INTEGER);
    await waitFor(() => passiveOnly.holding, { timeoutMs: 5000, what: 'the checkpointer holding the lock' });
    const before = walFrames();
    // Reads of the whole table, one always open: no moment ever lets SQLite start the WAL over.
    const { result: commits, samples: growing } = await sampleWal(passiveOnly, writeSteadily(1000, 'all'));
    // Stopped first: two checkpoints at once would make the count read -1 (busy).
    await passiveOnly.stop();
    const framesPerCommit = (walFrames() - before) / commits;
    // The worker reports what the WAL held at its last checkpoint (chat_store_wal_bytes).
    expect(passiveOnly.walBytes).toBeGreaterThan(64 * 1024 * 1024);
    // At least a page per commit, every one still in the WAL, which only ever grew.
    expect(framesPerCommit).toBeGreaterThanOrEqual(1);
    expect(growing.length).toBeGreaterThan(5);
    expect(drops(growing)).toBe(0);

    // Past 256 frames the WAL starts over: what it holds stays near that, however much was written.
    const restarting = checkpointer(db, 256);
    await waitFor(() => restarting.holding, { timeoutMs: 5000, what: 'the checkpointer holding the lock' });
    // Reads of a few milliseconds, as a node's are (the newest rows), one always open.
    const { result: more, samples } = await sampleWal(restarting, writeSteadily(1000, 500));
    await restarting.stop();
    expect(more).toBeGreaterThan(1000);
    expect(restarting.restarts).toBeGreaterThan(0);
    // The WAL shrank back while the writes went on. How often depends on the readers: a RESTART
    // they keep waiting is refused and tried again later (the next test), which on a loaded
    // machine can leave most of the second left without one, so the count is not compared.
    expect(drops(samples)).toBeGreaterThan(0);
  });

  it('tries less and less often to start the WAL over while a reader keeps it, and starts it over once the reader is done', async () => {
    const db = connect();
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const c = checkpointer(db, 64);
    await waitFor(() => c.holding, { timeoutMs: 5000, what: 'the checkpointer holding the lock' });
    // A reader (say, a backup) holds a snapshot that needs the WAL.
    const reader = connect();
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) FROM t').get();
    for (let i = 0; i < 200; i++) insert.run(`row ${i} ${'x'.repeat(3000)}`);
    await waitFor(() => c.restartsRefused > 0, { timeoutMs: 5000, what: 'a RESTART giving up' });
    const refusedAt = c.restartsRefused;
    // 50 ticks of 20 ms: with the wait doubling from 100 ms, a handful of tries, not one a tick.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(c.restartsRefused - refusedAt).toBeLessThanOrEqual(4);

    reader.exec('COMMIT');
    const frameBytes = 4096 + 24;
    await waitFor(
      () => {
        insert.run('after the reader');
        return (c.walBytes ?? Infinity) < 64 * frameBytes;
      },
      { timeoutMs: 10_000, what: 'the WAL starting over' },
    );
  });

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
