import type { AfterEvent } from '../plugins/types';
import type { StoredMessage } from '../store/types';

/** Business events for plugins and export (after the fact; never blocks the caller). */
export type ChatEvents = (event: AfterEvent) => void;

export const noEvents: ChatEvents = () => undefined;

/**
 * What the chat domain needs from shared state, shaped like the domain. The
 * Redis implementations live in src/redis/; tests may pass in-memory ones.
 */

/** Where a user is logged in, cluster-wide. */
export interface GlobalSession {
  nodeId: string;
  loginAt: number;
  /** Identifies one login; a newer login of the same user gets a new sid. */
  sid: string;
}

/** What a claim recorded: the session it replaced, and the login time it stored. */
export interface Claim {
  replaced: GlobalSession | null;
  /**
   * `session.loginAt`, or one past the replaced session's when that was not
   * earlier (another node's clock ahead, or two logins in one millisecond): the
   * order of logins by loginAt is then the order of claims, which is the order
   * kicks follow, so presence on every node ends with the login that survived.
   */
  loginAt: number;
}

export interface SessionDirectory {
  /** Records a login as the user's current one (atomically replacing the previous one). */
  claim(username: string, session: GlobalSession): Promise<Claim>;
  get(username: string): Promise<GlobalSession | null>;
  /**
   * Removes the session only if it is still `sid` (a newer login elsewhere
   * wins), and records when the user was last seen.
   */
  release(username: string, sid: string, at: number): Promise<boolean>;
  /** When the user's last session ended, or null if unknown (never logged out cleanly). */
  lastSeen(username: string): Promise<number | null>;
  all(): Promise<Map<string, GlobalSession>>;
  /**
   * Writes the session back only if the user has none (after the shared state
   * was lost, e.g. a Redis restart). Returns the session that holds the user
   * when it is another one, null when `session` is (now) the recorded one.
   */
  restore(username: string, session: GlobalSession): Promise<GlobalSession | null>;
  /** Removes every session of a node (its clients are gone). */
  releaseNode(nodeId: string): Promise<number>;
}

/** The recent-history lists and the hot-words counts, written together per message. */
export interface RecentActivity {
  /** Adds the message to its conversation's recent list (bounded) and counts its words. */
  record(message: StoredMessage, words: readonly string[]): Promise<void>;
  /** Newest first. */
  recent(conversation: string, limit: number): Promise<StoredMessage[]>;
}

export interface WordCount {
  word: string;
  count: number;
}

export interface HotWords {
  top(limit: number): Promise<WordCount[]>;
  reset(): Promise<void>;
}

/** The session a resume token was issued to. */
export interface TokenSession {
  username: string;
  sid: string;
}

/**
 * Resume tokens: at most one per user (a user has one session at a time), each
 * issued to one session. Adapters store a hash of the token's secret, never
 * the token. A token is valid until it is used, replaced, revoked or expired;
 * a lost connection leaves it valid, so that the client can resume elsewhere.
 */
export interface ResumeTokens {
  /**
   * A new token for the session `sid` of `username`. It replaces the user's
   * previous token, whichever session that was issued to: a newer login has
   * replaced that session.
   */
  issue(username: string, sid: string, ttlSeconds: number): Promise<{ token: string; expiresAt: number }>;
  /**
   * Uses the token up: the session it was issued to, or null when it is
   * malformed, unknown, expired, replaced, revoked or used before. Of two
   * concurrent uses at most one gets the session. A wrong token leaves the
   * user's real one valid.
   */
  consume(token: string): Promise<TokenSession | null>;
  /** Revokes the user's token if it was issued to `sid` (a newer session's token stays). */
  revoke(username: string, sid: string): Promise<boolean>;
  /** Revokes the user's token whichever session it was issued to (e.g. when the password changes). */
  revokeUser(username: string): Promise<boolean>;
}

export interface LoginAttempts {
  /** Throws RateLimited (with the delay) while this account and address must wait. */
  check(username: string, address: string): Promise<void>;
  recordFailure(username: string, address: string): Promise<unknown>;
  /** The password was right: the account and address start afresh. */
  recordSuccess?(username: string, address: string): Promise<void>;
}

/** Published for the gateway: live nodes and their connection counts. */
export interface ServerRegistry {
  writeServers(nodes: ReadonlyArray<{ nodeId: string; url: string }>): Promise<void>;
  publishLoad(nodeId: string, connections: number): Promise<void>;
  removeLoad(nodeId: string): Promise<void>;
}
