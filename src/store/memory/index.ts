import { DEFAULT_SCRYPT } from '../password';
import type { ScryptParams } from '../password';
import type { Store } from '../types';
import { HashedUserStore } from '../users';
import { DEFAULT_MAX_TEXT_LENGTH } from '../validation';
import { MemoryMessageStore } from './messages';
import { MemoryRoomStore } from './rooms';
import { MemoryUserRows } from './users';

export interface MemoryStoreOptions {
  scrypt?: ScryptParams;
  maxTextLength?: number;
  /** Clock for createdAt fields; tests may pin it. */
  now?: () => number;
}

/**
 * A Store held in memory, for domain tests and an in-process cluster (every
 * node given the same instance). It passes the same contract as SQLite and
 * MongoDB (test/contract/store-contract.ts). close() releases nothing, so
 * nodes sharing one instance may each close it; the data lives as long as the
 * process.
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): Store {
  const now = options.now ?? Date.now;
  const limits = { maxTextLength: options.maxTextLength ?? DEFAULT_MAX_TEXT_LENGTH };
  return {
    users: new HashedUserStore(new MemoryUserRows(), options.scrypt ?? DEFAULT_SCRYPT, now),
    rooms: new MemoryRoomStore(now),
    messages: new MemoryMessageStore(limits),
    async close(): Promise<void> {
      // Nothing to release; idempotent like the others.
    },
  };
}
