import type { Collection } from 'mongodb';
import { guarded, isDuplicateKey } from './errors';
import { usernameTaken } from '../users';
import type { UserRow, UserRows } from '../users';

export interface UserDoc {
  username: string;
  passwordHash: string;
  alliance: string;
  createdAt: number;
}

const PROJECTION = { _id: 0, username: 1, passwordHash: 1, alliance: 1, createdAt: 1 } as const;

export class MongoUserRows implements UserRows {
  constructor(private readonly users: Collection<UserDoc>) {}

  async insert(row: UserRow): Promise<void> {
    const doc: UserDoc = {
      username: row.username,
      passwordHash: row.passwordHash,
      alliance: row.alliance,
      createdAt: row.createdAt,
    };
    try {
      // A copy: insertOne adds _id to the object it is given.
      await guarded(() => this.users.insertOne({ ...doc }));
    } catch (err) {
      if (isDuplicateKey(err)) throw usernameTaken(row.username);
      throw err;
    }
  }

  async find(username: string): Promise<UserRow | null> {
    const doc = await guarded(() => this.users.findOne({ username }, { projection: PROJECTION }));
    if (doc === null) return null;
    return {
      username: doc.username,
      passwordHash: doc.passwordHash,
      alliance: doc.alliance,
      createdAt: doc.createdAt,
    };
  }

  count(): Promise<number> {
    return guarded(() => this.users.countDocuments({}));
  }
}
