import type { Registry } from 'prom-client';
import type { NodeConfig } from '../config/node';
import type { Logger } from '../core/logger';
import type { CommandHandlers, CommandInterceptor } from './context';
import { edgeInterceptors } from './interceptors';
import { edgeMetrics } from './metrics';
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
export { AbuseGuard } from './abuse-guard';
export type { AbuseLimits, StrikeCause } from './abuse-guard';
export { authGate, edgeInterceptors, validation } from './interceptors';
export { connectionMetrics, edgeMetrics, noEdgeMetrics } from './metrics';
export type { EdgeMetrics } from './metrics';
export { CommandPipeline } from './pipeline';
export { WsServer } from './server';
export type { MessageSink, WsLimits, WsServerOptions } from './server';
export type { ClientEdge, ClientEdgeFactory } from './edge';
export type { ClientSocket } from './client-socket';

export interface PipelineLimits {
  /** The node's WebSocket limits (NodeConfig.ws). */
  ws: Omit<
    NodeConfig['ws'],
    'host' | 'port' | 'publicUrl' | 'maxPendingCommands' | 'maxInFlightCommands' | 'drainMs'
  >;
  handlers: CommandHandlers;
  /** Largest getPopular.limit (NodeConfig.chat.popularMax). */
  maxPopularLimit: number;
  /** Largest getHistory.limit and sync.limit. */
  maxHistoryLimit: number;
  logger: Logger;
  /** Run after the edge limits, before the handler (metrics, tracing). */
  extraInterceptors?: readonly CommandInterceptor[];
  /** Where the edge counts refusals and strikes (the node's Prometheus registry). */
  metrics?: Registry;
}

export interface WsEdgeOptions extends PipelineLimits {
  maxPendingCommands?: number;
  closeGraceMs?: number;
}

/**
 * The command pipeline with the standard limits: the frame budget (before
 * decoding) → auth gate → validation → handler.
 */
export function createCommandPipeline(options: PipelineLimits): CommandPipeline {
  const { ws } = options;
  const logger = options.logger.child({ component: 'ws' });
  const interceptors = [
    ...edgeInterceptors({
      maxTextLength: ws.maxTextLength,
      maxPopularLimit: options.maxPopularLimit,
      maxHistoryLimit: options.maxHistoryLimit,
    }),
    ...(options.extraInterceptors ?? []),
  ];
  return new CommandPipeline({
    handlers: options.handlers,
    interceptors,
    abuse: { ratePerSecond: ws.ratePerSecond, burst: ws.rateBurst, maxStrikes: ws.rateMaxStrikes },
    logger,
    metrics: options.metrics ? edgeMetrics(options.metrics) : undefined,
  });
}

/**
 * A WebSocket server with the standard pipeline (tests of the edge alone):
 * connection caps and the login deadline at the door, then the pipeline.
 */
export function createWsEdge(options: WsEdgeOptions): WsServer {
  return new WsServer({
    limits: options.ws,
    sink: createCommandPipeline(options),
    logger: options.logger.child({ component: 'ws' }),
    metrics: options.metrics ? edgeMetrics(options.metrics) : undefined,
    maxPendingCommands: options.maxPendingCommands,
    closeGraceMs: options.closeGraceMs,
  });
}
