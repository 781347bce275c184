import { usernameTaken } from '../users';
import type { UserRow, UserRows } from '../users';

/** User rows in a Map; HashedUserStore does the validation and the scrypt part, as for SQLite. */
export class MemoryUserRows implements UserRows {
  private readonly rows = new Map<string, UserRow>();

  async insert(row: UserRow): Promise<void> {
    // The check and the write happen without an await between them: the
    // second of two simultaneous sign-ups fails, as on a primary key.
    if (this.rows.has(row.username)) throw usernameTaken(row.username);
    this.rows.set(row.username, { ...row });
  }

  async find(username: string): Promise<UserRow | null> {
    const row = this.rows.get(username);
    return row ? { ...row } : null;
  }

  async count(): Promise<number> {
    return this.rows.size;
  }
}
