import { silentLogger } from '../../src/core/logger';
import { openSqliteStore } from '../../src/store/sqlite';
import { mapLimit } from './wait';

/** Every bench user has this password; the nodes hash with SCRYPT_N=1024 like the seeding here. */
export const BENCH_PASSWORD = 'bench-password-1';

export interface SeedPlan {
  users: readonly string[];
  rooms?: ReadonlyArray<{ name: string; members: readonly string[] }>;
}

/**
 * Writes users and rooms into the SQLite file before the nodes start, through
 * the same Store the nodes use: the leader loads rooms from the store when it
 * takes over, exactly as after a restart of a real cluster.
 */
export async function seedStore(sqlitePath: string, plan: SeedPlan): Promise<void> {
  const store = await openSqliteStore({
    path: sqlitePath,
    logger: silentLogger(),
    scrypt: { N: 1024, r: 8, p: 1 },
  });
  try {
    // scrypt runs on libuv's thread pool (4 threads), so a few at a time is enough.
    await mapLimit(plan.users, 8, (username) => store.users.create({ username, password: BENCH_PASSWORD }));
    for (const room of plan.rooms ?? []) {
      await store.rooms.create(room.name);
      for (const member of room.members) await store.rooms.addMember(room.name, member);
    }
  } finally {
    await store.close();
  }
}
