import type { StoredMessage } from '../store/types';

export type { StoredMessage };

/** A logged-in user as the chat domain sees them. */
export interface Actor {
  username: string;
  alliance: string;
}

/** A message to hand to sessions of one node. */
export interface DeliverOrder {
  message: StoredMessage;
  /** Users on the receiving node (direct and room messages). */
  recipients: string[];
  /** Channel messages: every matching local session, no recipient list. */
  broadcast: boolean;
}

export interface RoomView {
  name: string;
  memberCount: number;
  isMember: boolean;
}

export interface SendAck {
  id: string;
  conversation: string;
  seq: number;
  ts: number;
  delivered: boolean;
}

export type ChannelName = 'world' | 'alliance';

/** Work only the leader may do: rooms are serialized there, channels fan out from there. */
export type LeaderOp =
  | { op: 'createRoom'; room: string }
  | { op: 'joinRoom'; room: string }
  | { op: 'leaveRoom'; room: string }
  | { op: 'listRooms' }
  | { op: 'sendRoom'; room: string; text: string; idempotencyKey: string }
  | { op: 'sendChannel'; channel: ChannelName; text: string; idempotencyKey: string };

export type LeaderResult =
  | { kind: 'room'; room: RoomView }
  | { kind: 'roomJoined'; room: RoomView; recent: StoredMessage[] }
  | { kind: 'roomList'; rooms: RoomView[] }
  | { kind: 'sendAck'; ack: SendAck };

/** A user's session on this node, with a way to reach their connection. */
export interface SessionPeer {
  push(message: StoredMessage): void;
  /** Closes the connection because a newer login replaced it. */
  kick(reason: string): void;
}

export interface LocalSession {
  username: string;
  alliance: string;
  sid: string;
  loginAt: number;
  peer: SessionPeer;
}
