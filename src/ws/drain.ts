import type { Logger } from '../core/logger';
import type { ClientConnection } from './connection';

/**
 * Waits, at most `drainMs`, until every connection has answered the commands
 * it had taken (each stops taking new ones first): what clients sent before
 * a shutdown is acknowledged before they are told to reconnect elsewhere.
 */
export async function drainConnections(
  connections: Iterable<ClientConnection>,
  drainMs: number,
  logger: Logger,
): Promise<void> {
  const started = performance.now();
  const conns = [...connections];
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>(
    (resolve) => (timer = setTimeout(() => resolve('timeout'), drainMs)),
  );
  const drained = Promise.all(conns.map((conn) => conn.drain())).then(() => 'drained' as const);
  const outcome = await Promise.race([drained, deadline]);
  clearTimeout(timer);
  logger.info(
    { event: 'ws-drained', outcome, ms: Math.round(performance.now() - started), connections: conns.length },
    outcome === 'drained' ? 'every command taken was answered' : 'drain timed out; closing anyway',
  );
}
