/** Time source and timers, injectable so time-dependent logic can be tested with fake time. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Reads the globals at call time so that jest fake timers apply. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Like systemClock, but `now()` never goes backwards: fencing deadlines must
 * not move when the wall clock is stepped (NTP, an operator). Its numbers
 * are milliseconds since this process started, not since the epoch.
 */
export const monotonicClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

interface Timer {
  at: number;
  /** Order of creation, so timers due at the same time run in the order they were set. */
  order: number;
  fn: () => void;
}

/**
 * A clock that moves only when told to: `advance(ms)` runs every timer that
 * falls due, in due-time order, with `now()` set to each timer's due time
 * while it runs. Timers set by a running timer run in the same advance if
 * they fall due within it. For in-process tests where timing matters.
 */
export class ManualClock implements Clock {
  private current: number;
  private readonly timers = new Map<number, Timer>();
  private nextId = 1;

  constructor(startMs = 0) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.current + Math.max(0, ms), order: id, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    if (typeof handle === 'number') this.timers.delete(handle);
  }

  /** Timers set and not yet run or cleared. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`a clock cannot go back (advance by ${ms} ms)`);
    const target = this.current + ms;
    // Bounded: each pass removes one timer; a timer that keeps re-arming itself
    // with a zero delay would loop, which is the caller's bug, so it is capped.
    for (let runs = 0; runs < 1_000_000; runs++) {
      const next = this.nextDue(target);
      if (next === undefined) break;
      this.timers.delete(next.id);
      this.current = next.timer.at;
      next.timer.fn();
    }
    this.current = target;
  }

  private nextDue(target: number): { id: number; timer: Timer } | undefined {
    let best: { id: number; timer: Timer } | undefined;
    for (const [id, timer] of this.timers) {
      if (timer.at > target) continue;
      if (!best || timer.at < best.timer.at || (timer.at === best.timer.at && timer.order < best.timer.order))
        best = { id, timer };
    }
    return best;
  }
}
