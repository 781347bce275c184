/**
 * Pause before reconnect attempt `attempt` (1-based): doubling from
 * `initialMs` up to `maxMs`, with jitter so that the clients of a dead node
 * do not all hit the gateway in the same instant.
 */
export function backoffDelay(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random = Math.random,
): number {
  const exp = Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(0, attempt - 1), 30));
  return Math.round(exp / 2 + (exp / 2) * random());
}
