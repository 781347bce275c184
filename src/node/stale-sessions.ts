import type { LocalSessions } from '../chat/local-sessions';
import type { SessionDirectory } from '../chat/ports';
import type { Logger } from '../core/logger';

/**
 * Global sessions under this node id that are not this process's come from an
 * earlier process with the same id (killed, so it could not clean up). Now
 * that the id is live again they would count as online, so they go. Called
 * after registration: a duplicate live process with this id would have made
 * start fail before touching its sessions. Release compares the sid, so a
 * login that lands meanwhile is kept.
 */
export async function releaseStaleSessions(deps: {
  nodeId: string;
  directory: SessionDirectory;
  local: LocalSessions;
  logger: Logger;
}): Promise<number> {
  const { nodeId, directory, local } = deps;
  let released = 0;
  for (const [username, session] of await directory.all()) {
    if (session.nodeId !== nodeId || local.get(username)?.sid === session.sid) continue;
    // When the crashed process's users were last seen is unknown; their login time errs towards replaying.
    if (await directory.release(username, session.sid, session.loginAt)) released++;
  }
  if (released > 0)
    deps.logger.info(
      { event: 'stale_sessions_released', count: released },
      'released sessions left by an earlier process with this node id',
    );
  return released;
}
