/**
 * The password half of every UserStore: validation, scrypt hashing and the
 * constant-cost answer for unknown users live here once, so each adapter only
 * moves rows and cannot get the security-sensitive part subtly different.
 */
import { Conflict } from '../core/errors';
import { hashPassword, verifyPassword } from './password';
import type { ScryptParams } from './password';
import type { UserRecord, UserStore } from './types';
import {
  checkName,
  checkOptionalName,
  checkPassword,
  hasControlCharacters,
  MAX_NAME_LENGTH,
  MAX_PASSWORD_LENGTH,
} from './validation';

export interface UserRow extends UserRecord {
  passwordHash: string;
}

/** What an adapter provides: plain row access. */
export interface UserRows {
  /** Throws `usernameTaken(row.username)` when the username exists. */
  insert(row: UserRow): Promise<void>;
  find(username: string): Promise<UserRow | null>;
  count(): Promise<number>;
}

export function usernameTaken(username: string): Conflict {
  return new Conflict(`The username "${username}" is already taken.`, 'USERNAME_TAKEN');
}

export class HashedUserStore implements UserStore {
  constructor(
    private readonly rows: UserRows,
    private readonly scrypt: ScryptParams,
    private readonly now: () => number = Date.now,
  ) {}

  async create(input: { username: string; password: string; alliance?: string }): Promise<UserRecord> {
    const username = checkName('username', input.username);
    const password = checkPassword(input.password);
    const alliance = checkOptionalName('alliance', input.alliance);
    // Checked before hashing so a taken name does not cost a 128 MiB hash;
    // the insert still rejects the race where two sign-ups pass this check.
    if ((await this.rows.find(username)) !== null) throw usernameTaken(username);
    const passwordHash = await hashPassword(password, this.scrypt);
    const record: UserRecord = { username, alliance, createdAt: this.now() };
    await this.rows.insert({ ...record, passwordHash });
    return record;
  }

  async find(username: string): Promise<UserRecord | null> {
    if (!plausibleName(username)) return null;
    const row = await this.rows.find(username);
    return row === null ? null : toRecord(row);
  }

  async verifyPassword(username: string, password: string): Promise<UserRecord | null> {
    // Shape checks do not depend on whether the user exists, so they may answer fast.
    if (!plausibleName(username)) return null;
    if (typeof password !== 'string' || password.length === 0 || password.length > MAX_PASSWORD_LENGTH)
      return null;
    // "pw\0" must not open the account of "pw"; no stored password holds a control character.
    if (hasControlCharacters(password)) return null;
    const row = await this.rows.find(username);
    if (row === null) {
      // Same scrypt cost as a real check: response time must not reveal which names exist.
      await hashPassword(password, this.scrypt);
      return null;
    }
    return (await verifyPassword(password, row.passwordHash)) ? toRecord(row) : null;
  }

  count(): Promise<number> {
    return this.rows.count();
  }
}

function plausibleName(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_NAME_LENGTH;
}

function toRecord(row: UserRow): UserRecord {
  return { username: row.username, alliance: row.alliance, createdAt: row.createdAt };
}
