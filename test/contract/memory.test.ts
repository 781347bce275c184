/**
 * The in-memory adapters against the same contracts as Redis and SQLite,
 * time driven by a ManualClock.
 */
import { createMemoryStore } from '../../src/store/memory';
import { runStoreContract, TEST_SCRYPT } from './store-contract';

runStoreContract('memory', async () => createMemoryStore({ scrypt: TEST_SCRYPT }));
