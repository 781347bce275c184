import { harnessKey, stopHarness } from './global-setup';
import type { HarnessState } from './global-setup';

type HarnessGlobal = typeof globalThis & { [harnessKey]?: HarnessState };

/** Stops the servers global setup started (none when REDIS_URL / ZK_HOSTS were given). */
export default async function globalTeardown(): Promise<void> {
  const holder = globalThis as HarnessGlobal;
  const state = holder[harnessKey];
  if (!state) return;
  delete holder[harnessKey];
  await stopHarness(state);
}
