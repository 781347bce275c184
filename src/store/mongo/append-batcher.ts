import { MongoBulkWriteError } from 'mongodb';
import type { Collection } from 'mongodb';
import { numbered, seqTaken } from '../messages';
import type { AppendResult, StoreWriteStats, StoredMessage } from '../types';
import { guarded } from './errors';

/** Per-conversation counters: the last sequence number given out. */
export interface CounterDoc {
  _id: string;
  seq: number;
}

interface Job {
  /** seq is assigned by the batch. */
  message: StoredMessage;
  /** '' when the send has none. */
  idempotency: string;
  resolve: (r: AppendResult) => void;
  reject: (err: unknown) => void;
}

/** What the batcher reads and writes; `toMessage` strips what the driver adds (_id). */
/** A stored message document: the message and what identifies its send across retries. */
export type MessageDoc = StoredMessage & { idem?: string };

export interface BatcherCollections {
  messages: Collection<MessageDoc>;
  counters: Collection<CounterDoc>;
  toMessage: (doc: StoredMessage) => StoredMessage;
}

const MAX_BATCH = 1000;

/**
 * Numbers and stores the messages of one event-loop turn (and whatever
 * arrives while a batch is being written) together: one query for ids
 * already stored (retries), one counter increment per conversation for all
 * its new messages, one unordered insertMany. Messages of one conversation
 * get their numbers in the order appendNext was called.
 *
 * The counter and the insert are separate writes (standalone servers have no
 * transactions): a process that dies between them, or a retry that races its
 * original on another node, leaves a gap in that conversation's numbers.
 */
export class MongoAppendBatcher {
  private queue: Job[] = [];
  private running = false;
  private scheduled = false;
  private readonly counts = { commits: 0, rows: 0 };

  constructor(private readonly c: BatcherCollections) {}

  stats(): StoreWriteStats {
    return { ...this.counts, lockRetries: 0, queued: this.queue.length };
  }

  submit(message: StoredMessage, idempotency = ''): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ message, idempotency, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.running || this.queue.length === 0) return;
    this.running = true;
    const jobs = this.queue.splice(0, MAX_BATCH);
    try {
      await this.write(jobs);
    } catch (err) {
      for (const job of jobs) job.reject(err);
    } finally {
      this.running = false;
      if (this.queue.length > 0) this.schedule();
    }
  }

  private async write(jobs: Job[]): Promise<void> {
    const { messages, counters, toMessage } = this.c;
    // Retries: by id, or by (conversation, idempotency) for sends that carry one.
    const keyOf = (job: Job): string =>
      job.idempotency
        ? `i\u0000${job.message.conversation}\u0000${job.idempotency}`
        : `d\u0000${job.message.id}`;
    const ids = [...new Set(jobs.map((j) => j.message.id))];
    const idems = jobs
      .filter((j) => j.idempotency)
      .map((j) => ({ conversation: j.message.conversation, idem: j.idempotency }));
    const existing = new Map<string, StoredMessage>();
    const found = await guarded(() =>
      messages
        .find(idems.length > 0 ? { $or: [{ id: { $in: ids } }, ...idems] } : { id: { $in: ids } })
        .toArray(),
    );
    for (const doc of found) {
      existing.set(`d\u0000${doc.id}`, toMessage(doc));
      if (doc.idem) existing.set(`i\u0000${doc.conversation}\u0000${doc.idem}`, toMessage(doc));
    }
    // The first job per send is written; repeats in the same batch answer with its result.
    const fresh = new Map<string, Job>();
    const repeats: Job[] = [];
    for (const job of jobs) {
      const stored = existing.get(keyOf(job)) ?? existing.get(`d\u0000${job.message.id}`);
      if (stored) job.resolve({ message: stored, created: false });
      else if (fresh.has(keyOf(job))) repeats.push(job);
      else fresh.set(keyOf(job), job);
    }
    const byConversation = new Map<string, Job[]>();
    for (const job of fresh.values()) {
      const list = byConversation.get(job.message.conversation);
      if (list) list.push(job);
      else byConversation.set(job.message.conversation, [job]);
    }
    await Promise.all(
      [...byConversation].map(async ([conversation, list]) => {
        const counter = await guarded(() =>
          counters.findOneAndUpdate(
            { _id: conversation },
            { $inc: { seq: list.length } },
            { upsert: true, returnDocument: 'after' },
          ),
        );
        const last = counter?.seq ?? list.length;
        list.forEach((job, i) => (job.message = numbered(job.message, last - list.length + 1 + i)));
      }),
    );
    const docs = [...fresh.values()];
    const failed = new Map<number, unknown>();
    if (docs.length > 0) {
      try {
        await guarded(() =>
          messages.insertMany(
            docs.map((j) => ({ ...j.message })),
            { ordered: false },
          ),
        );
      } catch (err) {
        if (!(err instanceof MongoBulkWriteError)) throw err;
        const writeErrors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
        for (const e of writeErrors) failed.set(e.index, e.code === 11000 ? 'duplicate' : e);
      }
    }
    for (const [index, job] of docs.entries()) {
      const failure = failed.get(index);
      if (failure === undefined) {
        job.resolve({ message: job.message, created: true });
      } else if (failure === 'duplicate') {
        // Another node stored this send meanwhile (a retry racing its original), or the seq was taken.
        const doc = await guarded(() =>
          messages.findOne(
            job.idempotency
              ? { conversation: job.message.conversation, idem: job.idempotency }
              : { id: job.message.id },
          ),
        );
        if (doc) job.resolve({ message: toMessage(doc), created: false });
        else job.reject(seqTaken(job.message));
      } else {
        job.reject(failure);
      }
    }
    for (const job of repeats) {
      const first = fresh.get(keyOf(job));
      if (!first) continue;
      const index = docs.indexOf(first);
      if (failed.has(index)) job.reject(new Error(`message ${job.message.id} could not be stored`));
      else job.resolve({ message: first.message, created: false });
    }
    this.counts.commits++;
    this.counts.rows += jobs.length;
  }
}
