import { setTimeout as delay } from 'node:timers/promises';

export interface WaitForOptions {
  /** What is awaited, for the error message ("node-2 to become leader"). */
  what: string;
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Polls `condition` until it returns a truthy value (which is returned) or the
 * timeout passes. A throwing condition counts as "not yet"; its last error is
 * quoted in the timeout error, which names what was awaited.
 */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  options: WaitForOptions,
): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 50;
  const started = Date.now();
  let lastError: unknown;
  let attempts = 0;
  // Bounded: stops at the deadline, and every round waits intervalMs.
  for (;;) {
    attempts++;
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() - started + intervalMs > timeoutMs) break;
    await delay(intervalMs);
  }
  const last =
    lastError === undefined
      ? ''
      : `; last error: ${lastError instanceof Error ? lastError.message : String(lastError)}`;
  throw new Error(`timed out after ${timeoutMs} ms (${attempts} checks) waiting for ${options.what}${last}`, {
    cause: lastError,
  });
}
