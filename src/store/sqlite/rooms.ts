import type BetterSqlite3 from 'better-sqlite3';
import { guarded, isUniqueViolation, sqliteCode } from './errors';
import type { SqliteWriter } from './writer';
import { roomExists, roomNotFound } from '../rooms';
import type { RoomRecord, RoomStore } from '../types';
import { checkName } from '../validation';

interface RoomRow {
  name: string;
  created_at: number;
}

interface MemberRow {
  room: string;
  username: string;
}

export class SqliteRoomStore implements RoomStore {
  private readonly insertRoom: BetterSqlite3.Statement<[string, number]>;
  private readonly getRoom: BetterSqlite3.Statement<[string], RoomRow>;
  private readonly listRooms: BetterSqlite3.Statement<[], RoomRow>;
  private readonly membersOf: BetterSqlite3.Statement<[string], { username: string }>;
  private readonly allMembers: BetterSqlite3.Statement<[], MemberRow>;
  private readonly insertMember: BetterSqlite3.Statement<[string, string]>;
  private readonly deleteMember: BetterSqlite3.Statement<[string, string]>;
  private readonly deleteRoom: BetterSqlite3.Statement<[string]>;
  constructor(
    db: BetterSqlite3.Database,
    private readonly writer: SqliteWriter,
    private readonly now: () => number = Date.now,
  ) {
    this.insertRoom = db.prepare('INSERT INTO rooms (name, created_at) VALUES (?, ?)');
    this.getRoom = db.prepare('SELECT name, created_at FROM rooms WHERE name = ?');
    this.listRooms = db.prepare('SELECT name, created_at FROM rooms ORDER BY name');
    this.membersOf = db.prepare('SELECT username FROM room_members WHERE room = ? ORDER BY username');
    this.allMembers = db.prepare('SELECT room, username FROM room_members ORDER BY room, username');
    this.insertMember = db.prepare(
      'INSERT INTO room_members (room, username) VALUES (?, ?) ON CONFLICT (room, username) DO NOTHING',
    );
    this.deleteMember = db.prepare('DELETE FROM room_members WHERE room = ? AND username = ?');
    // Cascades to room_members through the foreign key.
    this.deleteRoom = db.prepare('DELETE FROM rooms WHERE name = ?');
  }

  async create(name: string): Promise<RoomRecord> {
    checkName('room name', name);
    const createdAt = this.now();
    await this.writer.submit(() => {
      try {
        this.insertRoom.run(name, createdAt);
      } catch (err) {
        if (isUniqueViolation(err)) throw roomExists(name);
        throw err;
      }
    });
    return { name, members: [], createdAt };
  }

  async get(name: string): Promise<RoomRecord | null> {
    if (typeof name !== 'string' || name.length === 0) return null;
    return guarded(() => {
      const row = this.getRoom.get(name);
      if (row === undefined) return null;
      const members = this.membersOf.all(name).map((m) => m.username);
      return { name: row.name, members, createdAt: row.created_at };
    });
  }

  async list(): Promise<RoomRecord[]> {
    return guarded(() => {
      const byRoom = new Map<string, string[]>();
      for (const { room, username } of this.allMembers.all()) {
        const list = byRoom.get(room);
        if (list === undefined) byRoom.set(room, [username]);
        else list.push(username);
      }
      return this.listRooms.all().map((row) => ({
        name: row.name,
        members: byRoom.get(row.name) ?? [],
        createdAt: row.created_at,
      }));
    });
  }

  async addMember(room: string, username: string): Promise<void> {
    checkName('room name', room);
    checkName('username', username);
    await this.writer.submit(() => {
      try {
        // One statement: the foreign key rejects an unknown room, the upsert a repeat.
        this.insertMember.run(room, username);
      } catch (err) {
        if (sqliteCode(err) === 'SQLITE_CONSTRAINT_FOREIGNKEY') throw roomNotFound(room);
        throw err;
      }
    });
  }

  async removeMember(room: string, username: string): Promise<void> {
    checkName('room name', room);
    checkName('username', username);
    await this.writer.submit(() => {
      if (this.getRoom.get(room) === undefined) throw roomNotFound(room);
      this.deleteMember.run(room, username);
    });
  }

  async delete(name: string): Promise<void> {
    checkName('room name', name);
    await this.writer.submit(() => {
      if (this.deleteRoom.run(name).changes === 0) throw roomNotFound(name);
    });
  }
}
