import type BetterSqlite3 from 'better-sqlite3';
import { guarded, isUniqueViolation } from './errors';
import type { SqliteWriter } from './writer';
import { usernameTaken } from '../users';
import type { UserRow, UserRows } from '../users';

interface Row {
  username: string;
  password_hash: string;
  alliance: string;
  created_at: number;
}

export class SqliteUserRows implements UserRows {
  private readonly insertStmt: BetterSqlite3.Statement<[string, string, string, number]>;
  private readonly findStmt: BetterSqlite3.Statement<[string], Row>;
  private readonly countStmt: BetterSqlite3.Statement<[], { n: number }>;

  constructor(
    db: BetterSqlite3.Database,
    private readonly writer: SqliteWriter,
  ) {
    this.insertStmt = db.prepare(
      'INSERT INTO users (username, password_hash, alliance, created_at) VALUES (?, ?, ?, ?)',
    );
    this.findStmt = db.prepare(
      'SELECT username, password_hash, alliance, created_at FROM users WHERE username = ?',
    );
    this.countStmt = db.prepare('SELECT COUNT(*) AS n FROM users');
  }

  async insert(row: UserRow): Promise<void> {
    await this.writer.submit(() => {
      try {
        this.insertStmt.run(row.username, row.passwordHash, row.alliance, row.createdAt);
      } catch (err) {
        if (isUniqueViolation(err)) throw usernameTaken(row.username);
        throw err;
      }
    });
  }

  async find(username: string): Promise<UserRow | null> {
    const row = guarded(() => this.findStmt.get(username));
    if (row === undefined) return null;
    return {
      username: row.username,
      passwordHash: row.password_hash,
      alliance: row.alliance,
      createdAt: row.created_at,
    };
  }

  async count(): Promise<number> {
    return guarded(() => this.countStmt.get())?.n ?? 0;
  }
}
