import type { Logger } from '../core/logger';
import { Forbidden, NotFound, Unavailable, InvalidArgument } from '../core/errors';
import { KeyedQueue } from '../core/keyed-queue';
import { conversation } from '../core/names';
import type { RoomStore } from '../store/types';
import type { ChatEvents, RecentActivity } from './ports';
import type { MessageRecorder, RecordResult } from './recorder';
import type {
  Actor,
  ChannelName,
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
  activity: RecentActivity;
  logger: Logger;
  /** Fencing: true while this node still leads (read before every write and fan-out). */
  leading: () => boolean;
  /** Resolves once the presence of every live node is known (bounded). */
  presenceReady?: () => Promise<unknown>;
  events?: ChatEvents;
  /** Operations waiting for one room's turn, past which more are refused (503 ROOM_BUSY). */
  maxQueuedPerRoom?: number;
  /**
   * An operation that waited longer than this for its room's turn is refused
   * instead of run: the node that asked has given up on it by then (its
   * client retries with the same idempotency key).
   */
  maxWaitMs?: number;
  now?: () => number;
}

const MAX_QUEUED_PER_ROOM = 1000;
const MAX_WAIT_MS = 4000;

/**
 * Rooms and channels, run by the leader only. Rooms are loaded from the store
 * when leadership starts. Per room, operations take their turn in a queue:
 * a membership change holds the room until the store has it (store first,
 * then memory); a message holds it only until its sequence number is being
 * assigned, so a busy room has many messages in the store's batch at once and
 * they are still numbered and fanned out in the order they arrived. A message
 * goes to the members as they were at its turn.
 *
 * The service answers with what to fan out; the node turns that into
 * deliveries per node.
 */
export class GroupService {
  readonly name = 'rooms';
  /** Copy-on-write: a message keeps the member set of its turn while later joins replace it. */
  private readonly members = new Map<string, ReadonlySet<string>>();
  private readonly queue = new KeyedQueue();
  private readonly queued = new Map<string, number>();
  private epoch = 0;
  private loading: Promise<void> | undefined;

  constructor(private readonly deps: GroupServiceDeps) {}

  /** Leader duty: load every room. A failed load is retried by the next operation. */
  start(epoch: number): Promise<void> {
    this.epoch = epoch;
    return this.ready();
  }

  stop(): void {
    this.epoch = 0;
    this.loading = undefined;
    this.members.clear();
  }

  async handle<K extends LeaderOpName>(actor: Actor, call: LeaderCall<K>): Promise<LeaderOutcome<K>> {
    this.fence('NOT_LEADER');
    await this.ready();
    // Each branch answers the outcome of its own operation; TypeScript cannot
    // narrow the generic K from the discriminant, hence the one cast per branch.
    const c = call as LeaderCall;
    switch (c.op) {
      case 'listRooms':
        return { result: this.list(actor.username) } as LeaderOutcome<K>;
      case 'createRoom':
        return { result: await this.inTurn(c.room, () => this.create(actor, c.room)) } as LeaderOutcome<K>;
      case 'joinRoom':
        return { result: await this.inTurn(c.room, () => this.join(actor, c.room)) } as LeaderOutcome<K>;
      case 'leaveRoom':
        return { result: await this.inTurn(c.room, () => this.leave(actor, c.room)) } as LeaderOutcome<K>;
      case 'sendRoom':
        return (await this.sendRoom(actor, c.room, c.text, c.idempotencyKey)) as LeaderOutcome<K>;
      case 'sendChannel':
        return (await this.sendChannel(actor, c.channel, c.text, c.idempotencyKey)) as LeaderOutcome<K>;
    }
  }

  /** For diagnostics: the members of a room, or undefined for an unknown room. */
  membersOf(name: string): string[] | undefined {
    const members = this.members.get(name);
    return members ? [...members].sort() : undefined;
  }

  list(username = ''): RoomView[] {
    return [...this.members.keys()].sort().map((name) => this.view(name, username));
  }

  /**
   * Runs `task` in `room`'s turn, bounded: a room with too many operations
   * waiting refuses more, and one that waited past its caller's patience is
   * not run at all.
   */
  private async inTurn<T>(room: string, task: () => Promise<T>): Promise<T> {
    const waiting = this.queued.get(room) ?? 0;
    if (waiting >= (this.deps.maxQueuedPerRoom ?? MAX_QUEUED_PER_ROOM))
      throw new Unavailable(`Room ${room} is too busy right now; try again in a moment.`, 'ROOM_BUSY');
    this.queued.set(room, waiting + 1);
    const now = this.deps.now ?? Date.now;
    const since = now();
    try {
      return await this.queue.run(room, () => {
        if (now() - since > (this.deps.maxWaitMs ?? MAX_WAIT_MS))
          throw new Unavailable(`Room ${room} was too busy to take this in time; try again.`, 'ROOM_BUSY');
        return task();
      });
    } finally {
      const left = (this.queued.get(room) ?? 1) - 1;
      if (left > 0) this.queued.set(room, left);
      else this.queued.delete(room);
    }
  }

  private ready(): Promise<void> {
    this.loading ??= this.load(this.epoch).catch((err: unknown) => {
      // The next operation tries again instead of the whole epoch staying without rooms.
      this.loading = undefined;
      throw err;
    });
    return this.loading;
  }

  private async load(epoch: number): Promise<void> {
    const [rooms] = await Promise.all([this.deps.rooms.list(), this.deps.presenceReady?.()]);
    if (epoch !== this.epoch) return;
    this.members.clear();
    for (const room of rooms) this.members.set(room.name, new Set(room.members));
    this.deps.logger.info(
      { event: 'rooms_loaded', rooms: rooms.length, epoch },
      'rooms loaded by the new leader',
    );
  }

  private async create(actor: Actor, name: string): Promise<RoomView> {
    this.fence();
    await this.deps.rooms.create(name);
    await this.deps.rooms.addMember(name, actor.username);
    // A new leader may have loaded the rooms before this write: the client retries there.
    this.fence();
    this.members.set(name, new Set([actor.username]));
    return this.view(name, actor.username);
  }

  private async join(actor: Actor, name: string): Promise<{ room: RoomView; recent: StoredMessage[] }> {
    this.fence();
    this.room(name);
    await this.deps.rooms.addMember(name, actor.username);
    this.fence();
    this.members.set(name, new Set(this.room(name)).add(actor.username));
    this.deps.events?.({ type: 'roomJoined', room: name, username: actor.username });
    const recent = await this.deps.activity.recent(conversation.room(name), JOIN_REPLAY);
    return { room: this.view(name, actor.username), recent: recent.reverse() };
  }

  private async leave(actor: Actor, name: string): Promise<RoomView> {
    this.fence();
    this.room(name);
    await this.deps.rooms.removeMember(name, actor.username);
    this.fence();
    const members = new Set(this.room(name));
    members.delete(actor.username);
    this.members.set(name, members);
    this.deps.events?.({ type: 'roomLeft', room: name, username: actor.username });
    return this.view(name, actor.username);
  }

  private async sendRoom(
    actor: Actor,
    name: string,
    text: string,
    idempotencyKey: string,
  ): Promise<LeaderOutcome<'sendRoom'>> {
    // The room's turn ends as soon as the store has the message in its batch.
    const turn = await this.inTurn(name, async () => {
      this.fence();
      const members = this.room(name);
      if (!members.has(actor.username))
        throw new Forbidden(`You are not a member of room ${name}; join it first.`, 'NOT_A_MEMBER');
      const recorded: Promise<RecordResult> = this.deps.recorder.record({
        kind: 'room',
        conversation: conversation.room(name),
        from: actor.username,
        to: name,
        text,
        idempotencyKey,
      });
      return { recorded, members };
    });
    const { message } = await turn.recorded;
    // Leadership may have moved while the store wrote: the new leader delivers the retry.
    this.fence();
    return { result: ackOf(message), fanOut: { kind: 'members', message, members: turn.members } };
  }

  private async sendChannel(
    actor: Actor,
    channel: ChannelName,
    text: string,
    idempotencyKey: string,
  ): Promise<LeaderOutcome<'sendChannel'>> {
    this.fence();
    if (channel === 'alliance' && !actor.alliance)
      throw new InvalidArgument('You belong to no alliance.', 'NO_ALLIANCE');
    const world = channel === 'world';
    const { message } = await this.deps.recorder.record({
      kind: channel,
      conversation: world ? conversation.world() : conversation.alliance(actor.alliance),
      from: actor.username,
      to: world ? 'world' : actor.alliance,
      text,
      idempotencyKey,
    });
    this.fence();
    return {
      result: ackOf(message),
      fanOut: { kind: 'broadcast', message, alliance: world ? '' : actor.alliance },
    };
  }

  /**
   * Fencing: every write and fan-out re-checks that this node still leads (by
   * its own ZooKeeper timer), because an operation may have waited in a room's
   * queue or on the store while leadership moved.
   */
  private fence(reason: 'NOT_LEADER' | 'LEADER_CHANGED' = 'LEADER_CHANGED'): void {
    if (this.epoch !== 0 && this.deps.leading()) return;
    throw reason === 'NOT_LEADER'
      ? new Unavailable('This node is not the leader right now; try again in a moment.', 'NOT_LEADER')
      : new Unavailable('Leadership moved while this request was handled; try again.', 'LEADER_CHANGED');
  }

  private room(name: string): ReadonlySet<string> {
    const members = this.members.get(name);
    if (!members) throw new NotFound(`There is no room named ${name}.`, 'UNKNOWN_ROOM');
    return members;
  }

  private view(name: string, username: string): RoomView {
    const members = this.members.get(name);
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
