import { RateLimited } from './errors';

/** The failed-login backoff every LoginAttempts adapter applies (LOGIN_* settings). */
export interface LoginBackoffPolicy {
  /** Consecutive failures of one (account, address) before each further attempt must wait. */
  freeFailures: number;
  /** First wait; it doubles with every further failure. */
  backoffBaseMs: number;
  /** Longest wait, seconds. */
  backoffMaxS: number;
  /** Failures of one account (all addresses) per window past which each pair gets one free failure. */
  maxFailuresPerUser: number;
  /** Failures from one address (all accounts) per window past which each pair gets one free failure. */
  maxFailuresPerAddress: number;
  /** How long failures are remembered: pair counts after the last one, totals from the first. */
  failureWindowS: number;
}

/**
 * The wait after a failure, from the pair's consecutive failures and the
 * account's and address's totals (all counting this failure): nothing while
 * failures are free, then backoffBaseMs·2^k, capped at backoffMaxS. Totals
 * past their limits leave each pair a single free failure.
 */
export function waitAfterFailure(
  counts: { pair: number; user: number; address: number },
  policy: LoginBackoffPolicy,
): number {
  const strict = counts.user > policy.maxFailuresPerUser || counts.address > policy.maxFailuresPerAddress;
  const free = strict ? 1 : policy.freeFailures;
  if (counts.pair < free) return 0;
  const steps = Math.min(counts.pair - free, 30);
  return Math.min(policy.backoffBaseMs * 2 ** steps, policy.backoffMaxS * 1000);
}

/** The answer to an attempt while its pair waits: 429 LOGIN_BACKOFF with the delay. */
export function backoffRefusal(waitMs: number): RateLimited {
  const s = Math.max(1, Math.ceil(waitMs / 1000));
  return new RateLimited(
    `Too many failed logins for this account from your address; retry after ${s} s.`,
    'LOGIN_BACKOFF',
    waitMs,
  );
}
