import { RateLimited } from './errors';

export interface LoginLimits {
  maxFailuresPerUser: number;
  maxFailuresPerAddress: number;
  windowSeconds: number;
}

/**
 * The rule every LoginAttempts adapter applies to its counters: the account
 * is checked first, then the address. Throws RateLimited (LOGIN_LOCKED).
 */
export function checkLoginFailures(counts: { user: number; address: number }, limits: LoginLimits): void {
  if (counts.user >= limits.maxFailuresPerUser) {
    throw new RateLimited('Too many failed logins for this account; try again later.', 'LOGIN_LOCKED');
  }
  if (counts.address >= limits.maxFailuresPerAddress) {
    throw new RateLimited('Too many failed logins from this address; try again later.', 'LOGIN_LOCKED');
  }
}
