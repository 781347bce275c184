import type { Logger } from '../core/logger';
import type { MessageKind, StoredMessage } from '../store/types';

/**
 * The plugin contract: business logic that reacts to chat events without
 * living in the chat services. docs/hooks.md says when each hook runs, on
 * which node, and what the runner guarantees.
 */

/** A message about to be recorded, before it gets an id, a sequence number or a timestamp. */
export interface MessageDraft {
  readonly kind: MessageKind;
  /** Conversation key built by `conversation.*` in src/core/names.ts. */
  readonly conversation: string;
  readonly from: string;
  /** Recipient user, room, alliance or 'world', depending on `kind`. */
  readonly to: string;
  /** The only field a before hook may change (routing stays the server's decision). */
  readonly text: string;
}

/** Who is acting, as a before hook sees them. */
export interface SenderInfo {
  readonly username: string;
  /** '' when the user belongs to no alliance. */
  readonly alliance: string;
  /** When the account was created, milliseconds since the epoch. */
  readonly createdAt: number;
}

export interface JoinRequest {
  readonly room: string;
  readonly user: SenderInfo;
}

export interface MessageDelivered {
  readonly message: StoredMessage;
  /** The user it was handed to. */
  readonly to: string;
  /** The node that delivered it (the recipient's node). */
  readonly nodeId: string;
}

export interface UserPresence {
  readonly username: string;
  readonly alliance: string;
  /** The node holding (or, when offline, having held) the session. */
  readonly nodeId: string;
  /** When it happened, milliseconds since the epoch. */
  readonly at: number;
  /** When the session started; equals `at` for an online event. */
  readonly loginAt: number;
}

export interface RoomMembership {
  readonly room: string;
  readonly username: string;
}

export interface PluginContext {
  /** A child of the node's logger, tagged with the plugin's name. */
  logger: Logger;
  /** The plugin's own section of PLUGINS_CONFIG (or the spec's config); undefined when there is none. */
  config: unknown;
}

export interface ChatPlugin {
  /** Unique among loaded plugins; names the plugin in logs, metrics and its config section. */
  readonly name: string;
  /** Lower runs first; default 100. Ties keep the configured order. */
  readonly priority?: number;
  /** Called once at start-up; throwing stops the node from starting. */
  init?(ctx: PluginContext): void | Promise<void>;

  /**
   * Before a message is recorded. Return a draft with a changed `text` to
   * rewrite it, nothing to keep it, or throw a PluginRejection to refuse it.
   */
  beforeMessage?(draft: MessageDraft, sender: SenderInfo): Promise<MessageDraft | void> | MessageDraft | void;
  /** Before a user joins a room. Throw a PluginRejection to refuse. */
  beforeJoin?(req: JoinRequest): Promise<void> | void;

  afterMessageStored?(message: StoredMessage): unknown;
  afterMessageDelivered?(event: MessageDelivered): unknown;
  afterUserOnline?(event: UserPresence): unknown;
  afterUserOffline?(event: UserPresence): unknown;
  afterRoomJoined?(event: RoomMembership): unknown;
  afterRoomLeft?(event: RoomMembership): unknown;

  /** At shutdown, in reverse priority order; bounded in time. */
  close?(): void | Promise<void>;
}

/** The events `HookRunner.emit` takes, one per after hook. */
export type AfterEvent =
  | { type: 'messageStored'; message: StoredMessage }
  | ({ type: 'messageDelivered' } & MessageDelivered)
  | ({ type: 'userOnline' } & UserPresence)
  | ({ type: 'userOffline' } & UserPresence)
  | ({ type: 'roomJoined' } & RoomMembership)
  | ({ type: 'roomLeft' } & RoomMembership);

export type AfterEventType = AfterEvent['type'];

/** Which plugin method handles which event. */
export const AFTER_HOOKS = {
  messageStored: 'afterMessageStored',
  messageDelivered: 'afterMessageDelivered',
  userOnline: 'afterUserOnline',
  userOffline: 'afterUserOffline',
  roomJoined: 'afterRoomJoined',
  roomLeft: 'afterRoomLeft',
} as const satisfies Record<AfterEventType, keyof ChatPlugin>;

export type AfterHookName = (typeof AFTER_HOOKS)[AfterEventType];
export type BeforeHookName = 'beforeMessage' | 'beforeJoin';
export type HookName = BeforeHookName | AfterHookName;

export const HOOK_NAMES: readonly HookName[] = ['beforeMessage', 'beforeJoin', ...Object.values(AFTER_HOOKS)];

export const DEFAULT_PRIORITY = 100;
