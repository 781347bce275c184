import type BetterSqlite3 from 'better-sqlite3';
import { backoffDelay } from '../../core/backoff';
import { Unavailable } from '../../core/errors';
import { sqliteCode } from './errors';

export interface WriterOptions {
  /** Most jobs in one transaction. */
  maxBatch: number;
  /**
   * Commit window: a commit follows the previous one by at least this long,
   * so under load each commit carries more rows (the cost of a commit is
   * mostly per transaction, not per row). An idle writer commits at once.
   */
  windowMs: number;
  /** How long a batch keeps retrying while another process holds the write lock. */
  lockWaitMs: number;
  /** Jobs waiting for a commit, past which new ones are refused (503 STORE_BUSY). */
  maxQueued?: number;
  now: () => number;
  /** After each commit: how long its oldest write waited to be committed (ms), for metrics. */
  onCommit?: (waitedMs: number) => void;
}

/**
 * Lock retries that come after one event-loop turn instead of a timer. A commit
 * of a few rows holds the lock for a fraction of a millisecond, and a timer
 * waits at least one; the first retries cost a turn each, the rest back off.
 */
const IMMEDIATE_LOCK_RETRIES = 2;

export const DEFAULT_WRITER: WriterOptions = {
  maxBatch: 2000,
  windowMs: 0,
  lockWaitMs: 5000,
  now: () => performance.now(),
};

/** Commit counters, for metrics and the benchmark. */
export interface WriterStats {
  commits: number;
  /** Jobs committed (messages, membership changes, users). */
  rows: number;
  /** Times a batch found the write lock taken by another process and waited without blocking. */
  lockRetries: number;
  /** Jobs waiting for the next commit. */
  queued: number;
}

interface Job {
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
  since: number;
}

/**
 * Every write of one process goes through here: the jobs of one event-loop
 * turn (and whatever arrives while a batch waits for the lock) commit in one
 * IMMEDIATE transaction; one failing job fails alone (the batch is then run
 * again with a savepoint per job). The connection never waits for another
 * process's lock inside SQLite (busy_timeout 0): a batch that finds the lock
 * taken is tried again after a turn, then on a timer, so the event loop keeps
 * serving while it waits.
 */
export class SqliteWriter {
  private queue: Job[] = [];
  private scheduled: NodeJS.Immediate | NodeJS.Timeout | undefined;
  private attempt = 0;
  private lastCommit = -Infinity;
  private closed = false;
  private readonly batch: (jobs: Job[]) => Array<{ ok: true; value: unknown } | { ok: false; err: unknown }>;
  private readonly counters = { commits: 0, rows: 0, lockRetries: 0 };

  constructor(
    db: BetterSqlite3.Database,
    private readonly options: WriterOptions = DEFAULT_WRITER,
  ) {
    const savepoint = db.transaction((job: Job) => job.run());
    const transaction = db.transaction((jobs: Job[]) =>
      jobs.map((job) => {
        try {
          return { ok: true as const, value: savepoint(job) };
        } catch (err) {
          return { ok: false as const, err };
        }
      }),
    );
    // Savepoints cost two statements per job, and jobs almost never fail (an append
    // answers a retry itself), so a batch first runs without them; only when a job
    // throws is the whole batch rolled back and run again with a savepoint per job.
    // Jobs are statements only, so running one twice inside rolled-back work is safe.
    // A lone job needs no savepoint either: the transaction's rollback is the job's.
    const plain = db.transaction((jobs: Job[]) =>
      jobs.map((job) => ({ ok: true as const, value: job.run() })),
    );
    this.batch = (jobs) => {
      try {
        return plain.immediate(jobs);
      } catch (err) {
        if (this.isLockTaken(err)) throw err;
        if (jobs.length === 1) return [{ ok: false as const, err }];
        return transaction.immediate(jobs);
      }
    };
  }

  stats(): WriterStats {
    return { ...this.counters, queued: this.queue.length };
  }

  /** Runs `job` inside the next commit; resolves with its result once committed. */
  submit<T>(job: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new Unavailable('The store is closed.'));
    if (this.queue.length >= (this.options.maxQueued ?? 50_000))
      return Promise.reject(
        new Unavailable('The store is too busy right now; try again shortly.', 'STORE_BUSY'),
      );
    return new Promise<T>((resolve, reject) => {
      this.queue.push({
        run: job,
        resolve: resolve as (v: unknown) => void,
        reject,
        since: this.options.now(),
      });
      this.schedule();
    });
  }

  /** Fails what is still queued; later submits fail at once. */
  close(): void {
    this.closed = true;
    clearTimeout(this.scheduled as NodeJS.Timeout);
    clearImmediate(this.scheduled as NodeJS.Immediate);
    this.scheduled = undefined;
    for (const job of this.queue.splice(0))
      job.reject(new Unavailable('The store closed before this write.'));
  }

  /** The next commit: this turn's end, or the end of the window since the last commit. */
  private schedule(): void {
    if (this.scheduled !== undefined) return;
    const wait = this.lastCommit + this.options.windowMs - this.options.now();
    this.scheduled = wait > 0 ? setTimeout(() => this.flush(), wait) : setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = undefined;
    while (this.queue.length > 0 && !this.closed) {
      const jobs = this.queue.slice(0, this.options.maxBatch);
      let results: ReturnType<typeof this.batch>;
      try {
        results = this.batch(jobs);
      } catch (err) {
        if (this.isLockTaken(err)) return this.waitForLock(jobs);
        this.queue.splice(0, jobs.length);
        for (const job of jobs) job.reject(err);
        continue;
      }
      this.queue.splice(0, jobs.length);
      this.attempt = 0;
      this.lastCommit = this.options.now();
      this.counters.commits++;
      this.counters.rows += jobs.length;
      this.options.onCommit?.(this.lastCommit - (jobs[0]?.since ?? this.lastCommit));
      jobs.forEach((job, i) => {
        const result = results[i];
        if (result?.ok) job.resolve(result.value);
        else job.reject(result?.err);
      });
    }
  }

  /** Another process writes: try again shortly, unless the oldest job has waited too long. */
  private waitForLock(jobs: Job[]): void {
    const oldest = jobs[0]?.since ?? this.options.now();
    if (this.options.now() - oldest > this.options.lockWaitMs) {
      this.queue.splice(0, jobs.length);
      const err = new Unavailable('The database stayed locked by another process; try again shortly.');
      for (const job of jobs) job.reject(err);
      this.attempt = 0;
      this.scheduled = setImmediate(() => this.flush());
      return;
    }
    if (this.attempt === 0) this.counters.lockRetries++;
    // Jittered so processes do not retry in step; short and capped at 1 ms (Node waits at
    // least 1 ms anyway): a commit holds the lock for about a millisecond, and every
    // millisecond waited here is added to the acknowledgements of the whole batch.
    if (this.attempt < IMMEDIATE_LOCK_RETRIES) {
      this.attempt++;
      this.scheduled = setImmediate(() => this.flush());
      return;
    }
    const delay = backoffDelay(this.attempt++ - IMMEDIATE_LOCK_RETRIES, { initialMs: 0.1, maxMs: 1 });
    this.scheduled = setTimeout(() => this.flush(), delay);
  }

  private isLockTaken(err: unknown): boolean {
    const code = sqliteCode(err);
    return code !== undefined && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
  }
}
