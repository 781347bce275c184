import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitForOptions {
  /** What is awaited, for the error message ("node-2 to become leader"). */
  what: string;
  /** Default 10 000 ms. */
  timeoutMs?: number;
  /** Pause between checks; default 50 ms. */
  intervalMs?: number;
  /**
   * Asked before and after every check; a reason ends the wait at once (e.g.
   * "the process exited with code 1"), so a wait on something that died does
   * not sit out its whole timeout.
   */
  abortIf?: () => string | undefined;
  /** More state for the error message, read once when the wait fails. */
  describe?: () => string;
}

/** A wait that ended without its condition: the deadline passed or `abortIf` gave a reason. */
export class WaitFailed extends Error {
  constructor(
    /** What was awaited. */
    readonly what: string,
    /** Why it ended: "timed out after … (n checks); last error: …" or the abort reason. */
    readonly reason: string,
    /** True when `abortIf` ended it, false on timeout. */
    readonly aborted: boolean,
    options?: { cause?: unknown },
  ) {
    super(aborted ? `gave up waiting for ${what}: ${reason}` : `waiting for ${what}: ${reason}`, options);
    this.name = 'WaitFailed';
  }
}

/**
 * Calls `condition` until it returns a truthy value (which is returned), the
 * timeout passes or `abortIf` gives a reason. A throwing condition counts as
 * "not yet"; its last error is quoted in the WaitFailed, which names what was
 * awaited. Every round waits `intervalMs`, so the loop is bounded by the deadline.
 */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  options: WaitForOptions,
): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 50;
  const started = Date.now();
  let lastError: unknown;
  let checks = 0;
  for (;;) {
    const before = options.abortIf?.();
    if (before !== undefined) throw failed(options, before, true, lastError);
    checks++;
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    const after = options.abortIf?.();
    if (after !== undefined) throw failed(options, after, true, lastError);
    if (Date.now() - started + intervalMs > timeoutMs) break;
    await sleep(intervalMs);
  }
  const last = lastError === undefined ? '' : `; last error: ${messageOf(lastError)}`;
  throw failed(options, `timed out after ${timeoutMs} ms (${checks} checks)${last}`, false, lastError);
}

function failed(options: WaitForOptions, reason: string, aborted: boolean, cause: unknown): WaitFailed {
  const state = options.describe?.();
  const full = state === undefined || state === '' ? reason : `${reason}; ${state}`;
  return new WaitFailed(options.what, full, aborted, cause === undefined ? undefined : { cause });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
