import { setTimeout as delay } from 'node:timers/promises';

export interface PollOptions {
  /** When to give up, in ms since the epoch. */
  deadline: number;
  intervalMs: number;
  /** Stops polling early (e.g. the server process exited); its message becomes the error. */
  abortIf?: () => string | undefined;
}

export type PollResult = { ok: true } | { ok: false; reason: string };

/**
 * Calls `probe` until it resolves true, the deadline passes or `abortIf`
 * reports a reason. The last probe error is kept so a timeout can say why.
 */
export async function pollUntil(probe: () => Promise<boolean>, options: PollOptions): Promise<PollResult> {
  let lastError = 'no probe finished';
  // Bounded by the deadline: every iteration waits at least intervalMs.
  for (;;) {
    const aborted = options.abortIf?.();
    if (aborted !== undefined) return { ok: false, reason: aborted };
    try {
      if (await probe()) return { ok: true };
      lastError = 'probe answered but not ready yet';
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    const aborted2 = options.abortIf?.();
    if (aborted2 !== undefined) return { ok: false, reason: aborted2 };
    if (Date.now() + options.intervalMs > options.deadline) {
      return { ok: false, reason: `timed out (last probe: ${lastError})` };
    }
    await delay(options.intervalMs);
  }
}
