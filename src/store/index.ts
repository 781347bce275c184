/**
 * Picks the store for this deployment: MongoDB when a URL is configured,
 * otherwise the SQLite file shared by the processes of this machine.
 */
import type { Logger } from '../core/logger';
import { openMongoStore } from './mongo';
import type { ScryptParams } from './password';
import { openSqliteStore } from './sqlite';
import type { Store } from './types';

export interface OpenStoreOptions {
  /** When set (non-empty), MongoDB is used and the SQLite options are ignored. */
  mongoUrl?: string;
  mongoDbName?: string;
  /** SQLite database file, e.g. 'data/chat.db'. */
  sqlitePath: string;
  sqliteBusyTimeoutMs?: number;
  /** Least time between two commits under load (group commit window). */
  commitWindowMs?: number;
  scrypt?: ScryptParams;
  maxTextLength?: number;
  logger: Logger;
  /** SQLite: after each commit, how long its oldest write waited (ms), for metrics. */
  onCommit?: (waitedMs: number) => void;
}

export const DEFAULT_SQLITE_PATH = 'data/chat.db';

export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const common = { scrypt: options.scrypt, maxTextLength: options.maxTextLength, logger: options.logger };
  if (options.mongoUrl !== undefined && options.mongoUrl !== '') {
    return openMongoStore({ ...common, url: options.mongoUrl, dbName: options.mongoDbName });
  }
  return openSqliteStore({
    ...common,
    path: options.sqlitePath,
    busyTimeoutMs: options.sqliteBusyTimeoutMs,
    commitWindowMs: options.commitWindowMs,
    onCommit: options.onCommit,
  });
}

export type {
  MessageKind,
  MessageStore,
  Page,
  RoomRecord,
  RoomStore,
  Store,
  StoredMessage,
  UserRecord,
  UserStore,
} from './types';
export type { ScryptParams } from './password';
export { DEFAULT_SCRYPT } from './password';
export { DEFAULT_MAX_TEXT_LENGTH, MAX_PAGE_LIMIT } from './validation';
