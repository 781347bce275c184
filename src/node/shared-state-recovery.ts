import type { LocalSessions } from '../chat/local-sessions';
import type { SessionDirectory } from '../chat/ports';
import { restoreSessions } from '../chat/session-restore';
import type { SessionService } from '../chat/sessions';
import type { Logger } from '../core/logger';
import type { ServerListWriter } from './leader-tasks';
import type { LoadPublisher } from './load-publisher';
import { releaseStaleSessions } from './stale-sessions';

/**
 * After the shared state (Redis) comes back, possibly empty (restarted
 * without persistence), puts back what this node keeps there: its connection
 * count, the server list (if it leads) and its users' global sessions, or its
 * users look offline and the gateway has no server list until the next change.
 */
export class SharedStateRecovery {
  constructor(
    private readonly deps: {
      nodeId: string;
      directory: SessionDirectory;
      local: LocalSessions;
      sessions: SessionService;
      load: LoadPublisher;
      serverList: ServerListWriter;
      logger: Logger;
    },
  ) {}

  async recover(): Promise<void> {
    const { deps } = this;
    deps.logger.info(
      { event: 'shared_state_back' },
      "shared state reachable again; restoring this node's entries",
    );
    deps.load.publish();
    deps.serverList.changed();
    try {
      await restoreSessions({
        directory: deps.directory,
        local: deps.local,
        nodeId: deps.nodeId,
        logger: deps.logger,
        kickLocal: (username, sid, reason) => deps.sessions.kickLocal(username, sid, reason),
      });
      // Restored from an older snapshot, Redis may list sessions of this node that ended since.
      await releaseStaleSessions({
        nodeId: deps.nodeId,
        directory: deps.directory,
        local: deps.local,
        logger: deps.logger,
      });
    } catch (err) {
      deps.logger.warn({ event: 'sessions_restore_failed', err }, 'could not restore the session directory');
    }
  }
}
