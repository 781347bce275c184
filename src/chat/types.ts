import type { StoredMessage } from '../store/types';

export type { StoredMessage };

/** A logged-in user as the chat domain sees them. */
export interface Actor {
  username: string;
  alliance: string;
}

/**
 * A chat message ready to push to clients: encoded once where it was stored,
 * then written unchanged to every recipient's socket, on every node.
 */
export interface OutgoingPush {
  /** The push frame as binary clients receive it. */
  readonly bytes: Uint8Array;
  /** The same frame as JSON text (the JSON subprotocol), made on first use. */
  json(): string;
  /** The message itself, decoded on first use (plugins, diagnostics). */
  message(): StoredMessage;
  /** Something made from this push once and shared by every recipient (e.g. a framed buffer). */
  memo<T>(key: string, make: () => T): T;
}

/** Encodes pushes; the protocol layer implements it (the domain knows no wire format). */
export interface PushCodec {
  fromMessage(message: StoredMessage): OutgoingPush;
  fromBytes(bytes: Uint8Array): OutgoingPush;
}

/** A message to hand to sessions of one node. */
export interface DeliverOrder {
  push: OutgoingPush;
  /** Users on the receiving node (direct and room messages). */
  recipients: readonly string[];
  /** Channel messages: every matching local session, no recipient list. */
  broadcast: boolean;
  /** For a broadcast: only sessions of this alliance ('' = every session). */
  alliance: string;
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

export interface RoomJoinedView {
  room: RoomView;
  /** The room's most recent messages, oldest first. */
  recent: StoredMessage[];
}

/**
 * Work only the leader may do (rooms are serialized there, channels fan out
 * from there): each operation's arguments and result.
 */
export interface LeaderOps {
  createRoom: { args: { room: string }; result: RoomView };
  joinRoom: { args: { room: string }; result: RoomJoinedView };
  leaveRoom: { args: { room: string }; result: RoomView };
  listRooms: { args: Record<never, never>; result: RoomView[] };
  sendRoom: { args: { room: string; text: string; idempotencyKey: string }; result: SendAck };
  sendChannel: {
    args: { channel: ChannelName; text: string; idempotencyKey: string };
    result: SendAck;
  };
}

export type LeaderOpName = keyof LeaderOps;

/** One leader operation with its arguments, e.g. `{ op: 'joinRoom', room: 'lobby' }`. */
export type LeaderCall<K extends LeaderOpName = LeaderOpName> = {
  [P in K]: { op: P } & LeaderOps[P]['args'];
}[K];

export type LeaderResultOf<K extends LeaderOpName> = LeaderOps[K]['result'];

/**
 * Who a stored room or channel message goes to; the node running the room
 * turns it into one delivery per node.
 */
export type FanOut =
  | { kind: 'members'; message: StoredMessage; members: ReadonlySet<string> }
  | { kind: 'broadcast'; message: StoredMessage; alliance: string };

/** What the room service answers: the operation's result, and a fan-out to run once it is stored. */
export interface LeaderOutcome<K extends LeaderOpName> {
  result: LeaderResultOf<K>;
  fanOut?: FanOut;
}

/** A user's session on this node, with a way to reach their connection. */
export interface SessionPeer {
  push(push: OutgoingPush): void;
  /** Closes the connection: a newer login replaced it (4000), or an operator removed the user (4004). */
  kick(reason: string, why?: 'replaced' | 'removed'): void;
  /** Tells the client it may have missed messages: sync these positions (and all it has seen, with `all`). */
  hint(hint: { positions: SyncPosition[]; all: boolean; reason: string }): void;
}

/** A conversation and the sequence number to sync after. */
export interface SyncPosition {
  conversation: string;
  afterSeq: number;
}

export interface LocalSession {
  username: string;
  alliance: string;
  sid: string;
  loginAt: number;
  peer: SessionPeer;
}
