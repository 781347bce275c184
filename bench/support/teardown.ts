/**
 * Everything a bench run started, stopped in reverse order exactly once,
 * whether the run finished, failed or was interrupted.
 */
export class Teardown {
  private readonly steps: Array<{ name: string; run: () => Promise<unknown> }> = [];
  private running: Promise<string[]> | undefined;

  /** Registers a stop step; the last registered runs first. */
  add(name: string, run: () => Promise<unknown> | unknown): void {
    this.steps.push({ name, run: async () => run() });
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
