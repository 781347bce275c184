import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';
import type { Logger } from '../../core/logger';

/**
 * Runs in the worker: its own connection to the file, a PASSIVE checkpoint
 * every `intervalMs` (it never waits for writers or readers), but only while
 * it holds the machine's checkpoint lock. Every node process of the machine
 * runs a worker on the same file; the lock (an EXCLUSIVE transaction held open
 * on a small file of its own, released by the OS if the process dies) makes
 * one of them checkpoint, so the WAL is not copied and fsynced three times
 * over. The others try for the lock on every tick and take over within one.
 *
 * A PASSIVE checkpoint alone lets the WAL grow without bound under steady
 * writes: SQLite starts the WAL over only when a writer finds every frame
 * copied back, and with three processes committing every millisecond or so
 * another commit always lands while a checkpoint runs. At 2,000 DM/s the WAL
 * grew by 25 MB a second (1.3 GB in 50 s, against a 97 MB database), and
 * every commit extended the file: ext4 zeroed each new page (9 % of the
 * nodes' CPU in memset), and the disk would have filled. So
 * once the WAL holds `restartFrames` frames the worker follows the passive
 * checkpoint with a RESTART one: it holds writers off (they retry without
 * blocking, see SqliteWriter) while it copies what the passive one left and
 * waits for readers, and the next commit writes the WAL from its start
 * again, over pages the OS already holds. Its fsync of the database file
 * falls inside that pause, so a slow disk shows in chat_store_commit_seconds
 * about every 16 MiB of WAL.
 * Plain JavaScript so it needs no build step of its own.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
// Only a RESTART checkpoint waits (writers wait while it does), at most this long.
db.pragma('busy_timeout = 100');
// Trying for the lock must not wait: a worker blocked in SQLite's busy handler
// would not see the stop message until it gave up.
const lock = new Database(workerData.lockPath, { timeout: 0 });
let holding = false;
function holdLock() {
  if (holding) return true;
  try {
    lock.exec('BEGIN EXCLUSIVE');
    holding = true;
    parentPort.postMessage({ holding: true });
  } catch (err) {
    // SQLITE_BUSY: another process checkpoints this file.
  }
  return holding;
}
// A frame is a page and its 24-byte header.
const frameBytes = db.pragma('page_size', { simple: true }) + 24;
// A reader that keeps the WAL (a backup, an open sqlite3 shell) makes a RESTART wait, and
// writers with it, then give up; so after one that gave up the next waits, doubling.
const firstBackoffMs = workerData.intervalMs * 5, lastBackoffMs = workerData.intervalMs * 150;
let backoffMs = firstBackoffMs, restartAfter = 0;
function restart() {
  if (Date.now() < restartAfter) return;
  const [result] = db.pragma('wal_checkpoint(RESTART)');
  if (result && result.busy) {
    restartAfter = Date.now() + backoffMs;
    backoffMs = Math.min(backoffMs * 2, lastBackoffMs);
    parentPort.postMessage({ restart: 'refused' });
  } else {
    backoffMs = firstBackoffMs;
    parentPort.postMessage({ restart: 'done' });
  }
}
const tick = () => {
  if (!holdLock()) return;
  try {
    const [passive] = db.pragma('wal_checkpoint(PASSIVE)');
    if (passive && passive.log >= workerData.restartFrames) restart();
    // What the WAL holds since it last started over, for the operators' gauge.
    if (passive && passive.log >= 0) parentPort.postMessage({ walBytes: passive.log * frameBytes });
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) });
  }
};
tick();
const timer = setInterval(tick, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m === 'stop') { clearInterval(timer); lock.close(); db.close(); process.exit(0); }
});
`;

/** What the worker tells its process. */
interface WorkerMessage {
  error?: string;
  holding?: boolean;
  walBytes?: number;
  /** A RESTART checkpoint done, or given up because a reader kept the WAL. */
  restart?: 'done' | 'refused';
}

/**
 * WAL frames (a page each, 4 KiB by default) past which the checkpointer
 * starts the WAL over: 16 MiB, about 1.5 s of commits at 2,000 DM/s.
 */
export const DEFAULT_RESTART_FRAMES = 4096;

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
  /** Whether this process's worker holds the checkpoint lock (and so checkpoints). */
  holding = false;
  /** Bytes of frames in the WAL at the last checkpoint; only the process holding the lock knows. */
  walBytes: number | undefined;
  /** RESTART checkpoints done (the next commit starts the WAL over), and those that gave up because a reader kept it. */
  restarts = 0;
  restartsRefused = 0;
  /** Since the last restart done, every one has been refused (logged once, when it starts). */
  private refusing = false;

  constructor(
    private readonly db: BetterSqlite3.Database,
    path: string,
    private readonly logger: Logger,
    intervalMs = 200,
    restartFrames = DEFAULT_RESTART_FRAMES,
  ) {
    db.pragma('wal_autocheckpoint = 0');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        path,
        lockPath: `${path}-checkpointer`,
        intervalMs,
        restartFrames,
        driver: require.resolve('better-sqlite3'),
      },
    });
    this.worker.unref();
    this.worker.on('message', (m: WorkerMessage) => {
      if (m.walBytes !== undefined) this.walBytes = m.walBytes;
      if (m.restart) this.onRestart(m.restart);
      if (m.error) logger.warn({ event: 'checkpoint_failed', err: m.error }, 'WAL checkpoint failed');
      if (m.holding) {
        this.holding = true;
        logger.info({ event: 'checkpointer_active' }, "this process checkpoints the machine's SQLite file");
      }
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

  private onRestart(outcome: 'done' | 'refused'): void {
    if (outcome === 'refused') {
      this.restartsRefused++;
      if (!this.refusing)
        this.logger.warn(
          { event: 'wal_restart_refused', walBytes: this.walBytes },
          'a reader keeps the SQLite WAL, so it cannot start over and grows; trying again, less often',
        );
    } else {
      this.restarts++;
      if (this.refusing) this.logger.info({ event: 'wal_restarted' }, 'the SQLite WAL starts over again');
    }
    this.refusing = outcome === 'refused';
  }

  private fallBack(err: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.walBytes = undefined;
    this.logger.warn(
      { event: 'checkpointer_lost', err },
      'WAL checkpoint worker failed; the connection checkpoints itself again',
    );
    if (this.db.open) this.db.pragma('wal_autocheckpoint = 1000');
  }
}
