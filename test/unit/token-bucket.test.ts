import { Strikes, TokenBucket } from '../../src/core/token-bucket';

function fakeClock(start = 1_000): {
  now: () => number;
  advance: (ms: number) => void;
  set: (ms: number) => void;
} {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
    set: (ms) => {
      t = ms;
    },
  };
}

describe('TokenBucket', () => {
  it('allows a burst up to capacity, then rejects', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ capacity: 3, refillPerSecond: 1, now: clock.now });
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
  });

  it('refills continuously at the given rate, never above capacity', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ capacity: 5, refillPerSecond: 10, now: clock.now });
    expect(bucket.take(5)).toBe(true);
    expect(bucket.take()).toBe(false);
    clock.advance(99);
    expect(bucket.take()).toBe(false);
    clock.advance(1);
    expect(bucket.take()).toBe(true);
    clock.advance(60_000);
    expect(bucket.available()).toBe(5);
  });

  it('takes n tokens all or nothing', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ capacity: 4, refillPerSecond: 1, now: clock.now });
    expect(bucket.take(3)).toBe(true);
    expect(bucket.take(2)).toBe(false);
    expect(bucket.available()).toBe(1);
    expect(bucket.take(1)).toBe(true);
  });

  it('starts with the given initial tokens', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ capacity: 4, refillPerSecond: 1, now: clock.now, initial: 0 });
    expect(bucket.take()).toBe(false);
    clock.advance(1000);
    expect(bucket.take()).toBe(true);
  });

  it('ignores a clock going backwards', () => {
    const clock = fakeClock(10_000);
    const bucket = new TokenBucket({ capacity: 2, refillPerSecond: 1, now: clock.now });
    expect(bucket.take(2)).toBe(true);
    clock.set(0);
    expect(bucket.take()).toBe(false);
    clock.advance(1000);
    expect(bucket.take()).toBe(true);
  });

  it('rejects invalid options', () => {
    expect(() => new TokenBucket({ capacity: 0, refillPerSecond: 1 })).toThrow(RangeError);
    expect(() => new TokenBucket({ capacity: 1, refillPerSecond: -1 })).toThrow(RangeError);
  });
});

describe('Strikes', () => {
  it('reports abuse once limit strikes fall within the window', () => {
    const clock = fakeClock();
    const strikes = new Strikes({ limit: 3, windowMs: 1000, now: clock.now });
    expect(strikes.strike()).toBe(false);
    clock.advance(100);
    expect(strikes.strike()).toBe(false);
    clock.advance(100);
    expect(strikes.strike()).toBe(true);
    expect(strikes.count()).toBe(3);
  });

  it('forgets strikes that leave the window', () => {
    const clock = fakeClock();
    const strikes = new Strikes({ limit: 3, windowMs: 1000, now: clock.now });
    for (let i = 0; i < 10; i++) {
      expect(strikes.strike()).toBe(false);
      clock.advance(600);
    }
    expect(strikes.count()).toBe(1);
    clock.advance(1000);
    expect(strikes.count()).toBe(0);
  });

  it('starts over after reset', () => {
    const clock = fakeClock();
    const strikes = new Strikes({ limit: 2, windowMs: 1000, now: clock.now });
    strikes.strike();
    strikes.reset();
    expect(strikes.strike()).toBe(false);
    expect(strikes.strike()).toBe(true);
  });
});
