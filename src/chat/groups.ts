import type { Logger } from '../core/logger';
import { Forbidden, NotFound, Unavailable, InvalidArgument } from '../core/errors';
import { KeyedQueue } from '../core/keyed-queue';
import { conversation } from '../core/names';
import type { RoomStore } from '../store/types';
import type { ClusterPort } from './cluster-port';
import type { LocalSessions } from './local-sessions';
import type { ChatEvents, RecentActivity } from './ports';
import type { Presence } from './presence';
import type { MessageRecorder } from './recorder';
import type { Actor, LeaderOp, LeaderResult, RoomView, SendAck, StoredMessage } from './types';

export const JOIN_REPLAY = 50;

export interface GroupServiceDeps {
  rooms: RoomStore;
  recorder: MessageRecorder;
  activity: RecentActivity;
  presence: Presence;
  local: LocalSessions;
  cluster: ClusterPort;
  logger: Logger;
  /** Resolves once the presence of every live node is known (bounded). */
  presenceReady?: () => Promise<unknown>;
  events?: ChatEvents;
}

/**
 * Rooms and channels, run by the leader only. Rooms are loaded from the store
 * when leadership starts; every change is written to the store first, then to
 * memory, one room at a time.
 */
export class GroupService {
  readonly name = 'rooms';
  private readonly members = new Map<string, Set<string>>();
  private readonly queue = new KeyedQueue();
  private ready: Promise<void> | undefined;

  constructor(private readonly deps: GroupServiceDeps) {}

  /** Leader duty: load every room. */
  start(epoch: number): Promise<void> {
    this.ready = Promise.all([this.load(epoch), this.deps.presenceReady?.()]).then(() => undefined);
    return this.ready;
  }

  stop(): void {
    this.ready = undefined;
    this.members.clear();
  }

  async handle(actor: Actor, op: LeaderOp): Promise<LeaderResult> {
    if (!this.ready || !this.deps.cluster.isLeader()) {
      throw new Unavailable('This node is not the leader right now; try again in a moment.', 'NOT_LEADER');
    }
    await this.ready;
    switch (op.op) {
      case 'listRooms':
        return { kind: 'roomList', rooms: this.list(actor.username) };
      case 'createRoom':
        return this.queue.run(op.room, () => this.create(actor, op.room));
      case 'joinRoom':
        return this.queue.run(op.room, () => this.join(actor, op.room));
      case 'leaveRoom':
        return this.queue.run(op.room, () => this.leave(actor, op.room));
      case 'sendRoom':
        return this.queue.run(op.room, () => this.sendRoom(actor, op.room, op.text, op.idempotencyKey));
      case 'sendChannel':
        return {
          kind: 'sendAck',
          ack: await this.sendChannel(actor, op.channel, op.text, op.idempotencyKey),
        };
    }
  }

  /** For diagnostics: members and who of them is online where. */
  detail(name: string): { members: string[]; onlineByNode: Map<string, string[]> } | undefined {
    const members = this.members.get(name);
    if (!members) return undefined;
    return { members: [...members].sort(), onlineByNode: this.deps.presence.byNode(members) };
  }

  list(username = ''): RoomView[] {
    return [...this.members.keys()].sort().map((name) => this.view(name, username));
  }

  private async load(epoch: number): Promise<void> {
    const rooms = await this.deps.rooms.list();
    this.members.clear();
    for (const room of rooms) this.members.set(room.name, new Set(room.members));
    this.deps.logger.info(
      { event: 'rooms_loaded', rooms: rooms.length, epoch },
      'rooms loaded by the new leader',
    );
  }

  private async create(actor: Actor, name: string): Promise<LeaderResult> {
    this.fence();
    await this.deps.rooms.create(name);
    await this.deps.rooms.addMember(name, actor.username);
    this.members.set(name, new Set([actor.username]));
    return { kind: 'room', room: this.view(name, actor.username) };
  }

  private async join(actor: Actor, name: string): Promise<LeaderResult> {
    this.fence();
    const members = this.room(name);
    await this.deps.rooms.addMember(name, actor.username);
    members.add(actor.username);
    this.deps.events?.({ type: 'roomJoined', room: name, username: actor.username });
    const recent = await this.deps.activity.recent(conversation.room(name), JOIN_REPLAY);
    return { kind: 'roomJoined', room: this.view(name, actor.username), recent: recent.reverse() };
  }

  private async leave(actor: Actor, name: string): Promise<LeaderResult> {
    this.fence();
    const members = this.room(name);
    await this.deps.rooms.removeMember(name, actor.username);
    members.delete(actor.username);
    this.deps.events?.({ type: 'roomLeft', room: name, username: actor.username });
    return { kind: 'room', room: this.view(name, actor.username) };
  }

  private async sendRoom(
    actor: Actor,
    name: string,
    text: string,
    idempotencyKey: string,
  ): Promise<LeaderResult> {
    this.fence();
    const members = this.room(name);
    if (!members.has(actor.username))
      throw new Forbidden(`You are not a member of room ${name}; join it first.`, 'NOT_A_MEMBER');
    const { message } = await this.deps.recorder.record({
      kind: 'room',
      conversation: conversation.room(name),
      from: actor.username,
      to: name,
      text,
      idempotencyKey,
    });
    // Leadership may have moved while the store wrote: the new leader delivers the retry.
    this.fence();
    this.fanOut(message, members);
    return { kind: 'sendAck', ack: ackOf(message) };
  }

  private async sendChannel(
    actor: Actor,
    channel: 'world' | 'alliance',
    text: string,
    idempotencyKey: string,
  ): Promise<SendAck> {
    this.fence();
    if (channel === 'alliance' && !actor.alliance)
      throw new InvalidArgument('You belong to no alliance.', 'NO_ALLIANCE');
    const { message } = await this.deps.recorder.record(
      channel === 'world'
        ? {
            kind: 'world',
            conversation: conversation.world(),
            from: actor.username,
            to: 'world',
            text,
            idempotencyKey,
          }
        : {
            kind: 'alliance',
            conversation: conversation.alliance(actor.alliance),
            from: actor.username,
            to: actor.alliance,
            text,
            idempotencyKey,
          },
    );
    this.fence();
    this.deps.local.broadcast(message);
    this.deps.cluster.deliverToAll({ message, recipients: [], broadcast: true });
    return ackOf(message);
  }

  /** One order per node that has online members, listing them. */
  private fanOut(message: StoredMessage, members: Set<string>): void {
    for (const [nodeId, recipients] of this.deps.presence.byNode(members)) {
      if (nodeId === this.deps.cluster.nodeId) this.deps.local.deliver(message, recipients);
      else this.deps.cluster.deliverTo(nodeId, { message, recipients, broadcast: false });
    }
  }

  /**
   * Fencing: every write and fan-out re-checks that this node still leads (by
   * its own ZooKeeper timer), because an operation may have waited in a room's
   * queue or on the store while leadership moved.
   */
  private fence(): void {
    if (!this.ready || !this.deps.cluster.isLeader()) {
      throw new Unavailable('Leadership moved while this request was handled; try again.', 'LEADER_CHANGED');
    }
  }

  private room(name: string): Set<string> {
    const members = this.members.get(name);
    if (!members) throw new NotFound(`There is no room named ${name}.`, 'UNKNOWN_ROOM');
    return members;
  }

  private view(name: string, username: string): RoomView {
    const members = this.members.get(name) ?? new Set<string>();
    return { name, memberCount: members.size, isMember: members.has(username) };
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
