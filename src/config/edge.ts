import type { LoginBackoffPolicy } from '../core/login-limits';
import type { EnvReader } from './env-reader';

/** Who may connect to the client port, and for how long without logging in. */
export interface EdgeAdmissionConfig {
  loginTimeoutMs: number;
  maxConnections: number;
  maxConnectionsPerAddress: number;
  trustedProxies: string[];
}

/** The failed-login backoff (src/core/login-limits.ts). */
export type LoginBackoffConfig = LoginBackoffPolicy;

const PROXY_LIST = /^[\s,]*$|^[\s,]*[0-9A-Za-z:./]+(?:[\s,]+[0-9A-Za-z:./]+)*[\s,]*$/;

/** Comma- or space-separated entries, empty ones dropped. */
export function splitList(raw: string): string[] {
  return raw.split(/[\s,]+/).filter((s) => s.length > 0);
}

export function readEdgeAdmission(v: EnvReader): EdgeAdmissionConfig {
  return {
    loginTimeoutMs: v.int(
      'WS_LOGIN_TIMEOUT_MS',
      10000,
      'A connection that has not logged in this long after connecting is closed (4005); 0 = never.',
    ),
    maxConnections: v.int(
      'WS_MAX_CONNECTIONS',
      10000,
      'Client connections per node; more get HTTP 503. Lowered to the open-file limit minus 256.',
      1,
    ),
    maxConnectionsPerAddress: v.int(
      'WS_MAX_CONNECTIONS_PER_ADDRESS',
      256,
      'Client connections per client address; more get HTTP 429. Raise it for large NATs.',
      1,
    ),
    trustedProxies: splitList(
      v.string(
        'TRUSTED_PROXIES',
        '',
        'Proxies whose X-Forwarded-For names the client (addresses, CIDRs, loopback); empty = none.',
        PROXY_LIST,
      ),
    ),
  };
}

export function readLoginBackoff(v: EnvReader): LoginBackoffConfig {
  return {
    freeFailures: v.int(
      'LOGIN_FREE_FAILURES',
      5,
      'Failed logins per account and address before each further one must wait (doubling delay).',
      1,
    ),
    backoffBaseMs: v.int('LOGIN_BACKOFF_BASE_MS', 1000, 'First delay of the failed-login backoff.', 1),
    backoffMaxS: v.int('LOGIN_BACKOFF_MAX_S', 900, 'Longest delay of the failed-login backoff, seconds.', 1),
    maxFailuresPerUser: v.int(
      'LOGIN_MAX_FAILURES_PER_USER',
      100,
      'Failed logins of one account (all addresses) per window past which every address gets one free failure.',
      1,
    ),
    maxFailuresPerAddress: v.int(
      'LOGIN_MAX_FAILURES_PER_ADDRESS',
      300,
      'Failed logins from one address (all accounts) per window past which each account gets one free failure.',
      1,
    ),
    failureWindowS: v.int('LOGIN_FAILURE_WINDOW_S', 3600, 'Window of the failed-login counters, seconds.', 1),
  };
}
