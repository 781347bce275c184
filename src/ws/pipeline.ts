import type { RawData } from 'ws';
import { ClientFrame } from '../../gen/chat/v1/client';
import { Dispatcher } from '../core/dispatcher';
import type { Handler } from '../core/dispatcher';
import { InvalidArgument, MalformedFrame, RateLimited, Unavailable } from '../core/errors';
import type { Logger } from '../core/logger';
import { decodeClientFrame, decodeClientFrameJson } from '../protocol/codec';
import { CloseCode } from '../protocol/close-codes';
import { InvalidField } from '../protocol/json-shape';
import { AbuseGuard, peekRequestId } from './abuse-guard';
import type { AbuseLimits, StrikeCause, Verdict } from './abuse-guard';
import type { ClientConnection } from './connection';
import { noEdgeMetrics } from './metrics';
import type { EdgeMetrics } from './metrics';
import { UNKNOWN_COMMAND } from './context';
import type {
  CommandContext,
  CommandHandler,
  CommandHandlers,
  CommandInterceptor,
  CommandName,
  CommandResult,
} from './context';

/** Longest an abusive connection's close waits for the commands it had started. */
const ABUSE_CLOSE_WAIT_MS = 1000;

export interface PipelineOptions {
  /** Supplied by the chat layer. */
  handlers: CommandHandlers;
  /** Run in array order before every handler (see edgeInterceptors). */
  interceptors: readonly CommandInterceptor[];
  /** The per-connection frame budget, charged before a frame is decoded. */
  abuse: AbuseLimits;
  logger: Logger;
  metrics?: EdgeMetrics;
}

/**
 * Glue between WebSocket messages and command handlers: decode, queue per
 * connection (strict order), dispatch through the interceptors, reply. Every
 * failure becomes an Error reply; nothing a client sends can throw past here.
 */
export class CommandPipeline {
  private readonly dispatcher: Dispatcher<CommandContext, CommandResult>;
  private readonly logger: Logger;
  private readonly metrics: EdgeMetrics;
  // Keyed by connection object: the budget goes away with the connection.
  private readonly guards = new WeakMap<ClientConnection, AbuseGuard>();
  /** Struck out: only the commands queued before that still run, then the connection closes. */
  private readonly condemned = new WeakSet<ClientConnection>();
  /** Commands running per connection (read commands overlap), so a close can wait for them. */
  private readonly running = new WeakMap<ClientConnection, Set<Promise<void>>>();

  constructor(private readonly options: PipelineOptions) {
    this.logger = options.logger;
    this.metrics = options.metrics ?? noEdgeMetrics;
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

  /**
   * Handles one WebSocket message of `conn`. Never throws. The frame is paid
   * for before it is decoded: a flood of garbage drains the same bucket and
   * earns the same strikes as a flood of commands.
   */
  handleMessage(conn: ClientConnection, data: RawData, isBinary: boolean): void {
    if (!conn.isOpen || this.condemned.has(conn)) return;
    const guard = this.guardOf(conn);
    const bytes = toBuffer(data);
    const admitted = guard.admit();
    if (!admitted.ok) {
      const err = new RateLimited(
        `Too many commands: at most ${this.options.abuse.ratePerSecond} per second on average.`,
      );
      this.refuse(conn, peekRequestId(bytes, isBinary), err, 'rate', admitted);
      return;
    }
    let frame: ClientFrame;
    try {
      frame = decodeFrame(bytes, isBinary);
    } catch (err) {
      // Only a frame whose id could be read (a JSON field of the wrong type) gets a reply to it.
      const replyTo = err instanceof InvalidField ? err.requestId : 0;
      this.logger.debug({ event: 'malformed-frame', connId: conn.id, err: errorMessage(err) }, 'bad frame');
      this.refuse(conn, replyTo, err, 'malformed', guard.strike('malformed'));
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
      return this.track(conn, this.run(ctx));
    });
    if (queued === 'closed') {
      // Sealed by a drain (or closing): the client sends it again after reconnecting.
      conn.error(
        frame.id,
        new Unavailable('This node is restarting; reconnect and send again.', 'SERVER_DRAINING'),
      );
      return;
    }
    if (queued === 'full') {
      const err = new RateLimited(
        'Too many commands waiting for an answer; wait for replies first.',
        'TOO_MANY_PENDING',
      );
      this.refuse(conn, frame.id, err, 'pending', guard.strike('pending'));
    }
  }

  private guardOf(conn: ClientConnection): AbuseGuard {
    let guard = this.guards.get(conn);
    if (guard === undefined) {
      guard = new AbuseGuard(this.options.abuse);
      this.guards.set(conn, guard);
    }
    return guard;
  }

  /** Answers a refused frame; a client that has struck out learns why, then is closed. */
  private refuse(
    conn: ClientConnection,
    replyTo: number,
    err: unknown,
    cause: StrikeCause,
    verdict: Verdict & { ok: false },
  ): void {
    this.metrics.strike(cause);
    if (verdict.close === undefined) {
      conn.error(replyTo, err);
      return;
    }
    const policy = verdict.close === CloseCode.POLICY_VIOLATION;
    const abuse = policy
      ? new InvalidArgument('Too many frames broke the protocol; disconnecting.', 'PROTOCOL_ABUSE')
      : new RateLimited('Rate limit exceeded for too long; disconnecting.', 'RATE_ABUSE');
    this.logger.warn(
      {
        event: policy ? 'protocol-abuse' : 'rate-abuse',
        connId: conn.id,
        user: conn.user?.username,
        remoteAddress: conn.remoteAddress,
        cause,
        maxStrikes: this.options.abuse.maxStrikes,
      },
      'client kept sending what the edge refuses; closing',
    );
    this.metrics.refused(policy ? 'policy_violation' : 'rate_abuse');
    this.condemned.add(conn);
    const code = verdict.close;
    const closeNow = async (): Promise<void> => {
      // Commands that start before this one may still run (they overlap): their replies go out first.
      // A command that hangs does not keep an abuser connected: the wait is bounded.
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, ABUSE_CLOSE_WAIT_MS)));
      await Promise.race([Promise.allSettled([...(this.running.get(conn) ?? [])]), bound]);
      clearTimeout(timer);
      // Reply before closing: once closing, the connection sends nothing more.
      conn.error(replyTo, abuse);
      conn.close(code, abuse.message);
    };
    // Behind the commands accepted before, so that their replies still go out.
    if (conn.enqueue(closeNow) !== 'queued') void closeNow();
  }

  private track(conn: ClientConnection, command: Promise<void>): Promise<void> {
    let set = this.running.get(conn);
    if (set === undefined) this.running.set(conn, (set = new Set()));
    const running = set;
    running.add(command);
    // then(), not finally(): finally costs three more promises per command.
    const done = (): void => {
      running.delete(command);
    };
    return command.then(done, (err: unknown) => {
      done();
      throw err;
    });
  }

  /** Never rejects: a failure is the command's error reply. */
  private run(ctx: CommandContext): Promise<void> {
    const answer = (event: CommandResult): void => {
      try {
        if (event !== undefined) ctx.conn.reply(ctx.requestId, event);
      } catch (err) {
        ctx.conn.error(ctx.requestId, err);
      }
    };
    const refuse = (err: unknown): void => {
      ctx.conn.error(ctx.requestId, err);
    };
    return this.dispatcher.dispatch(ctx.command, ctx).then(answer, refuse);
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
