/** What happened to a task handed to the queue. */
export type EnqueueResult = 'queued' | 'full' | 'closed';

/**
 * Called by a running command once the part of it that must happen in
 * arrival order is done (for a send: the message has its place in the
 * store's batch). Later commands of the connection may start from then on.
 */
export type ReleaseTurn = () => void;

export type CommandTask = (release: ReleaseTurn) => Promise<void>;

/**
 * The commands of one connection. Each command starts only when the one
 * before it has released its turn: by default at its end, so commands run
 * one after another (a login finishes before anything after it starts). A
 * command that has done its ordered part releases early, and up to
 * `maxInFlight` commands then overlap: a client need not wait a round trip
 * per message, and one sender's messages are still stored and delivered in
 * the order sent. At most `maxPending` commands wait or run at once, so a
 * client cannot make the node hold an unbounded backlog for it.
 */
export class CommandQueue {
  private readonly waiting: CommandTask[] = [];
  private running = 0;
  /** False while the last started command has not released its turn. */
  private turnFree = true;
  private closed = false;
  private sealed = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly maxPending: number,
    private readonly maxInFlight: number,
    /** Gets what a task threw; the queue carries on with the next one. */
    private readonly onError: (err: unknown) => void,
  ) {
    if (!(maxPending >= 1) || !(maxInFlight >= 1)) throw new RangeError('CommandQueue bounds must be >= 1');
  }

  /** Tasks waiting plus running. */
  get size(): number {
    return this.waiting.length + this.running;
  }

  push(task: CommandTask): EnqueueResult {
    if (this.closed || this.sealed) return 'closed';
    if (this.size >= this.maxPending) return 'full';
    this.waiting.push(task);
    this.pump();
    return 'queued';
  }

  /** Drops the waiting tasks; running ones finish on their own. */
  close(): void {
    this.closed = true;
    this.waiting.length = 0;
    this.wakeIdle();
  }

  /** Takes no new tasks; those accepted still run (a drain before shutdown). */
  seal(): void {
    this.sealed = true;
  }

  /** Resolves once nothing waits or runs. */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private wakeIdle(): void {
    if (this.size > 0 && !this.closed) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }

  private pump(): void {
    while (this.turnFree && this.running < this.maxInFlight && this.waiting.length > 0) {
      const task = this.waiting.shift() as CommandTask;
      this.turnFree = false;
      this.running++;
      // Started from a microtask, as behind an awaited turn, but without a promise per
      // command: the turn is a flag that release() clears.
      queueMicrotask(() => this.run(task));
    }
  }

  private run(task: CommandTask): void {
    let released = false;
    const release: ReleaseTurn = () => {
      if (released) return;
      released = true;
      this.turnFree = true;
      this.pump();
    };
    const finish = (): void => {
      release();
      this.running--;
      this.pump();
      this.wakeIdle();
    };
    let done: Promise<void>;
    try {
      done = task(release);
    } catch (err) {
      done = Promise.reject(err);
    }
    done.then(finish, (err: unknown) => {
      this.onError(err);
      finish();
    });
  }
}
