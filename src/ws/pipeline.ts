import type { RawData } from 'ws';
import { ClientFrame } from '../../gen/chat/v1/client';
import { Dispatcher } from '../core/dispatcher';
import type { Handler } from '../core/dispatcher';
import { InvalidArgument, MalformedFrame, RateLimited } from '../core/errors';
import type { Logger } from '../core/logger';
import { decodeClientFrame, decodeClientFrameJson } from '../protocol/codec';
import type { ClientConnection } from './connection';
import { UNKNOWN_COMMAND } from './context';
import type {
  CommandContext,
  CommandHandler,
  CommandHandlers,
  CommandInterceptor,
  CommandName,
  CommandResult,
} from './context';

export interface PipelineOptions {
  /** Supplied by the chat layer. */
  handlers: CommandHandlers;
  /** Run in array order before every handler (see edgeInterceptors). */
  interceptors: readonly CommandInterceptor[];
  logger: Logger;
}

/**
 * Glue between WebSocket messages and command handlers: decode, queue per
 * connection (strict order), dispatch through the interceptors, reply. Every
 * failure becomes an Error reply; nothing a client sends can throw past here.
 */
export class CommandPipeline {
  private readonly dispatcher: Dispatcher<CommandContext, CommandResult>;
  private readonly logger: Logger;

  constructor(options: PipelineOptions) {
    this.logger = options.logger;
    const handlers: Record<string, Handler<CommandContext, CommandResult>> = {};
    for (const [name, handler] of Object.entries(options.handlers)) {
      if (handler !== undefined) handlers[name] = withPayload(name as CommandName, handler);
    }
    this.dispatcher = new Dispatcher({
      handlers,
      fallback: (ctx) =>
        Promise.reject(
          new InvalidArgument(`This server does not know the command ${ctx.command}.`, 'UNKNOWN_COMMAND'),
        ),
      interceptors: options.interceptors,
    });
  }

  /** Handles one WebSocket message of `conn`. Never throws. */
  handleMessage(conn: ClientConnection, data: RawData, isBinary: boolean): void {
    if (!conn.isOpen) return;
    let frame: ClientFrame;
    try {
      frame = decodeFrame(data, isBinary);
    } catch (err) {
      // The request id is unknown when the frame cannot be read at all.
      this.logger.debug({ event: 'malformed-frame', connId: conn.id, err: errorMessage(err) }, 'bad frame');
      conn.error(0, err);
      return;
    }
    const command = frame.cmd?.$case ?? UNKNOWN_COMMAND;
    const logger = this.logger;
    let log: Logger | undefined;
    const ctx: CommandContext = {
      conn,
      frame,
      command,
      requestId: frame.id,
      release: () => undefined,
      // Made on first use: most commands never log.
      get log(): Logger {
        return (log ??= logger.child({ connId: conn.id, command, requestId: frame.id }));
      },
    };
    const queued = conn.enqueue((release) => {
      ctx.release = release;
      return this.run(ctx);
    });
    if (queued === 'full') {
      conn.error(
        frame.id,
        new RateLimited(
          'Too many commands waiting for an answer; wait for replies first.',
          'TOO_MANY_PENDING',
        ),
      );
    }
  }

  private async run(ctx: CommandContext): Promise<void> {
    try {
      const event = await this.dispatcher.dispatch(ctx.command, ctx);
      if (event !== undefined) ctx.conn.reply(ctx.requestId, event);
    } catch (err) {
      ctx.conn.error(ctx.requestId, err);
    }
  }
}

function withPayload(name: CommandName, handler: unknown): Handler<CommandContext, CommandResult> {
  // One cast here keeps the handler map typed per command for the chat layer.
  const typed = handler as CommandHandler<CommandName>;
  return (ctx) => {
    const cmd = ctx.frame.cmd;
    if (cmd?.$case !== name)
      return Promise.reject(new Error(`dispatched ${ctx.command} to the ${name} handler`));
    return (typed as (c: CommandContext, p: unknown) => Promise<CommandResult>)(ctx, cmd.value);
  };
}

/**
 * Binary messages are protobuf, text messages JSON. A well-formed frame with
 * no command this server knows keeps its id and goes to the fallback, so the
 * client learns which request was refused.
 */
export function decodeFrame(data: RawData, isBinary: boolean): ClientFrame {
  const bytes = toBuffer(data);
  try {
    return isBinary ? decodeClientFrame(bytes) : decodeClientFrameJson(bytes.toString('utf8'));
  } catch (err) {
    const lenient = err instanceof MalformedFrame ? decodeLeniently(bytes, isBinary) : undefined;
    if (lenient === undefined) throw err;
    return lenient;
  }
}

/** Only reached after the strict codec refused: separates "unknown command" from garbage. */
function decodeLeniently(bytes: Buffer, isBinary: boolean): ClientFrame | undefined {
  try {
    if (isBinary) {
      const frame = ClientFrame.decode(bytes);
      // An empty frame or one with no id is garbage, not a request.
      return frame.id !== 0 ? frame : undefined;
    }
    const parsed: unknown = JSON.parse(bytes.toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    const frame = ClientFrame.fromJSON(parsed);
    return frame.id !== 0 ? frame : undefined;
  } catch {
    return undefined;
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
