type Cleanup = () => unknown;

/**
 * A teardown registry. Whatever starts something registers how to stop it;
 * `close()` runs the registrations in reverse order, runs all of them even if
 * some fail, and then throws the failures together.
 */
export class TestScope {
  private cleanups: { what: string; fn: Cleanup }[] = [];

  /** Registers `fn` to run at close. A bound property, so `const { defer } = useScope()` works. */
  readonly defer = (fn: Cleanup, what = 'cleanup'): void => {
    this.cleanups.push({ fn, what });
  };

  /** Registers the stop of `value` and hands it back: `const redis = scope.add(client, c => c.quit())`. */
  add<T>(value: T, stop: (value: T) => unknown, what = 'cleanup'): T {
    this.defer(() => stop(value), what);
    return value;
  }

  get size(): number {
    return this.cleanups.length;
  }

  async close(): Promise<void> {
    const cleanups = this.cleanups.reverse();
    this.cleanups = [];
    const failures: Error[] = [];
    for (const { fn, what } of cleanups) {
      try {
        await fn();
      } catch (error) {
        failures.push(new Error(`teardown '${what}' failed: ${String(error)}`, { cause: error }));
      }
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, `${failures.length} teardowns failed`);
  }
}

/**
 * A scope closed by jest after each test (default) or after all tests of the
 * enclosing describe/file. Call it at describe or file level, not inside a test.
 */
export function useScope(when: 'each' | 'all' = 'each'): TestScope {
  const scope = new TestScope();
  if (when === 'each') afterEach(() => scope.close());
  else afterAll(() => scope.close());
  return scope;
}
