/**
 * The Store port: users, rooms and message history, shaped like the chat
 * domain. SQLite (embedded default) and MongoDB implement it and pass the same
 * contract suite (test/contract/store-contract.ts).
 *
 * Errors users can hit are ChatErrors: Conflict (name taken), NotFound
 * (unknown room), TooLarge (text over the limit), InvalidArgument (empty or
 * malformed input), Unavailable (database busy or unreachable).
 */

export interface UserRecord {
  username: string;
  /** '' when the user belongs to no alliance. */
  alliance: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
}

export type MessageKind = 'direct' | 'room' | 'world' | 'alliance';

export const MESSAGE_KINDS: readonly MessageKind[] = ['direct', 'room', 'world', 'alliance'];

export interface StoredMessage {
  /** Unique across the cluster; appending the same id twice stores it once. */
  id: string;
  /** Conversation key built by `conversation.*` in src/core/names.ts. */
  conversation: string;
  /** Grows by one per conversation, starting at 1; unique within a conversation. */
  seq: number;
  kind: MessageKind;
  from: string;
  /** Recipient user, room, alliance or 'world', depending on `kind`. */
  to: string;
  text: string;
  /** Server timestamp, milliseconds since the epoch. */
  ts: number;
}

export interface RoomRecord {
  name: string;
  /** Sorted by username, so both adapters answer alike. */
  members: string[];
  createdAt: number;
}

export interface Page {
  /** Newest first. */
  messages: StoredMessage[];
  /** Pass back to get the next older page; '' when there is nothing older. */
  nextCursor: string;
}

export interface UserStore {
  /** Hashes the password with scrypt. Conflict when the username is taken. */
  create(input: { username: string; password: string; alliance?: string }): Promise<UserRecord>;
  find(username: string): Promise<UserRecord | null>;
  /**
   * The user when the password matches, null otherwise. An unknown user costs
   * the same hash as a known one, so the answer time does not tell them apart.
   */
  verifyPassword(username: string, password: string): Promise<UserRecord | null>;
  count(): Promise<number>;
}

export interface RoomStore {
  /** Conflict when a room of that name exists. */
  create(name: string): Promise<RoomRecord>;
  get(name: string): Promise<RoomRecord | null>;
  /** Sorted by name. */
  list(): Promise<RoomRecord[]>;
  /** NotFound for an unknown room; adding a member twice is a no-op. */
  addMember(room: string, username: string): Promise<void>;
  /** NotFound for an unknown room; removing a non-member is a no-op. */
  removeMember(room: string, username: string): Promise<void>;
  /** NotFound for an unknown room; the membership goes with it. */
  delete(name: string): Promise<void>;
}

/**
 * A message before the store numbers it. `idempotency` (optional, '' = none)
 * identifies a send across retries: a second appendNext with the same
 * (conversation, idempotency) stores nothing and returns the first write.
 */
export type NewMessage = Omit<StoredMessage, 'seq'> & { idempotency?: string };

export interface AppendResult {
  /** As stored: on a repeated id, the first write (its seq, text and ts). */
  message: StoredMessage;
  /** False when a message with this id was already stored. */
  created: boolean;
}

export interface MessageStore {
  /**
   * Numbers and stores a message in one atomic step: seq = the conversation's
   * highest + 1, so stored sequence numbers have no gaps and an acknowledged
   * message is a stored one. The same id, or the same idempotency in the
   * same conversation, again returns the first write (`created: false`),
   * which is how retried sends are stored once.
   */
  appendNext(message: NewMessage): Promise<AppendResult>;
  /**
   * Stores a message. The same id again is a no-op (the first write wins);
   * another id with a (conversation, seq) already taken is a Conflict.
   * TooLarge for text over the limit, InvalidArgument for malformed fields;
   * a rejected message leaves the stored ones untouched.
   */
  append(message: StoredMessage): Promise<void>;
  /** Newest first; following `nextCursor` returns every message exactly once. */
  page(conversation: string, opts: { limit: number; cursor?: string }): Promise<Page>;
  /** Messages with seq > afterSeq, oldest first: what a client missed. */
  after(conversation: string, afterSeq: number, limit: number): Promise<StoredMessage[]>;
  /**
   * Direct conversations in which `username` received messages after `sinceTs`,
   * each with the seq just before the first such message (where to sync from).
   * At most `limit` conversations, those with the oldest missed messages first.
   */
  missedDirect(
    username: string,
    sinceTs: number,
    limit: number,
  ): Promise<Array<{ conversation: string; afterSeq: number }>>;
  /** Highest stored seq, 0 for an empty conversation. */
  latestSeq(conversation: string): Promise<number>;
}

/** How the store's writes commit: group commits, for metrics and the benchmark. */
export interface StoreWriteStats {
  commits: number;
  rows: number;
  /** Batches that found the write lock taken by another process and waited for it. */
  lockRetries: number;
  queued: number;
  /** SQLite: bytes in the WAL at the last checkpoint, where this process checkpoints the file. */
  walBytes?: number;
}

export interface Store {
  users: UserStore;
  rooms: RoomStore;
  messages: MessageStore;
  /** Commit counters, where the adapter batches its writes. */
  writeStats?(): StoreWriteStats;
  /** Idempotent. */
  close(): Promise<void>;
}
