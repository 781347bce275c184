import type { Logger } from '../core/logger';
import type { LocalSessions } from './local-sessions';
import type { SessionDirectory } from './ports';

export interface SessionRestoreDeps {
  directory: SessionDirectory;
  local: LocalSessions;
  logger: Logger;
  nodeId: string;
  /** Closes a local session replaced by a newer login (SessionService.kickLocal). */
  kickLocal: (username: string, sid: string, reason: string) => boolean;
}

/**
 * Puts this node's sessions back into the global directory after the shared
 * state was lost (Redis restarted empty). Without it every user connected
 * here looks offline to the rest of the cluster until they log in again:
 * their direct messages are only stored (USER_OFFLINE), never pushed. A user
 * who logged in elsewhere since the loss keeps that newer login, and the
 * older session here is closed, as a second login would have done.
 */
export async function restoreSessions(
  deps: SessionRestoreDeps,
): Promise<{ restored: number; replaced: number }> {
  let restored = 0;
  let replaced = 0;
  for (const session of [...deps.local.all()]) {
    const holder = await deps.directory.restore(session.username, {
      nodeId: deps.nodeId,
      loginAt: session.loginAt,
      sid: session.sid,
    });
    if (holder === null) {
      restored++;
      continue;
    }
    // Only a newer login elsewhere wins; an older holder is left to its own node.
    if (holder.nodeId === deps.nodeId || holder.loginAt < session.loginAt) continue;
    if (deps.kickLocal(session.username, session.sid, 'You logged in somewhere else.')) replaced++;
  }
  deps.logger.info(
    { event: 'sessions_restored', restored, replaced },
    'session directory restored after the shared state was lost',
  );
  return { restored, replaced };
}
