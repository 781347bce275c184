import type { DirectChat } from '../chat/direct';
import { HistoryService } from '../chat/history';
import type { SessionService } from '../chat/sessions';
import { UserInfoService } from '../chat/user-info';
import type { NodeConfig } from '../config/node';
import type { Logger } from '../core/logger';
import { MAX_PAGE_LIMIT } from '../store/validation';
import { createCommandPipeline } from '../ws';
import type { CommandPipeline } from '../ws';
import type { ClusterOutbound } from './cluster-outbound';
import { commandHandlers } from './commands';
import { commandMetrics } from './metrics';
import type { NodePorts } from './node-ports';

/** The client commands behind the edge limits, with the services they translate to. */
export function commandPipeline(
  config: NodeConfig,
  ports: NodePorts,
  services: { sessions: SessionService; direct: DirectChat; cluster: ClusterOutbound; joined: () => boolean },
  logger: Logger,
): CommandPipeline {
  const { store } = ports;
  return createCommandPipeline({
    ws: config.ws,
    handlers: commandHandlers({
      hooks: ports.hooks,
      sessions: services.sessions,
      direct: services.direct,
      history: new HistoryService({ messages: store.messages, rooms: store.rooms, activity: ports.activity }),
      userInfo: new UserInfoService({ users: store.users, direct: services.direct }),
      hotWords: ports.activity,
      cluster: services.cluster,
      defaultPopular: 10,
      defaultHistory: 50,
      logger: logger.child({ component: 'sessions' }),
      joined: services.joined,
    }),
    maxPopularLimit: config.chat.popularMax,
    maxHistoryLimit: MAX_PAGE_LIMIT,
    extraInterceptors: [commandMetrics(ports.metrics)],
    metrics: ports.metrics,
    logger,
  });
}
