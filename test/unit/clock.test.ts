import { ManualClock } from '../../src/core/clock';

describe('ManualClock', () => {
  it('runs due timers in due order at their own time, and timers they set within the same step', () => {
    const clock = new ManualClock(1000);
    const ran: string[] = [];
    clock.setTimeout(() => ran.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => {
      ran.push(`a@${clock.now()}`);
      clock.setTimeout(() => ran.push(`a2@${clock.now()}`), 5);
    }, 10);
    clock.setTimeout(() => ran.push(`same@${clock.now()}`), 20);
    clock.setTimeout(() => ran.push('late'), 100);
    clock.advance(50);
    expect(ran).toEqual(['a@1010', 'a2@1015', 'b@1020', 'same@1020']);
    expect(clock.now()).toBe(1050);
    expect(clock.pendingTimers).toBe(1);
  });

  it('does not run a cleared timer, and refuses to go back in time', () => {
    const clock = new ManualClock();
    let ran = false;
    const handle = clock.setTimeout(() => (ran = true), 5);
    clock.clearTimeout(handle);
    clock.advance(10);
    expect(ran).toBe(false);
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });
});
