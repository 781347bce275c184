import type { NodeConfig } from '../config/node';
import type { Logger } from '../core/logger';
import type { CommandHandlers, CommandInterceptor } from './context';
import { edgeInterceptors } from './interceptors';
import { CommandPipeline } from './pipeline';
import { WsServer } from './server';

export { ClientConnection } from './connection';
export type { AuthenticatedUser, ServerEvent } from './connection';
export { UNKNOWN_COMMAND } from './context';
export type {
  CommandContext,
  CommandHandler,
  CommandHandlers,
  CommandInterceptor,
  CommandName,
  CommandPayload,
  CommandResult,
} from './context';
export { authGate, edgeInterceptors, rateLimit, validation } from './interceptors';
export { CommandPipeline } from './pipeline';
export { WsServer } from './server';
export type { MessageSink, WsLimits, WsServerOptions } from './server';
export type { ClientEdge, ClientEdgeFactory } from './edge';
export type { ClientSocket } from './client-socket';

export interface PipelineLimits {
  /** The node's WebSocket limits (NodeConfig.ws). */
  ws: Omit<NodeConfig['ws'], 'host' | 'port' | 'publicUrl' | 'maxPendingCommands' | 'maxInFlightCommands'>;
  handlers: CommandHandlers;
  /** Largest getPopular.limit (NodeConfig.chat.popularMax). */
  maxPopularLimit: number;
  /** Largest getHistory.limit and sync.limit. */
  maxHistoryLimit: number;
  logger: Logger;
  /** Run after the edge limits, before the handler (metrics, tracing). */
  extraInterceptors?: readonly CommandInterceptor[];
}

export interface WsEdgeOptions extends PipelineLimits {
  maxPendingCommands?: number;
  closeGraceMs?: number;
}

/** The command pipeline with the standard limits: rate limit → auth gate → validation → handler. */
export function createCommandPipeline(options: PipelineLimits): CommandPipeline {
  const { ws } = options;
  const logger = options.logger.child({ component: 'ws' });
  const interceptors = [
    ...edgeInterceptors({
      ratePerSecond: ws.ratePerSecond,
      burst: ws.rateBurst,
      maxStrikes: ws.rateMaxStrikes,
      maxTextLength: ws.maxTextLength,
      maxPopularLimit: options.maxPopularLimit,
      maxHistoryLimit: options.maxHistoryLimit,
    }),
    ...(options.extraInterceptors ?? []),
  ];
  return new CommandPipeline({ handlers: options.handlers, interceptors, logger });
}

/** A WebSocket server with the standard pipeline (tests of the edge alone). */
export function createWsEdge(options: WsEdgeOptions): WsServer {
  return new WsServer({
    limits: options.ws,
    sink: createCommandPipeline(options),
    logger: options.logger.child({ component: 'ws' }),
    maxPendingCommands: options.maxPendingCommands,
    closeGraceMs: options.closeGraceMs,
  });
}
