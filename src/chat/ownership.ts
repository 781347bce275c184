import type { ChatError } from '../core/errors';
import { conversation } from '../core/names';
import type { Actor, LeaderCall } from './types';

/**
 * Which rooms and channels this node runs, as the chat domain sees it. Keys
 * are conversation keys (`room:lobby`, `world`, `alliance:wolves`). The node
 * implements it over the leader election (every key on the leader) or over
 * the membership (each key on its owner; src/node/spread-ownership.ts).
 */
export interface RoomOwnership {
  /** Fencing, read before every write and fan-out: this node runs `key` right now. */
  serves(key: string): boolean;
  /**
   * Resolves once this node may run `key` (waiting, bounded, while the key
   * moves here); rejects with a 503 the client retries when another node
   * runs it. `askedAt` is the ownership version the asking node routed by.
   */
  acquire(key: string, askedAt?: number): Promise<void>;
  /** The 503 for an operation during which `key` moved away from this node. */
  moved(key: string): ChatError;
}

/**
 * The conversation key an operation runs under, which decides the node that
 * runs it; '' for one that needs no particular node (listing rooms, an
 * alliance message from a user in none: refused wherever it runs).
 */
export function ownershipKey(actor: Actor, call: LeaderCall): string {
  switch (call.op) {
    case 'listRooms':
      return '';
    case 'sendChannel':
      if (call.channel === 'world') return conversation.world();
      return actor.alliance ? conversation.alliance(actor.alliance) : '';
    default:
      return conversation.room(call.room);
  }
}
