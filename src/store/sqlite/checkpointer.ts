import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';
import type { Logger } from '../../core/logger';

/**
 * Runs in the worker: its own connection to the file, a PASSIVE checkpoint
 * every `intervalMs` (it never waits for writers or readers). Plain
 * JavaScript so it needs no build step of its own.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 100');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) });
  }
}, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m === 'stop') { clearInterval(timer); db.close(); process.exit(0); }
});
`;

/**
 * Moves WAL checkpoints off the event loop. By default SQLite checkpoints
 * inside the COMMIT that crosses 1000 pages, which copies pages into the
 * database file and waits for fsync on the thread that committed: here that
 * is the node's event loop. With a checkpointer the node's connection never
 * checkpoints; a worker thread does, on a timer. If the worker fails, the
 * connection goes back to checkpointing itself.
 */
export class Checkpointer {
  private readonly worker: Worker;
  private stopped = false;

  constructor(
    private readonly db: BetterSqlite3.Database,
    path: string,
    private readonly logger: Logger,
    intervalMs = 200,
  ) {
    db.pragma('wal_autocheckpoint = 0');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path, intervalMs, driver: require.resolve('better-sqlite3') },
    });
    this.worker.unref();
    this.worker.on('message', (m: { error?: string }) => {
      if (m.error) logger.warn({ event: 'checkpoint_failed', err: m.error }, 'WAL checkpoint failed');
    });
    this.worker.on('error', (err) => this.fallBack(err));
    this.worker.on('exit', (code) => {
      if (!this.stopped) this.fallBack(new Error(`checkpoint worker exited with ${code}`));
    });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    // Keeps the process alive until the worker has closed its connection.
    this.worker.ref();
    this.worker.postMessage('stop');
    await exited;
  }

  private fallBack(err: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.logger.warn(
      { event: 'checkpointer_lost', err },
      'WAL checkpoint worker failed; the connection checkpoints itself again',
    );
    if (this.db.open) this.db.pragma('wal_autocheckpoint = 1000');
  }
}
