/**
 * The in-memory adapters against the same contracts as Redis and SQLite,
 * time driven by a ManualClock.
 */
import { ManualClock } from '../../src/core/clock';
import { MemoryRecentActivity } from '../../src/memory/activity';
import { MemoryLoginBackoff } from '../../src/memory/login-backoff';
import { MemoryResumeTokens } from '../../src/memory/resume-tokens';
import { MemoryServerRegistry } from '../../src/memory/server-registry';
import { MemorySessionDirectory } from '../../src/memory/sessions';
import { createMemoryStore } from '../../src/store/memory';
import { runLoginAttemptsContract } from './login-attempts-contract';
import { runRecentActivityContract } from './recent-activity-contract';
import { runResumeTokensContract } from './resume-tokens-contract';
import { runServerRegistryContract } from './server-registry-contract';
import { runSessionDirectoryContract } from './session-directory-contract';
import { runStoreContract, TEST_SCRYPT } from './store-contract';

/** A clock that starts at a realistic time and moves only when a test lets time pass. */
function manualTime(): { clock: ManualClock; elapse: (ms: number) => Promise<void> } {
  const clock = new ManualClock(1_700_000_000_000);
  return { clock, elapse: async (ms) => clock.advance(ms) };
}

runSessionDirectoryContract('memory', async () => new MemorySessionDirectory());

runRecentActivityContract('memory', async ({ flushMs }) => {
  const { clock, elapse } = manualTime();
  return { activity: new MemoryRecentActivity({ clock, flushMs }), elapse };
});

runResumeTokensContract('memory', async () => {
  const { clock, elapse } = manualTime();
  const tokens = new MemoryResumeTokens(clock);
  return { tokens, now: () => clock.now(), elapse, storedText: async () => tokens.storedText() };
});

runLoginAttemptsContract('memory', async (policy) => {
  const { clock, elapse } = manualTime();
  return { attempts: new MemoryLoginBackoff(policy, clock), elapse };
});

runServerRegistryContract('memory', async () => {
  const registry = new MemoryServerRegistry();
  return { registry, directory: registry };
});

runStoreContract('memory', async () => createMemoryStore({ scrypt: TEST_SCRYPT }));
