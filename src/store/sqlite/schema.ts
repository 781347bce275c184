/**
 * The SQLite schema, applied on every open. Every statement is idempotent so
 * several processes may open one file at once; bump SCHEMA_VERSION and add a
 * migration step when a table changes shape.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type BetterSqlite3 from 'better-sqlite3';
import { backoffDelay } from '../../core/backoff';
import { sqliteCode } from './errors';

export const SCHEMA_VERSION = 2;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS users (
  username      TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  alliance      TEXT NOT NULL DEFAULT '',
  created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS rooms (
  name       TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS room_members (
  room     TEXT NOT NULL REFERENCES rooms(name) ON DELETE CASCADE,
  username TEXT NOT NULL,
  PRIMARY KEY (room, username)
) STRICT, WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS messages (
  id           TEXT PRIMARY KEY,
  conversation TEXT NOT NULL,
  seq          INTEGER NOT NULL,
  kind         TEXT NOT NULL CHECK (kind IN ('direct', 'room', 'world', 'alliance')),
  sender       TEXT NOT NULL,
  recipient    TEXT NOT NULL,
  text         TEXT NOT NULL,
  ts           INTEGER NOT NULL,
  -- What identifies a send across retries ('' = none); see MessageStore.appendNext.
  idem         TEXT NOT NULL DEFAULT '',
  UNIQUE (conversation, seq)
) STRICT;

-- Direct messages that reached a user while offline (MessageStore.missedDirect).
CREATE INDEX IF NOT EXISTS messages_recipient_ts ON messages (recipient, ts) WHERE kind = 'direct';
`;

/**
 * Version 2: retries are recognised by (conversation, idem) instead of a
 * message id derived from the idempotency key, so ids can be time-ordered
 * (UUIDv7): new ids then land at the end of the id index instead of on a
 * random page each, which is most of what an insert costs in a large table.
 */
const IDEM_INDEX = `CREATE UNIQUE INDEX IF NOT EXISTS messages_idem ON messages (conversation, idem) WHERE idem != ''`;

/**
 * Connection settings and schema. WAL lets readers run beside the one writer;
 * busy_timeout makes a writer wait for another process's lock instead of
 * failing at once. Both are per connection, so they come first.
 */
function prepareDatabase(db: BetterSqlite3.Database, busyTimeoutMs: number): void {
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
  db.pragma('journal_mode = WAL');
  // NORMAL is durable against process crashes in WAL mode; only a power loss
  // can drop the last commits, which FULL would cost an fsync per message to avoid.
  db.pragma('synchronous = NORMAL');
  // When the WAL starts over (Checkpointer), a file left larger than this by a
  // burst or a long reader is cut back to it; below it the file is reused as is.
  db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
  db.pragma('foreign_keys = ON');
  // IMMEDIATE takes the write lock up front, so two processes creating the
  // schema together queue on busy_timeout instead of deadlocking.
  db.transaction(() => {
    db.exec(SCHEMA_SQL);
    const columns = db.pragma('table_info(messages)') as Array<{ name: string }>;
    if (!columns.some((c) => c.name === 'idem'))
      db.exec(`ALTER TABLE messages ADD COLUMN idem TEXT NOT NULL DEFAULT ''`);
    db.exec(IDEM_INDEX);
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version < SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

/**
 * prepareDatabase, retried while another process holds a lock. Switching a
 * fresh file to WAL needs an exclusive lock for which SQLite does not call the
 * busy handler, so processes opening one new file together get SQLITE_BUSY at
 * once; everything here is idempotent, so trying again until the busy
 * timeout has passed is safe.
 */
export async function prepareDatabaseWithRetry(
  db: BetterSqlite3.Database,
  busyTimeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + busyTimeoutMs;
  for (let attempt = 1; ; attempt += 1) {
    try {
      prepareDatabase(db, busyTimeoutMs);
      return;
    } catch (err) {
      const busy = sqliteCode(err)?.startsWith('SQLITE_BUSY') ?? false;
      if (!busy || Date.now() >= deadline) throw err;
      // Jitter keeps two processes from retrying in lockstep.
      await sleep(backoffDelay(attempt - 1, { initialMs: 10, maxMs: 200 }));
    }
  }
}
