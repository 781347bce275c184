/**
 * The LoginAttempts contract (the failed-login backoff), run against Redis
 * and the in-memory adapter. `make(policy)` returns fresh counters of its own
 * with that policy and a way to let time pass on the clock they run on.
 */
import type { LoginAttempts } from '../../src/chat/ports';
import { RateLimited } from '../../src/core/errors';
import type { LoginBackoffPolicy } from '../../src/core/login-limits';

export interface LoginAttemptsFixture {
  attempts: LoginAttempts;
  elapse(ms: number): Promise<void>;
}

async function failTimes(
  attempts: LoginAttempts,
  n: number,
  username: string,
  address: string,
): Promise<void> {
  for (let i = 0; i < n; i++) await attempts.recordFailure(username, address);
}

/** 'allowed', or the refusal's code, reason and delay. */
async function verdict(check: Promise<void>): Promise<'allowed' | { reason: string; retryAfterMs: number }> {
  try {
    await check;
  } catch (err) {
    if (err instanceof RateLimited)
      return { reason: `${err.code} ${err.reason}`, retryAfterMs: err.retryAfterMs };
    throw err;
  }
  return 'allowed';
}

/** Asserts a LOGIN_BACKOFF refusal whose delay is above `min` and at most `max` ms; returns the delay. */
function expectWaiting(v: Awaited<ReturnType<typeof verdict>>, max: number, min = 0): number {
  if (v === 'allowed') throw new Error('expected a LOGIN_BACKOFF refusal, the attempt was allowed');
  expect(v.reason).toBe('429 LOGIN_BACKOFF');
  expect(v.retryAfterMs).toBeGreaterThan(min);
  expect(v.retryAfterMs).toBeLessThanOrEqual(max);
  return v.retryAfterMs;
}

const POLICY: LoginBackoffPolicy = {
  freeFailures: 3,
  backoffBaseMs: 400,
  backoffMaxS: 1,
  maxFailuresPerUser: 100,
  maxFailuresPerAddress: 100,
  failureWindowS: 60,
};

export function runLoginAttemptsContract(
  name: string,
  make: (policy: LoginBackoffPolicy) => Promise<LoginAttemptsFixture>,
): void {
  describe(`LoginAttempts contract: ${name}`, () => {
    it('lets the free failures pass, then makes that account and address wait, and no other pair', async () => {
      const { attempts } = await make(POLICY);
      await failTimes(attempts, 2, 'alice', '10.0.0.1');
      expect(await verdict(attempts.check('alice', '10.0.0.1'))).toBe('allowed');
      await attempts.recordFailure('alice', '10.0.0.1');
      expectWaiting(await verdict(attempts.check('alice', '10.0.0.1')), 400);
      // The owner at another address, and another account at this address, are not affected.
      expect(await verdict(attempts.check('alice', '10.0.0.2'))).toBe('allowed');
      expect(await verdict(attempts.check('bob', '10.0.0.1'))).toBe('allowed');
    });

    it('doubles the wait with every further failure, up to the maximum, and ends it when due', async () => {
      const { attempts, elapse } = await make(POLICY);
      await failTimes(attempts, 3, 'alice', '10.0.0.1');
      expectWaiting(await verdict(attempts.check('alice', '10.0.0.1')), 400);
      await elapse(450);
      expect(await verdict(attempts.check('alice', '10.0.0.1'))).toBe('allowed');
      await attempts.recordFailure('alice', '10.0.0.1');
      expectWaiting(await verdict(attempts.check('alice', '10.0.0.1')), 800, 400);
      await elapse(850);
      await attempts.recordFailure('alice', '10.0.0.1');
      // 1600 ms would be next; backoffMaxS caps it at 1 s.
      expectWaiting(await verdict(attempts.check('alice', '10.0.0.1')), 1000, 800);
    });

    it('starts the pair afresh after a success', async () => {
      const { attempts } = await make(POLICY);
      await failTimes(attempts, 2, 'alice', '10.0.0.1');
      await attempts.recordSuccess?.('alice', '10.0.0.1');
      await failTimes(attempts, 2, 'alice', '10.0.0.1');
      expect(await verdict(attempts.check('alice', '10.0.0.1'))).toBe('allowed');
    });

    it('gives each pair one free failure once an address or an account passes its total, and locks nobody', async () => {
      const { attempts } = await make({ ...POLICY, maxFailuresPerAddress: 4, maxFailuresPerUser: 4 });
      // Spraying: one failure each on many accounts from one address.
      for (const user of ['a1', 'a2', 'a3', 'a4']) await attempts.recordFailure(user, '10.0.0.9');
      expect(await verdict(attempts.check('a1', '10.0.0.9'))).toBe('allowed');
      await attempts.recordFailure('a5', '10.0.0.9');
      expectWaiting(await verdict(attempts.check('a5', '10.0.0.9')), 400);
      // Accounts that did not fail from there are still allowed to try.
      expect(await verdict(attempts.check('a6', '10.0.0.9'))).toBe('allowed');
      // Guessing at one account from many addresses: the same, per address.
      for (const address of ['10.1.0.1', '10.1.0.2', '10.1.0.3', '10.1.0.4']) {
        await attempts.recordFailure('victim', address);
      }
      await attempts.recordFailure('victim', '10.1.0.5');
      expectWaiting(await verdict(attempts.check('victim', '10.1.0.5')), 400);
      expect(await verdict(attempts.check('victim', '10.1.0.6'))).toBe('allowed');
    });
  });
}
