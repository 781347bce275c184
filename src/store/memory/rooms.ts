import { compareBytes } from '../../core/byte-order';
import { roomExists, roomNotFound } from '../rooms';
import type { RoomRecord, RoomStore } from '../types';
import { checkName } from '../validation';

/** Rooms and their members in Maps, checked and sorted as SqliteRoomStore checks and sorts. */
export class MemoryRoomStore implements RoomStore {
  private readonly rooms = new Map<string, { createdAt: number; members: Set<string> }>();

  constructor(private readonly now: () => number = Date.now) {}

  async create(name: string): Promise<RoomRecord> {
    checkName('room name', name);
    if (this.rooms.has(name)) throw roomExists(name);
    const createdAt = this.now();
    this.rooms.set(name, { createdAt, members: new Set() });
    return { name, members: [], createdAt };
  }

  async get(name: string): Promise<RoomRecord | null> {
    if (typeof name !== 'string' || name.length === 0) return null;
    const room = this.rooms.get(name);
    return room ? record(name, room) : null;
  }

  async list(): Promise<RoomRecord[]> {
    return [...this.rooms].sort(([a], [b]) => compareBytes(a, b)).map(([name, room]) => record(name, room));
  }

  async addMember(room: string, username: string): Promise<void> {
    checkName('room name', room);
    checkName('username', username);
    const found = this.rooms.get(room);
    if (!found) throw roomNotFound(room);
    found.members.add(username);
  }

  async removeMember(room: string, username: string): Promise<void> {
    checkName('room name', room);
    checkName('username', username);
    const found = this.rooms.get(room);
    if (!found) throw roomNotFound(room);
    found.members.delete(username);
  }

  async delete(name: string): Promise<void> {
    checkName('room name', name);
    if (!this.rooms.delete(name)) throw roomNotFound(name);
  }
}

function record(name: string, room: { createdAt: number; members: Set<string> }): RoomRecord {
  return { name, members: [...room.members].sort(compareBytes), createdAt: room.createdAt };
}
