import type { Registry } from 'prom-client';
import type { ChatEvents } from '../chat/ports';
import type { MemoryCoordinator, MemoryEnsemble } from '../cluster/memory/ensemble';
import type { MemoryLinkBus, MemoryTransport } from '../cluster/memory/link-bus';
import type { NodeConfig } from '../config/node';
import { systemClock } from '../core/clock';
import type { Clock } from '../core/clock';
import type { Logger } from '../core/logger';
import { MemoryRecentActivity } from '../memory/activity';
import { MemoryLoginBackoff } from '../memory/login-backoff';
import { MemoryResumeTokens } from '../memory/resume-tokens';
import { MemoryServerRegistry } from '../memory/server-registry';
import { MemorySessionDirectory } from '../memory/sessions';
import { ChatNode } from '../node/chat-node';
import { createRegistry } from '../node/metrics';
import { HookRunner } from '../plugins';
import { createMemoryStore } from '../store/memory';
import type { Store } from '../store/types';
import { MemoryEdge } from '../ws/memory-edge';

/**
 * What the nodes of a one-process cluster share, as real nodes share one
 * Redis, one ZooKeeper, one store and one network.
 */
export interface SharedMemoryState {
  ensemble: MemoryEnsemble;
  bus: MemoryLinkBus;
  store: Store;
  directory: MemorySessionDirectory;
  activity: MemoryRecentActivity;
  tokens: MemoryResumeTokens;
  attempts: MemoryLoginBackoff;
  registry: MemoryServerRegistry;
  clock: Clock;
}

export function sharedMemoryState(
  deps: { ensemble: MemoryEnsemble; bus: MemoryLinkBus; clock?: Clock; scryptN?: number },
  login: NodeConfig['login'],
): SharedMemoryState {
  const clock = deps.clock ?? systemClock;
  return {
    ensemble: deps.ensemble,
    bus: deps.bus,
    store: createMemoryStore({ scrypt: { N: deps.scryptN ?? 1024, r: 8, p: 1 }, now: () => clock.now() }),
    directory: new MemorySessionDirectory(),
    activity: new MemoryRecentActivity({ clock }),
    tokens: new MemoryResumeTokens(clock),
    attempts: new MemoryLoginBackoff(login, clock),
    registry: new MemoryServerRegistry(),
    clock,
  };
}

/** A chat node on in-memory ports, and the handles a test drives it by. */
export interface MemoryNode {
  node: ChatNode;
  edge: MemoryEdge;
  transport: MemoryTransport;
  coordinator: MemoryCoordinator;
  metrics: Registry;
}

/**
 * The composition root of a chat node inside a one-process cluster: the same
 * ChatNode as in production, on the in-memory adapters instead of drivers.
 */
export function composeMemoryNode(
  config: NodeConfig,
  shared: SharedMemoryState,
  logger: Logger,
  events: ChatEvents = () => undefined,
): MemoryNode {
  const self = {
    nodeId: config.nodeId,
    wsUrl: '',
    rpcAddress: `memory:${config.nodeId}`,
    startedAt: Date.now(),
  };
  const coordinator = shared.ensemble.coordinator(self);
  const transport = shared.bus.connect(config.nodeId);
  const metrics = createRegistry(config.nodeId);
  let edge: MemoryEdge | undefined;
  const node = new ChatNode(
    config,
    {
      store: shared.store,
      directory: shared.directory,
      activity: shared.activity,
      tokens: shared.tokens,
      attempts: shared.attempts,
      registry: shared.registry,
      self,
      coordinator,
      transport,
      edge: (sink) =>
        (edge = new MemoryEdge(config.nodeId, {
          limits: config.ws,
          sink,
          logger: logger.child({ component: 'ws', nodeId: config.nodeId }),
          maxPendingCommands: config.ws.maxPendingCommands,
          maxInFlightCommands: config.ws.maxInFlightCommands,
        })),
      hooks: HookRunner.empty(),
      events,
      metrics,
      clock: shared.clock,
    },
    logger,
  );
  return {
    node,
    get edge(): MemoryEdge {
      if (!edge) throw new Error(`node ${config.nodeId} has not started its edge yet`);
      return edge;
    },
    transport,
    coordinator,
    metrics,
  };
}
