import { MongoClient } from 'mongodb';
import type { W } from 'mongodb';
import type { Logger } from '../../core/logger';
import { DEFAULT_SCRYPT } from '../password';
import type { ScryptParams } from '../password';
import type { Store } from '../types';
import { HashedUserStore } from '../users';
import { DEFAULT_MAX_TEXT_LENGTH } from '../validation';
import { guarded } from './errors';
import { MongoMessageStore } from './messages';
import type { CounterDoc, MessageDoc } from './messages';
import { MongoRoomStore } from './rooms';
import type { RoomDoc } from './rooms';
import { MongoUserRows } from './users';
import type { UserDoc } from './users';

export interface MongoStoreOptions {
  /** Connection string; a replica set URL for production. */
  url: string;
  /** Database name (default 'chat'); a database named in the URL is not used. */
  dbName?: string;
  /** Write concern of every write (default 'majority': acknowledged writes survive a primary failover). */
  writeConcern?: W;
  /** How long to look for a usable server before a call fails as Unavailable (default 10000 ms). */
  serverSelectionTimeoutMs?: number;
  scrypt?: ScryptParams;
  maxTextLength?: number;
  logger: Logger;
  /** Clock for createdAt fields; tests may pin it. */
  now?: () => number;
}

export const DEFAULT_MONGO_DB = 'chat';

/** Connects, creates the indexes the contract relies on, and returns the store. */
export async function openMongoStore(options: MongoStoreOptions): Promise<Store> {
  const dbName = options.dbName ?? DEFAULT_MONGO_DB;
  // The URL may carry credentials: only the database name is logged.
  const log = options.logger.child({ component: 'store', engine: 'mongodb', dbName });
  const client = new MongoClient(options.url, {
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMs ?? 10_000,
    writeConcern: { w: options.writeConcern ?? 'majority' },
  });
  try {
    await guarded(() => client.connect());
    const db = client.db(dbName);
    const users = db.collection<UserDoc>('users');
    const rooms = db.collection<RoomDoc>('rooms');
    const messages = db.collection<MessageDoc>('messages');
    // createIndex is a no-op when the same index exists, so every process may run it.
    await guarded(() =>
      Promise.all([
        users.createIndex({ username: 1 }, { unique: true, name: 'username_unique' }),
        rooms.createIndex({ name: 1 }, { unique: true, name: 'name_unique' }),
        messages.createIndex({ id: 1 }, { unique: true, name: 'id_unique' }),
        // A retried send: the same idempotency in the same conversation is stored once.
        messages.createIndex(
          { conversation: 1, idem: 1 },
          { unique: true, name: 'idem_unique', partialFilterExpression: { idem: { $type: 'string' } } },
        ),
        // Also the index behind paging, `after` and latestSeq.
        messages.createIndex({ conversation: 1, seq: 1 }, { unique: true, name: 'conversation_seq_unique' }),
        messages.createIndex(
          { to: 1, ts: 1 },
          { name: 'recipient_ts', partialFilterExpression: { kind: 'direct' } },
        ),
      ]),
    );
    const now = options.now ?? Date.now;
    const limits = { maxTextLength: options.maxTextLength ?? DEFAULT_MAX_TEXT_LENGTH };
    log.info({ event: 'store_opened' }, 'store opened');

    const messageStore = new MongoMessageStore(messages, db.collection<CounterDoc>('counters'), limits);
    let closing: Promise<void> | undefined;
    return {
      users: new HashedUserStore(new MongoUserRows(users), options.scrypt ?? DEFAULT_SCRYPT, now),
      rooms: new MongoRoomStore(rooms, now),
      messages: messageStore,
      writeStats: () => messageStore.stats(),
      close(): Promise<void> {
        closing ??= client.close().then(() => log.info({ event: 'store_closed' }, 'store closed'));
        return closing;
      },
    };
  } catch (err) {
    await client.close().catch(() => undefined);
    throw err;
  }
}
