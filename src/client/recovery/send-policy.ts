import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay } from '../../core/backoff';
import type { BackoffOptions } from '../../core/backoff';
import { ChatClientError } from '../client-error';

export interface SendRetryOptions {
  /** How long one send keeps trying before its last error is the answer. */
  deadlineMs: number;
  backoff: BackoffOptions;
}

export const DEFAULT_SEND_RETRY: SendRetryOptions = {
  deadlineMs: 30_000,
  backoff: { initialMs: 100, maxMs: 2000 },
};

/**
 * A catch-up that fails (the store or the leader is away, the connection is
 * reconnecting) is tried again for this long. Whatever was pushed after a
 * hole waits meanwhile, so messages show in order; past the deadline they
 * show anyway and the next catch-up brings the hole.
 */
export const DEFAULT_SYNC_RETRY: SendRetryOptions = {
  deadlineMs: 15_000,
  backoff: { initialMs: 100, maxMs: 1000 },
};

/** Local failures after which the request may or may not have reached the node. */
const LOCAL_RETRYABLE = new Set(['TIMEOUT', 'CLOSED', 'CONNECT_FAILED', 'TOO_MANY_PENDING']);

/**
 * True when the same request (with the same idempotency key) should be sent
 * again: the connection dropped or timed out, the cluster had no usable
 * leader (503), the node failed inside (500), or it asked us to slow down (429).
 */
export function isRetryable(error: unknown): boolean {
  if (!(error instanceof ChatClientError)) return false;
  if (error.code === 0) return LOCAL_RETRYABLE.has(error.reason);
  return error.code === 503 || error.code === 500 || error.code === 429;
}

/** A timed-out request means the node may hang (paused, overloaded): the connection is given up. */
export function meansNodeHangs(error: unknown): boolean {
  return error instanceof ChatClientError && error.code === 0 && error.reason === 'TIMEOUT';
}

/** The pause before retry `attempt` (0 = first retry): what a 429 asked for, else the backoff. */
export function retryDelay(error: unknown, attempt: number, options: SendRetryOptions): number {
  const asked = error instanceof ChatClientError ? error.retryAfterMs : 0;
  return asked > 0 ? asked : backoffDelay(attempt, options.backoff);
}

export interface RetryHooks {
  /** Every failed attempt; `retryInMs` unless it was the last. */
  failed?(info: { attempt: number; error: unknown; retryInMs?: number }): void;
  /** True once no more attempts may be made (the session or the queue is closed). */
  stopped?(): boolean;
}

/**
 * Runs `call` until it answers. A failure that passes (isRetryable) is tried
 * again after retryDelay, unless the next attempt would start past
 * `options.deadlineMs` or `stopped()`; any other failure is the answer at once.
 */
export async function retryPassingFailures<T>(
  options: SendRetryOptions,
  call: (attempt: number) => Promise<T>,
  hooks: RetryHooks = {},
): Promise<T> {
  const deadline = Date.now() + options.deadlineMs;
  // Bounded by the deadline; every failed attempt waits its backoff first.
  for (let attempt = 0; ; attempt++) {
    try {
      return await call(attempt);
    } catch (error) {
      const delayMs = retryDelay(error, attempt, options);
      if (hooks.stopped?.() || !isRetryable(error) || Date.now() + delayMs > deadline) {
        hooks.failed?.({ attempt, error });
        throw error;
      }
      hooks.failed?.({ attempt, error, retryInMs: delayMs });
      await sleep(delayMs);
    }
  }
}
