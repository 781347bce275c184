import type { Collection } from 'mongodb';
import { guarded, isDuplicateKey } from './errors';
import { roomExists, roomNotFound } from '../rooms';
import type { RoomRecord, RoomStore } from '../types';
import { checkName } from '../validation';

export interface RoomDoc {
  name: string;
  members: string[];
  createdAt: number;
}

const PROJECTION = { _id: 0, name: 1, members: 1, createdAt: 1 } as const;

export class MongoRoomStore implements RoomStore {
  constructor(
    private readonly rooms: Collection<RoomDoc>,
    private readonly now: () => number = Date.now,
  ) {}

  async create(name: string): Promise<RoomRecord> {
    checkName('room name', name);
    const record: RoomRecord = { name, members: [], createdAt: this.now() };
    try {
      await guarded(() => this.rooms.insertOne({ name, members: [], createdAt: record.createdAt }));
    } catch (err) {
      if (isDuplicateKey(err)) throw roomExists(name);
      throw err;
    }
    return record;
  }

  async get(name: string): Promise<RoomRecord | null> {
    if (typeof name !== 'string' || name.length === 0) return null;
    const doc = await guarded(() => this.rooms.findOne({ name }, { projection: PROJECTION }));
    return doc === null ? null : toRecord(doc);
  }

  async list(): Promise<RoomRecord[]> {
    const docs = await guarded(() =>
      this.rooms.find({}, { projection: PROJECTION }).sort({ name: 1 }).toArray(),
    );
    return docs.map(toRecord);
  }

  async addMember(room: string, username: string): Promise<void> {
    checkName('room name', room);
    checkName('username', username);
    const result = await guarded(() =>
      this.rooms.updateOne({ name: room }, { $addToSet: { members: username } }),
    );
    if (result.matchedCount === 0) throw roomNotFound(room);
  }

  async removeMember(room: string, username: string): Promise<void> {
    checkName('room name', room);
    checkName('username', username);
    const result = await guarded(() =>
      this.rooms.updateOne({ name: room }, { $pull: { members: username } }),
    );
    if (result.matchedCount === 0) throw roomNotFound(room);
  }

  async delete(name: string): Promise<void> {
    checkName('room name', name);
    const result = await guarded(() => this.rooms.deleteOne({ name }));
    if (result.deletedCount === 0) throw roomNotFound(name);
  }
}

function toRecord(doc: RoomDoc): RoomRecord {
  // Sorted here as SQLite sorts in its query, so both adapters answer alike.
  return { name: doc.name, members: [...doc.members].sort(compare), createdAt: doc.createdAt };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
