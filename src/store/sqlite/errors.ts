import { Unavailable } from '../../core/errors';

/** The SQLite result code of a better-sqlite3 error, e.g. 'SQLITE_CONSTRAINT_UNIQUE'. */
export function sqliteCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string')
    return err.code;
  return undefined;
}

export function isUniqueViolation(err: unknown): boolean {
  const code = sqliteCode(err);
  return code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/**
 * Runs a synchronous database call. A lock still held by another process
 * after busy_timeout becomes Unavailable, which callers may retry.
 */
export function guarded<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    const code = sqliteCode(err);
    if (code !== undefined && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))) {
      const busy = new Unavailable('The database is busy; try again shortly.');
      busy.cause = err;
      throw busy;
    }
    throw err;
  }
}
