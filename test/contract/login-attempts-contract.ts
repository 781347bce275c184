/**
 * The LoginAttempts contract, run against Redis and the in-memory adapter.
 * `make(limits)` returns fresh counters of its own with those limits and a
 * way to let time pass on the clock their windows run on (`elapse`).
 */
import type { LoginAttempts } from '../../src/chat/ports';
import { RateLimited } from '../../src/core/errors';
import type { LoginLimits } from '../../src/core/login-limits';

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

async function refusal(check: Promise<void>): Promise<string> {
  try {
    await check;
  } catch (err) {
    if (err instanceof RateLimited) return `${err.code} ${err.reason}: ${err.message}`;
    throw err;
  }
  return 'allowed';
}

const ACCOUNT_LOCKED = '429 LOGIN_LOCKED: Too many failed logins for this account; try again later.';
const ADDRESS_LOCKED = '429 LOGIN_LOCKED: Too many failed logins from this address; try again later.';

export function runLoginAttemptsContract(
  name: string,
  make: (limits: LoginLimits) => Promise<LoginAttemptsFixture>,
): void {
  describe(`LoginAttempts contract: ${name}`, () => {
    it('locks an account at its limit, from any address, and no other account', async () => {
      const { attempts } = await make({
        maxFailuresPerUser: 3,
        maxFailuresPerAddress: 100,
        windowSeconds: 60,
      });
      await failTimes(attempts, 2, 'alice', '10.0.0.1');
      expect(await refusal(attempts.check('alice', '10.0.0.1'))).toBe('allowed');
      await attempts.recordFailure('alice', '10.0.0.2');
      expect(await refusal(attempts.check('alice', '10.0.0.1'))).toBe(ACCOUNT_LOCKED);
      expect(await refusal(attempts.check('alice', '10.9.9.9'))).toBe(ACCOUNT_LOCKED);
      expect(await refusal(attempts.check('bob', '10.0.0.1'))).toBe('allowed');
    });

    it('locks an address at its limit, whatever the account, and no other address', async () => {
      const { attempts } = await make({
        maxFailuresPerUser: 100,
        maxFailuresPerAddress: 3,
        windowSeconds: 60,
      });
      await attempts.recordFailure('alice', '10.0.0.1');
      await attempts.recordFailure('bob', '10.0.0.1');
      expect(await refusal(attempts.check('carol', '10.0.0.1'))).toBe('allowed');
      await attempts.recordFailure('carol', '10.0.0.1');
      expect(await refusal(attempts.check('dave', '10.0.0.1'))).toBe(ADDRESS_LOCKED);
      expect(await refusal(attempts.check('dave', '10.0.0.2'))).toBe('allowed');
    });

    it('names the account when both limits are reached', async () => {
      const { attempts } = await make({ maxFailuresPerUser: 2, maxFailuresPerAddress: 2, windowSeconds: 60 });
      await failTimes(attempts, 2, 'alice', '10.0.0.1');
      expect(await refusal(attempts.check('alice', '10.0.0.1'))).toBe(ACCOUNT_LOCKED);
    });

    it('keeps the window fixed from the first failure and starts counting again after it', async () => {
      const { attempts, elapse } = await make({
        maxFailuresPerUser: 2,
        maxFailuresPerAddress: 100,
        windowSeconds: 2,
      });
      await attempts.recordFailure('alice', '10.0.0.1');
      await elapse(1000);
      // A later failure does not push the end of the window out.
      await attempts.recordFailure('alice', '10.0.0.1');
      expect(await refusal(attempts.check('alice', '10.0.0.1'))).toBe(ACCOUNT_LOCKED);
      await elapse(1000);
      // Two seconds after the first failure: its window is over (a sliding one would hold until 3 s).
      expect(await refusal(attempts.check('alice', '10.0.0.1'))).toBe('allowed');
      // A new window: one failure is not enough to lock again.
      await attempts.recordFailure('alice', '10.0.0.1');
      expect(await refusal(attempts.check('alice', '10.0.0.1'))).toBe('allowed');
    });
  });
}
