import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from '../../core/logger';
import { DEFAULT_SCRYPT } from '../password';
import type { ScryptParams } from '../password';
import type { Store } from '../types';
import { HashedUserStore } from '../users';
import { DEFAULT_MAX_TEXT_LENGTH } from '../validation';
import { SqliteMessageStore } from './messages';
import { SqliteRoomStore } from './rooms';
import { prepareDatabaseWithRetry } from './schema';
import { Checkpointer } from './checkpointer';
import { SqliteUserRows } from './users';
import { DEFAULT_WRITER, SqliteWriter } from './writer';

export interface SqliteStoreOptions {
  /** Database file; its folder is created. ':memory:' for a private in-memory database. */
  path: string;
  /** How long a write keeps trying while another process holds the lock, before failing (default 5000 ms). */
  busyTimeoutMs?: number;
  /** Least time between two commits under load (default 0: each turn commits; nodes pass STORE_COMMIT_WINDOW_MS); see SqliteWriter. */
  commitWindowMs?: number;
  scrypt?: ScryptParams;
  maxTextLength?: number;
  logger: Logger;
  /** Clock for createdAt fields; tests may pin it. */
  now?: () => number;
  /** See WriterOptions.onCommit. */
  onCommit?: (waitedMs: number) => void;
}

export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/**
 * Opens (and if needed creates) a SQLite store. Several processes of one
 * machine may open the same file; SQLite serialises their writes.
 */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  const log = options.logger.child({ component: 'store', engine: 'sqlite' });
  if (options.path !== ':memory:') restrictFiles(options.path);
  const db = new Database(options.path);
  try {
    await prepareDatabaseWithRetry(db, options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS);
  } catch (err) {
    db.close();
    throw err;
  }
  // From here on no statement waits inside SQLite for another process's lock:
  // writes go through the SqliteWriter, which retries on a timer instead.
  db.pragma('busy_timeout = 0');
  const now = options.now ?? Date.now;
  const writer = new SqliteWriter(db, {
    ...DEFAULT_WRITER,
    lockWaitMs: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS,
    windowMs: options.commitWindowMs ?? DEFAULT_WRITER.windowMs,
    onCommit: options.onCommit,
  });
  const limits = { maxTextLength: options.maxTextLength ?? DEFAULT_MAX_TEXT_LENGTH };
  const checkpointer = options.path === ':memory:' ? undefined : new Checkpointer(db, options.path, log);
  log.info({ event: 'store_opened', path: options.path }, 'store opened');

  let closed = false;
  return {
    users: new HashedUserStore(new SqliteUserRows(db, writer), options.scrypt ?? DEFAULT_SCRYPT, now),
    rooms: new SqliteRoomStore(db, writer, now),
    messages: new SqliteMessageStore(db, writer, limits),
    writeStats: () => ({ ...writer.stats(), walBytes: checkpointer?.walBytes }),
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      writer.close();
      await checkpointer?.stop();
      db.close();
      log.info({ event: 'store_closed' }, 'store closed');
    },
  };
}

/**
 * The database holds password hashes and every message: its folder is made
 * 0700 when this creates it, the file 0600. SQLite gives the -wal and -shm
 * files it creates the database file's mode; existing ones are tightened too.
 */
function restrictFiles(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // The database, and the checkpoint lock file of the processes sharing it (Checkpointer).
  for (const file of [path, `${path}-checkpointer`])
    if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`, `${path}-checkpointer`]) {
    if (existsSync(file)) chmodSync(file, 0o600);
  }
}
