import type { Logger } from '../core/logger';
import { Forbidden, NotFound, InvalidArgument } from '../core/errors';
import { conversation } from '../core/names';
import type { RoomStore } from '../store/types';
import type { RoomOwnership } from './ownership';
import type { ChatEvents } from './ports';
import type { MessageRecorder, RecordResult } from './recorder';
import type { RecentHistory } from './recent-history';
import { RoomQueue } from './room-queue';
import { RoomTable } from './room-table';
import type { RoomState } from './room-table';
import type {
  Actor,
  LeaderCall,
  LeaderOpName,
  LeaderOutcome,
  RoomView,
  SendAck,
  StoredMessage,
} from './types';

export const JOIN_REPLAY = 50;

export interface GroupServiceDeps {
  rooms: RoomStore;
  recorder: MessageRecorder;
  /** The join replay's messages. */
  recent: RecentHistory;
  logger: Logger;
  /** Which rooms and channels this node runs (fencing: read before every write and fan-out). */
  ownership: RoomOwnership;
  /** Where listRooms reads: 'memory' with every room here (the leader), 'store' with rooms spread. */
  listFrom: 'memory' | 'store';
  /** Resolves once the presence of every live node is known (bounded). */
  presenceReady?: () => Promise<unknown>;
  events?: ChatEvents;
  /** Operations waiting for one room's turn, past which more are refused (503 ROOM_BUSY). */
  maxQueuedPerRoom?: number;
  /** An operation that waited longer than this for its room's turn is refused (RoomQueue). */
  maxWaitMs?: number;
  /** How long a node that gave rooms up waits for what was running in them before it says so. */
  settleMs?: number;
  now?: () => number;
}

const MAX_QUEUED_PER_ROOM = 1000;
const MAX_WAIT_MS = 4000;

/**
 * The rooms and channels this node runs: all of them on the leader, or this
 * node's share when rooms are spread over the nodes (RoomOwnership says
 * which). The rooms it runs are loaded from the store when they become its
 * own and dropped when they stop being so. Per room, operations take their
 * turn in a queue: a membership change holds the room until the store has it
 * (store first, then memory); a message holds it only until its sequence
 * number is being assigned, so a busy room has many messages in the store's
 * batch at once and they are still numbered and fanned out in the order they
 * arrived. A message goes to the members as they were at its turn.
 *
 * The service answers with what to fan out; the node turns that into
 * deliveries per node.
 */
export class GroupService {
  readonly name = 'rooms';
  private readonly table: RoomTable;
  private readonly queue: RoomQueue;

  constructor(private readonly deps: GroupServiceDeps) {
    this.queue = new RoomQueue({
      maxQueued: deps.maxQueuedPerRoom ?? MAX_QUEUED_PER_ROOM,
      maxWaitMs: deps.maxWaitMs ?? MAX_WAIT_MS,
      now: deps.now ?? Date.now,
    });
    this.table = new RoomTable({
      rooms: deps.rooms,
      serves: (name) => deps.ownership.serves(conversation.room(name)),
      presenceReady: deps.presenceReady,
      logger: deps.logger,
      settleMs: deps.settleMs,
    });
  }

  /**
   * The rooms this node runs may have changed: the ones it no longer runs are
   * dropped at once; resolves when what was running in them has finished
   * (bounded), so the node that takes them over loads them after the last write.
   */
  reassigned(): Promise<void> {
    return this.table.reassigned((key) => this.deps.ownership.serves(key));
  }

  async handle<K extends LeaderOpName>(
    actor: Actor,
    call: LeaderCall<K>,
    askedAt?: number,
  ): Promise<LeaderOutcome<K>> {
    // Each branch answers the outcome of its own operation; TypeScript cannot
    // narrow the generic K from the discriminant, hence the one cast per branch.
    const c = call as LeaderCall;
    const at = askedAt;
    switch (c.op) {
      case 'listRooms':
        return { result: await this.listFor(actor.username) } as LeaderOutcome<K>;
      case 'createRoom':
        return {
          result: await this.roomOp(c.room, at, (s) => this.create(actor, c.room, s)),
        } as LeaderOutcome<K>;
      case 'joinRoom':
        return {
          result: await this.roomOp(c.room, at, (s) => this.join(actor, c.room, s)),
        } as LeaderOutcome<K>;
      case 'leaveRoom':
        return {
          result: await this.roomOp(c.room, at, (s) => this.leave(actor, c.room, s)),
        } as LeaderOutcome<K>;
      case 'sendRoom':
        return (await this.sendRoom(actor, c, at)) as LeaderOutcome<K>;
      case 'sendChannel':
        return (await this.sendChannel(actor, c, at)) as LeaderOutcome<K>;
    }
  }

  /** For diagnostics: the members of a room this node runs, or undefined. */
  membersOf(name: string): string[] | undefined {
    const state = this.table.get(name);
    return state ? [...state.members].sort() : undefined;
  }

  /** The rooms this node runs (loaded), sorted. */
  list(username = ''): RoomView[] {
    return this.table.names().map((name) => this.view(name, username));
  }

  /** Every room, as the store has it (rooms spread over the nodes: no node holds them all). */
  async listStored(username = ''): Promise<RoomView[]> {
    const records = await this.deps.rooms.list();
    return records.map((r) => ({
      name: r.name,
      memberCount: r.members.length,
      isMember: r.members.includes(username),
    }));
  }

  /** A room's members as the store has them; undefined for an unknown room. */
  async storedMembers(name: string): Promise<string[] | undefined> {
    return (await this.deps.rooms.get(name))?.members;
  }

  private async listFor(username: string): Promise<RoomView[]> {
    if (this.deps.listFrom === 'store') return this.listStored(username);
    await this.deps.ownership.acquire('');
    await this.table.loaded();
    return this.list(username);
  }

  /**
   * Runs `task` in `name`'s turn once this node may run the room, with the
   * room's state as loaded (undefined: no such room).
   */
  private roomOp<T>(
    name: string,
    askedAt: number | undefined,
    task: (state: RoomState | undefined) => Promise<T>,
  ): Promise<T> {
    const key = conversation.room(name);
    return this.table.track(key, async () => {
      await this.deps.ownership.acquire(key, askedAt);
      return this.queue.run(name, async () => task(await this.table.stateOf(name)));
    });
  }

  private async create(actor: Actor, name: string, state: RoomState | undefined): Promise<RoomView> {
    this.fence(name, state);
    await this.deps.rooms.create(name);
    await this.deps.rooms.addMember(name, actor.username);
    // The room may have moved during the write; the node it moved to loads it after this write.
    this.fence(name, undefined);
    this.table.set(name, new Set([actor.username]));
    return this.view(name, actor.username);
  }

  private async join(
    actor: Actor,
    name: string,
    state: RoomState | undefined,
  ): Promise<{ room: RoomView; recent: StoredMessage[] }> {
    const room = this.existing(name, state);
    await this.deps.rooms.addMember(name, actor.username);
    this.fence(name, room);
    room.members = new Set(room.members).add(actor.username);
    this.deps.events?.({ type: 'roomJoined', room: name, username: actor.username });
    const recent = await this.deps.recent.newest(conversation.room(name), JOIN_REPLAY);
    return { room: this.view(name, actor.username), recent: recent.reverse() };
  }

  private async leave(actor: Actor, name: string, state: RoomState | undefined): Promise<RoomView> {
    const room = this.existing(name, state);
    await this.deps.rooms.removeMember(name, actor.username);
    this.fence(name, room);
    const members = new Set(room.members);
    members.delete(actor.username);
    room.members = members;
    this.deps.events?.({ type: 'roomLeft', room: name, username: actor.username });
    return this.view(name, actor.username);
  }

  private async sendRoom(
    actor: Actor,
    { room: name, text, idempotencyKey }: LeaderCall<'sendRoom'>,
    askedAt: number | undefined,
  ): Promise<LeaderOutcome<'sendRoom'>> {
    // The room's turn ends as soon as the store has the message in its batch.
    const turn = await this.roomOp(name, askedAt, async (state) => {
      const room = this.existing(name, state);
      if (!room.members.has(actor.username))
        throw new Forbidden(`You are not a member of room ${name}; join it first.`, 'NOT_A_MEMBER');
      const recorded: Promise<RecordResult> = this.deps.recorder.record({
        kind: 'room',
        conversation: conversation.room(name),
        from: actor.username,
        to: name,
        text,
        idempotencyKey,
      });
      return { recorded, members: room.members, room };
    });
    const { message } = await this.table.track(conversation.room(name), () => turn.recorded);
    // The room may have moved while the store wrote: its new owner delivers the retry.
    this.fence(name, turn.room);
    return { result: ackOf(message), fanOut: { kind: 'members', message, members: turn.members } };
  }

  private sendChannel(
    actor: Actor,
    { channel, text, idempotencyKey }: LeaderCall<'sendChannel'>,
    askedAt: number | undefined,
  ): Promise<LeaderOutcome<'sendChannel'>> {
    if (channel === 'alliance' && !actor.alliance)
      throw new InvalidArgument('You belong to no alliance.', 'NO_ALLIANCE');
    const world = channel === 'world';
    const key = world ? conversation.world() : conversation.alliance(actor.alliance);
    const { ownership } = this.deps;
    return this.table.track(key, async () => {
      await ownership.acquire(key, askedAt);
      const { message } = await this.deps.recorder.record({
        kind: channel,
        conversation: key,
        from: actor.username,
        to: world ? 'world' : actor.alliance,
        text,
        idempotencyKey,
      });
      if (!ownership.serves(key)) throw ownership.moved(key);
      return {
        result: ackOf(message),
        fanOut: { kind: 'broadcast', message, alliance: world ? '' : actor.alliance },
      };
    });
  }

  /**
   * Fencing: every write and fan-out re-checks that this node still runs the
   * room (by its own ZooKeeper timer) and that the room's state is the one the
   * operation began with, because an operation may have waited in a room's
   * queue or on the store while the room moved (and perhaps came back).
   */
  private fence(name: string, state: RoomState | undefined): void {
    const key = conversation.room(name);
    const { ownership } = this.deps;
    if (!ownership.serves(key) || (state !== undefined && this.table.get(name) !== state))
      throw ownership.moved(key);
  }

  /** The room's state, fenced; NotFound for a room that does not exist. */
  private existing(name: string, state: RoomState | undefined): RoomState {
    this.fence(name, state);
    if (!state) throw new NotFound(`There is no room named ${name}.`, 'UNKNOWN_ROOM');
    return state;
  }

  private view(name: string, username: string): RoomView {
    const members = this.table.get(name)?.members;
    return { name, memberCount: members?.size ?? 0, isMember: members?.has(username) ?? false };
  }
}

function ackOf(message: StoredMessage): SendAck {
  return {
    id: message.id,
    conversation: message.conversation,
    seq: message.seq,
    ts: message.ts,
    delivered: true,
  };
}
