import { Forbidden, NotFound } from '../core/errors';
import { conversation } from '../core/names';
import { encodeCursor } from '../store/paging';
import type { MessageStore, RoomStore } from '../store/types';
import type { RecentActivity } from './ports';
import { RecentHistory } from './recent-history';
import type { Actor, StoredMessage } from './types';

export interface HistoryPage {
  conversation: string;
  /** Newest first. */
  messages: StoredMessage[];
  nextCursor: string;
}

export interface CatchUp {
  conversation: string;
  /** Oldest first. */
  messages: StoredMessage[];
  complete: boolean;
  hasMore: boolean;
}

/**
 * Reading history: the first page of a conversation comes from the Redis
 * recent list (completed from the store, RecentHistory) when it covers the
 * page, older pages from the store; only
 * members of a room and the two users of a direct conversation may read it.
 */
export class HistoryService {
  private readonly recent: RecentHistory;

  constructor(private readonly deps: { messages: MessageStore; rooms: RoomStore; activity: RecentActivity }) {
    this.recent = new RecentHistory(deps);
  }

  async page(
    actor: Actor,
    target: { room: string } | { peer: string },
    limit: number,
    cursor: string,
  ): Promise<HistoryPage> {
    const key =
      'room' in target ? conversation.room(target.room) : conversation.direct(actor.username, target.peer);
    if ('room' in target) await this.requireMember(actor.username, target.room);
    if (!cursor) {
      const recent = await this.recent.newest(key, limit);
      const oldest = recent[recent.length - 1];
      if (oldest && (recent.length >= limit || oldest.seq === 1)) {
        return {
          conversation: key,
          messages: recent,
          nextCursor: oldest.seq > 1 ? encodeCursor(oldest.seq) : '',
        };
      }
    }
    const page = await this.deps.messages.page(key, { limit, cursor });
    return { conversation: key, ...page };
  }

  /** What a client missed after `afterSeq`, for each conversation it names. */
  async sync(
    actor: Actor,
    positions: ReadonlyArray<{ conversation: string; afterSeq: number }>,
    limit: number,
  ): Promise<CatchUp[]> {
    const result: CatchUp[] = [];
    for (const position of positions) {
      await this.requireReader(actor, position.conversation);
      const messages = await this.deps.messages.after(position.conversation, position.afterSeq, limit);
      const first = messages[0];
      const complete = first
        ? first.seq === position.afterSeq + 1
        : (await this.deps.messages.latestSeq(position.conversation)) <= position.afterSeq;
      result.push({
        conversation: position.conversation,
        messages,
        complete,
        hasMore: messages.length === limit,
      });
    }
    return result;
  }

  private async requireReader(actor: Actor, key: string): Promise<void> {
    if (key === conversation.world()) return;
    if (key.startsWith('alliance:')) {
      if (actor.alliance && key === conversation.alliance(actor.alliance)) return;
      throw new Forbidden('You can only read the channel of your own alliance.', 'NOT_A_MEMBER');
    }
    if (key.startsWith('room:')) return this.requireMember(actor.username, key.slice('room:'.length));
    if (key.startsWith('dm:')) {
      const [a, b] = key.slice('dm:'.length).split('|');
      if (a === actor.username || b === actor.username) return;
      throw new Forbidden('You can only read your own direct conversations.', 'NOT_A_MEMBER');
    }
    throw new NotFound(`There is no conversation ${key}.`, 'UNKNOWN_CONVERSATION');
  }

  private async requireMember(username: string, room: string): Promise<void> {
    const record = await this.deps.rooms.get(room);
    if (!record) throw new NotFound(`There is no room named ${room}.`, 'UNKNOWN_ROOM');
    if (!record.members.includes(username))
      throw new Forbidden(`Only members of room ${room} may read its history.`, 'NOT_A_MEMBER');
  }
}
