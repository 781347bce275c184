import { SessionLiveness } from '../../src/cluster/coordination/liveness';
import { silentLogger } from '../../src/core/logger';

type Mode = 'ok' | 'hang' | 'fail' | 'gone';

/** Session timeout 3000 ms: probe every 500 ms, stale after 2000 ms, unresponsive after 4000 ms. */
function setup() {
  const state = { mode: 'ok' as Mode, probes: 0 };
  const events: string[] = [];
  const at = (): number => Date.now() - t0;
  const t0 = Date.now();
  const liveness = new SessionLiveness({
    clock: {
      now: () => Date.now(),
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
    },
    logger: silentLogger(),
    sessionTimeoutMs: 3000,
    probe: () => {
      state.probes += 1;
      switch (state.mode) {
        case 'ok':
          return Promise.resolve(true);
        case 'gone':
          return Promise.resolve(false);
        case 'fail':
          return Promise.reject(new Error('connection loss'));
        case 'hang':
          return new Promise<boolean>(() => undefined);
      }
    },
    onFresh: () => events.push(`fresh@${at()}`),
    onStale: (reason) => events.push(`stale@${at()}:${reason}`),
    onUnresponsive: () => events.push(`unresponsive@${at()}`),
    onCandidateGone: () => events.push(`gone@${at()}`),
  });
  return { state, events, liveness, t0 };
}

describe('SessionLiveness (leader fencing by own timer)', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('uses 1/6, 2/3 and 4/3 of the session timeout by default', () => {
    const { liveness } = setup();
    expect(liveness.staleAfterMs).toBe(2000);
    expect(liveness.deadAfterMs).toBe(4000);
  });

  it('stays fresh while probes are answered', async () => {
    const { state, events, liveness, t0 } = setup();
    liveness.start(t0);
    await jest.advanceTimersByTimeAsync(20_000);
    expect(events).toEqual([]);
    expect(liveness.isFresh()).toBe(true);
    expect(state.probes).toBeGreaterThanOrEqual(39);
    liveness.stop();
  });

  it('steps down exactly 2/3 of the timeout after the last answered request was sent', async () => {
    const { state, events, liveness, t0 } = setup();
    liveness.start(t0);
    await jest.advanceTimersByTimeAsync(1000); // probes at 500 and 1000 answered
    state.mode = 'hang';
    await jest.advanceTimersByTimeAsync(1999); // t = 2999: last answer was sent at 1000
    expect(liveness.isFresh()).toBe(true);
    await jest.advanceTimersByTimeAsync(1);
    expect(liveness.isFresh()).toBe(false);
    expect(events).toEqual([expect.stringMatching(/^stale@3000:no answer from ZooKeeper for 2000 ms/)]);
    liveness.stop();
  });

  it('counts failed requests (connection loss) as no answer', async () => {
    const { state, events, liveness, t0 } = setup();
    state.mode = 'fail';
    liveness.start(t0);
    await jest.advanceTimersByTimeAsync(2000);
    expect(events).toEqual([expect.stringMatching(/^stale@2000:/)]);
    liveness.stop();
  });

  it('does not wait for the next probe after a disconnect: the deadline runs from the last answer', async () => {
    const { state, events, liveness, t0 } = setup();
    liveness.start(t0);
    await jest.advanceTimersByTimeAsync(500);
    state.mode = 'hang';
    await jest.advanceTimersByTimeAsync(100);
    liveness.onDisconnected();
    await jest.advanceTimersByTimeAsync(1900);
    expect(events).toEqual([expect.stringMatching(/^stale@2500:/)]);
    liveness.stop();
  });

  it('leads again only after a confirmed probe', async () => {
    const { state, events, liveness, t0 } = setup();
    liveness.start(t0);
    state.mode = 'hang';
    await jest.advanceTimersByTimeAsync(2000);
    expect(liveness.isFresh()).toBe(false);
    // An answer to some other request does not restore leadership by itself.
    liveness.recordAnswer(Date.now());
    expect(liveness.isFresh()).toBe(false);
    state.mode = 'ok';
    liveness.onReconnected();
    await jest.advanceTimersByTimeAsync(0);
    expect(liveness.isFresh()).toBe(true);
    expect(events).toEqual([expect.stringMatching(/^stale@2000:/), 'fresh@2000']);
    liveness.stop();
  });

  it('declares the connection unresponsive after 4/3 of the timeout, and again each period', async () => {
    const { state, events, liveness, t0 } = setup();
    state.mode = 'hang';
    liveness.start(t0);
    await jest.advanceTimersByTimeAsync(8000);
    expect(events).toEqual([expect.stringMatching(/^stale@2000:/), 'unresponsive@4000', 'unresponsive@8000']);
    liveness.stop();
  });

  it('reports a deleted candidate znode', async () => {
    const { state, events, liveness, t0 } = setup();
    liveness.start(t0);
    state.mode = 'gone';
    await jest.advanceTimersByTimeAsync(500);
    expect(events).toEqual([expect.stringMatching(/^stale@500:the candidate znode/), 'gone@500']);
    expect(liveness.isFresh()).toBe(false);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(events).toHaveLength(2);
  });

  it('fires nothing after stop', async () => {
    const { state, events, liveness, t0 } = setup();
    state.mode = 'hang';
    liveness.start(t0);
    liveness.stop();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(events).toEqual([]);
    expect(state.probes).toBe(0);
  });
});
