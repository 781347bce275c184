/**
 * The one retry-delay function of the code base: exponential growth from
 * `initialMs`, capped at `maxMs`, with "equal jitter" (the delay is between
 * half and all of the exponential value), so the many clients or followers
 * that lost the same peer spread out but never retry in a tight loop.
 *
 * Why not the exponential-backoff package: it owns the retry loop (it retries
 * a promise until it resolves, sleeping on its own setTimeout). None of our
 * retries has that shape: a leader link lives until it breaks and re-dials on
 * a timer it must cancel on close; the export publisher's wait is cut short by
 * flush() and close(); the coordinator's timers run on an injectable clock;
 * the terminal client's sleep stops on an AbortSignal. They need the delay,
 * not the loop.
 */
export interface BackoffOptions {
  /** Delay of the first retry (attempt 0), before jitter. */
  initialMs: number;
  /** Largest delay, before jitter. */
  maxMs: number;
}

/**
 * Delay before retry number `attempt` (0 = the first retry), in whole ms:
 * between half and all of min(maxMs, initialMs * 2^attempt).
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const exp = Math.min(options.maxMs, options.initialMs * 2 ** Math.min(Math.max(0, attempt), 30));
  return Math.round(exp / 2 + (random() * exp) / 2);
}

/** Re-dial delays of a leader link: 0.1 s doubling to 2 s. */
export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 100, maxMs: 2_000 };
