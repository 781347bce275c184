import { harnessKey, stopHarness } from './global-setup';
import type { HarnessState } from './global-setup';

type HarnessGlobal = typeof globalThis & { [harnessKey]?: HarnessState };

/**
 * Stops the servers global setup started (none that the caller named). Every
 * project's teardown runs after the last test, so the first one stops all.
 */
export default async function globalTeardown(): Promise<void> {
  const holder = globalThis as HarnessGlobal;
  const state = holder[harnessKey];
  if (!state) return;
  delete holder[harnessKey];
  await stopHarness(state);
}
