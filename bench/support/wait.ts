import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

/**
 * Calls `check` every `intervalMs` until it returns a value other than
 * undefined; throws naming `what` after `timeoutMs`. A throwing check counts
 * as "not yet" and its last error is quoted on timeout.
 */
export async function waitFor<T>(
  check: () => Promise<T | undefined> | T | undefined,
  options: { what: string; timeoutMs: number; intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 100;
  let lastError = '';
  for (let attempt = 0; attempt < 1_000_000; attempt++) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline) break;
    await sleep(interval);
  }
  throw new Error(
    `Timed out after ${options.timeoutMs} ms waiting for ${options.what}${lastError ? ` (last error: ${lastError})` : ''}.`,
  );
}

/** Runs `worker` over `items` with at most `concurrency` at a time; results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  concurrency: number,
  worker: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await worker(items[index] as T, index);
    }
  });
  await Promise.all(lanes);
  return results;
}
