import type { ClientFrame } from '../../gen/chat/v1/client';
import type { Interceptor } from '../core/dispatcher';
import type { Logger } from '../core/logger';
import type { ClientConnection, ServerEvent } from './connection';

/** Names of the commands the protocol defines (the `cmd` oneof cases). */
export type CommandName = NonNullable<ClientFrame['cmd']>['$case'];

/** The payload type of one command, e.g. CommandPayload<'sendDirect'> = SendDirect. */
export type CommandPayload<K extends CommandName> = Extract<
  NonNullable<ClientFrame['cmd']>,
  { $case: K }
>['value'];

/**
 * The command name of a well-formed frame whose command this server does not
 * know (a newer client, or a field number from elsewhere). It reaches the
 * dispatcher's fallback like a known command without a handler.
 */
export const UNKNOWN_COMMAND = '(unknown)';

/** What interceptors and handlers see for one command. */
export interface CommandContext {
  conn: ClientConnection;
  frame: ClientFrame;
  /** frame.cmd.$case, or UNKNOWN_COMMAND. */
  command: CommandName | typeof UNKNOWN_COMMAND;
  /** frame.id: echoed in the reply's reply_to. */
  requestId: number;
  /** Child logger carrying the connection id and command. */
  log: Logger;
  /**
   * Lets the connection's next command start before this one ends: called by
   * a handler once its ordered part is done (see CommandQueue). Idempotent.
   */
  release: () => void;
}

/** What a handler returns: the event to reply with, or undefined for no reply. */
export type CommandResult = ServerEvent | undefined;

export type CommandInterceptor = Interceptor<CommandContext, CommandResult>;

/** A handler for one command, given its typed payload. */
export type CommandHandler<K extends CommandName> = (
  ctx: CommandContext,
  payload: CommandPayload<K>,
) => Promise<CommandResult>;

/** The chat layer's handlers, by command. Commands without one get 400 UNKNOWN_COMMAND. */
export type CommandHandlers = { [K in CommandName]?: CommandHandler<K> };
