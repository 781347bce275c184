import { backoffDelay } from '../../src/core/backoff';

describe('backoffDelay', () => {
  const opts = { initialMs: 100, maxMs: 2_000 };

  it('grows exponentially, stays within [half, full] of the step and never passes the cap', () => {
    expect(backoffDelay(0, opts, () => 0)).toBe(50);
    expect(backoffDelay(0, opts, () => 1)).toBe(100);
    expect(backoffDelay(1, opts, () => 0.5)).toBe(150);
    expect(backoffDelay(3, opts, () => 1)).toBe(800);
    for (let attempt = 0; attempt < 50; attempt++) {
      const delay = backoffDelay(attempt, opts);
      expect(delay).toBeGreaterThanOrEqual(Math.min(2_000, 100 * 2 ** attempt) / 2);
      expect(delay).toBeLessThanOrEqual(2_000);
    }
    expect(backoffDelay(1_000, opts, () => 0)).toBe(1_000);
  });

  it('treats a negative attempt as the first retry', () => {
    expect(backoffDelay(-3, opts, () => 1)).toBe(100);
  });
});
