/**
 * Everything a bench run started, stopped in reverse order exactly once,
 * whether the run finished, failed or was interrupted.
 */
export class Teardown {
  private readonly steps: Array<{ name: string; run: () => Promise<unknown> }> = [];
  private running: Promise<string[]> | undefined;

  /**
   * Registers a stop step; the last registered runs first. Once stopping has
   * begun (an interrupt), the step runs at once and the caller gets an error,
   * so a scenario cannot start something nobody would stop.
   */
  add(name: string, run: () => Promise<unknown> | unknown): void {
    if (this.running) {
      void Promise.resolve()
        .then(run)
        .catch(() => undefined);
      throw new Error(`The bench is stopping; ${name} was stopped at once.`);
    }
    this.steps.push({ name, run: async () => run() });
  }

  get stopping(): boolean {
    return this.running !== undefined;
  }

  /** Runs every step once; resolves with the failures (never rejects). */
  run(): Promise<string[]> {
    this.running ??= this.runAll();
    return this.running;
  }

  private async runAll(): Promise<string[]> {
    const failures: string[] = [];
    for (const step of this.steps.reverse()) {
      try {
        await step.run();
      } catch (err) {
        failures.push(`${step.name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return failures;
  }
}
