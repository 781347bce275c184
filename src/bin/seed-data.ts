import type { Store } from '../store/types';
import { Conflict } from '../core/errors';

/** The documented development password of the seeded users. */
export const DEV_PASSWORD = 'password';
export const SEED_ALLIANCES = ['wolves', 'eagles', 'dragons', 'lions'] as const;
export const SEED_USERS = 100;
export const SEED_ROOMS = 9;

export interface SeedResult {
  usersCreated: number;
  roomsCreated: number;
  membersAdded: number;
}

/**
 * Users user1..user100 (alliances in turn), rooms room1..room9 with ten members
 * each. Idempotent: what exists is left as it is, so a second run changes
 * nothing and a user's changed password or room membership is never lost.
 */
export async function seed(store: Store): Promise<SeedResult> {
  const result: SeedResult = { usersCreated: 0, roomsCreated: 0, membersAdded: 0 };
  // scrypt runs on libuv's four threads: hashing four users at a time is ~4x faster.
  const usernames = Array.from({ length: SEED_USERS }, (_, i) => i + 1);
  for (let start = 0; start < usernames.length; start += 4) {
    const batch = usernames.slice(start, start + 4).map(async (i) => {
      const username = `user${i}`;
      if (await store.users.find(username)) return false;
      const alliance = SEED_ALLIANCES[(i - 1) % SEED_ALLIANCES.length] ?? '';
      return ignoreConflict(store.users.create({ username, password: DEV_PASSWORD, alliance }));
    });
    result.usersCreated += (await Promise.all(batch)).filter(Boolean).length;
  }
  for (let r = 1; r <= SEED_ROOMS; r++) {
    const room = `room${r}`;
    if (await store.rooms.get(room)) continue;
    if (!(await ignoreConflict(store.rooms.create(room)))) continue;
    result.roomsCreated++;
    // Only a new room gets its starting members: members who left stay gone.
    for (let i = r; i <= SEED_USERS; i += 10) {
      await store.rooms.addMember(room, `user${i}`);
      result.membersAdded++;
    }
  }
  return result;
}

/** Another process seeding at the same time is not an error. */
async function ignoreConflict(work: Promise<unknown>): Promise<boolean> {
  try {
    await work;
    return true;
  } catch (err) {
    if (err instanceof Conflict) return false;
    throw err;
  }
}
