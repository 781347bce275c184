/**
 * Re-dial delays for a long-lived stream. The exponential-backoff package
 * retries a promise until it resolves; a link instead lives until it breaks
 * and must start over each time, so this is the small loop's delay function.
 *
 * Exponential growth capped at `maxMs`, with "equal jitter": the delay is
 * between half and all of the exponential value, so followers that lost the
 * same leader spread out but never retry in a tight loop.
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 100, maxMs: 2_000 };

export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const exp = Math.min(options.maxMs, options.initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(exp / 2 + (random() * exp) / 2);
}
