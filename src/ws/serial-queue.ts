/**
 * Runs the tasks of one connection strictly one after another, which is what
 * keeps a user's messages in the order they were sent. The queue is bounded:
 * a client cannot make the node hold an unlimited backlog for it.
 */
export type EnqueueResult = 'queued' | 'full' | 'closed';

export class BoundedSerialQueue {
  private readonly tasks: Array<() => Promise<void>> = [];
  private running = false;
  private closed = false;

  /**
   * @param maxPending most tasks waiting or running at once.
   * @param onError gets what a task threw; the queue carries on with the next one.
   */
  constructor(
    private readonly maxPending: number,
    private readonly onError: (err: unknown) => void,
  ) {
    if (!(maxPending >= 1)) throw new RangeError('BoundedSerialQueue maxPending must be >= 1');
  }

  /** Tasks waiting plus the one running. */
  get size(): number {
    return this.tasks.length + (this.running ? 1 : 0);
  }

  push(task: () => Promise<void>): EnqueueResult {
    if (this.closed) return 'closed';
    if (this.size >= this.maxPending) return 'full';
    this.tasks.push(task);
    if (!this.running) void this.drain();
    return 'queued';
  }

  /** Drops the waiting tasks; the running one finishes on its own. */
  close(): void {
    this.closed = true;
    this.tasks.length = 0;
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      for (let task = this.tasks.shift(); task !== undefined; task = this.tasks.shift()) {
        try {
          await task();
        } catch (err) {
          this.onError(err);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
