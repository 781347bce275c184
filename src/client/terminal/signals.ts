/**
 * What the flows wait on besides commands: the session ending for good, and
 * the number of messages from other users reaching a target (--expect).
 */
export class SessionSignals {
  readonly ended: Promise<void>;
  private resolveEnded: () => void = () => undefined;
  private count = 0;
  private readonly targets: Array<{ n: number; resolve: () => void }> = [];

  constructor() {
    this.ended = new Promise((resolve) => {
      this.resolveEnded = resolve;
    });
  }

  get received(): number {
    return this.count;
  }

  markEnded(): void {
    this.resolveEnded();
  }

  messageFromOther(): void {
    this.count++;
    for (let i = this.targets.length - 1; i >= 0; i--) {
      const target = this.targets[i];
      if (target && this.count >= target.n) {
        this.targets.splice(i, 1);
        target.resolve();
      }
    }
  }

  /** Resolves once `n` messages from others have arrived in total. */
  receivedAtLeast(n: number): Promise<void> {
    if (this.count >= n) return Promise.resolve();
    return new Promise((resolve) => this.targets.push({ n, resolve }));
  }
}
