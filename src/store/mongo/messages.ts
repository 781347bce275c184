import type { Collection, Filter } from 'mongodb';
import { guarded, isDuplicateKey } from './errors';
import { numbered, seqTaken } from '../messages';
import type { AppendResult, MessageStore, NewMessage, Page, StoreWriteStats, StoredMessage } from '../types';
import { MongoAppendBatcher } from './append-batcher';
import type { CounterDoc, MessageDoc } from './append-batcher';
import type { StoreLimits } from '../validation';
import { decodeCursor, toPage } from '../paging';
import { checkKey, checkLimit, checkMessage, checkSeqFloor } from '../validation';

export type { MessageDoc };

const PROJECTION = {
  _id: 0,
  id: 1,
  conversation: 1,
  seq: 1,
  kind: 1,
  from: 1,
  to: 1,
  text: 1,
  ts: 1,
} as const;

export type { CounterDoc };

export class MongoMessageStore implements MessageStore {
  private readonly batcher: MongoAppendBatcher;

  constructor(
    private readonly messages: Collection<MessageDoc>,
    counters: Collection<CounterDoc>,
    private readonly limits: StoreLimits,
  ) {
    this.batcher = new MongoAppendBatcher({ messages, counters, toMessage });
  }

  /** Batched with every other append of the turn: see MongoAppendBatcher. */
  appendNext(message: NewMessage): Promise<AppendResult> {
    try {
      return this.batcher.submit(checkMessage(numbered(message, 1), this.limits), message.idempotency ?? '');
    } catch (err) {
      return Promise.reject(err);
    }
  }

  stats(): StoreWriteStats {
    return this.batcher.stats();
  }

  async append(message: StoredMessage): Promise<void> {
    const m = checkMessage(message, this.limits);
    const doc: MessageDoc = {
      id: m.id,
      conversation: m.conversation,
      seq: m.seq,
      kind: m.kind,
      from: m.from,
      to: m.to,
      text: m.text,
      ts: m.ts,
    };
    try {
      await guarded(() => this.messages.insertOne(doc));
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      // A retried append of the same id is a no-op whichever unique index
      // noticed first; a different id on a taken seq is a real conflict.
      const existing = await guarded(() => this.messages.findOne({ id: m.id }, { projection: { _id: 1 } }));
      if (existing !== null) return;
      throw seqTaken(m);
    }
  }

  async page(conversation: string, opts: { limit: number; cursor?: string }): Promise<Page> {
    checkKey('conversation', conversation);
    const limit = checkLimit(opts.limit);
    const before = decodeCursor(opts.cursor);
    const filter: Filter<MessageDoc> =
      before === null ? { conversation } : { conversation, seq: { $lt: before } };
    const docs = await guarded(() =>
      this.messages
        .find(filter, { projection: PROJECTION })
        .sort({ seq: -1 })
        .limit(limit + 1)
        .toArray(),
    );
    return toPage(docs.map(toMessage), limit);
  }

  async after(conversation: string, afterSeq: number, limit: number): Promise<StoredMessage[]> {
    checkKey('conversation', conversation);
    checkSeqFloor(afterSeq);
    checkLimit(limit);
    const docs = await guarded(() =>
      this.messages
        .find({ conversation, seq: { $gt: afterSeq } }, { projection: PROJECTION })
        .sort({ seq: 1 })
        .limit(limit)
        .toArray(),
    );
    return docs.map(toMessage);
  }

  async missedDirect(
    username: string,
    sinceTs: number,
    limit: number,
  ): Promise<Array<{ conversation: string; afterSeq: number }>> {
    checkKey('username', username);
    const rows = await guarded(() =>
      this.messages
        .aggregate<{ _id: string; first: number; since: number }>([
          { $match: { kind: 'direct', to: username, ts: { $gt: sinceTs } } },
          { $group: { _id: '$conversation', first: { $min: '$seq' }, since: { $min: '$ts' } } },
          { $sort: { since: 1 } },
          { $limit: checkLimit(limit) },
        ])
        .toArray(),
    );
    return rows.map((r) => ({ conversation: r._id, afterSeq: r.first - 1 }));
  }

  async latestSeq(conversation: string): Promise<number> {
    checkKey('conversation', conversation);
    const doc = await guarded(() =>
      this.messages.findOne({ conversation }, { sort: { seq: -1 }, projection: { _id: 0, seq: 1 } }),
    );
    return doc?.seq ?? 0;
  }
}

// Copies field by field so nothing the driver adds (such as _id) leaks out.
function toMessage(doc: MessageDoc): StoredMessage {
  return {
    id: doc.id,
    conversation: doc.conversation,
    seq: doc.seq,
    kind: doc.kind,
    from: doc.from,
    to: doc.to,
    text: doc.text,
    ts: doc.ts,
  };
}
