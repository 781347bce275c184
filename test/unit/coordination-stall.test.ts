import { SessionLiveness } from '../../src/cluster/coordination/liveness';
import type { Clock } from '../../src/cluster/coordination/types';
import { silentLogger } from '../../src/core/logger';

/** A clock whose time moves without firing timers: the process was stopped and just woke up. */
function stalledClock(): Clock & { advance(ms: number): void } {
  let now = 1_000_000;
  return {
    now: () => now,
    setTimeout: () => ({}),
    clearTimeout: () => undefined,
    advance: (ms) => {
      now += ms;
    },
  };
}

describe('SessionLiveness after a stall', () => {
  it('is no longer fresh once the deadline passed, even before the overdue timer runs', () => {
    const clock = stalledClock();
    const stale: string[] = [];
    const liveness = new SessionLiveness({
      clock,
      logger: silentLogger(),
      sessionTimeoutMs: 3000,
      probe: () => Promise.resolve(true),
      onFresh: () => undefined,
      onStale: (reason) => stale.push(reason),
      onUnresponsive: () => undefined,
      onCandidateGone: () => undefined,
    });
    liveness.start(clock.now());
    expect(liveness.isFresh()).toBe(true);
    clock.advance(1999);
    expect(liveness.isFresh()).toBe(true);
    // Paused for longer than the session timeout: I/O may run before timers on wake-up.
    clock.advance(5000);
    expect(liveness.isFresh()).toBe(false);
    // The step-down event itself still comes from the (late) timer.
    expect(stale).toEqual([]);
    liveness.stop();
  });
});
