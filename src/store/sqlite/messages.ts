import type BetterSqlite3 from 'better-sqlite3';
import { guarded, isUniqueViolation } from './errors';
import type { SqliteWriter } from './writer';
import { numbered, seqTaken } from '../messages';
import type { AppendResult, MessageKind, MessageStore, NewMessage, Page, StoredMessage } from '../types';
import type { StoreLimits } from '../validation';
import { decodeCursor, toPage } from '../paging';
import { checkKey, checkLimit, checkMessage, checkSeqFloor } from '../validation';

interface Row {
  id: string;
  conversation: string;
  seq: number;
  kind: string;
  sender: string;
  recipient: string;
  text: string;
  ts: number;
}

const COLUMNS = 'id, conversation, seq, kind, sender, recipient, text, ts';

export class SqliteMessageStore implements MessageStore {
  private readonly existsStmt: BetterSqlite3.Statement<[string], { one: number }>;
  private readonly insertNumberedStmt: BetterSqlite3.Statement<[Row & { idem: string }]>;
  private readonly nextSeqStmt: BetterSqlite3.Statement<[string], number>;
  private readonly byIdemStmt: BetterSqlite3.Statement<[string, string], Row>;
  private readonly byIdStmt: BetterSqlite3.Statement<[string], Row>;
  private readonly missedStmt: BetterSqlite3.Statement<
    [string, number, number],
    { conversation: string; first: number }
  >;
  private readonly newestStmt: BetterSqlite3.Statement<[string, number], Row>;
  private readonly olderStmt: BetterSqlite3.Statement<[string, number, number], Row>;
  private readonly afterStmt: BetterSqlite3.Statement<[string, number, number], Row>;
  private readonly latestStmt: BetterSqlite3.Statement<[string], { seq: number | null }>;

  constructor(
    db: BetterSqlite3.Database,
    private readonly writer: SqliteWriter,
    private readonly limits: StoreLimits,
  ) {
    this.existsStmt = db.prepare('SELECT 1 AS one FROM messages WHERE id = ?');
    // Read and insert run inside the writer's IMMEDIATE transaction, which holds the
    // file's write lock before the read: no other writer (other processes included)
    // can take the same number in between. Two plain statements cost about a tenth less
    // per row than one INSERT … SELECT … RETURNING, whose result goes through a
    // temporary table.
    this.nextSeqStmt = db
      .prepare<[string], number>('SELECT COALESCE(MAX(seq), 0) + 1 FROM messages WHERE conversation = ?')
      .pluck();
    this.insertNumberedStmt = db.prepare(
      `INSERT INTO messages (${COLUMNS}, idem)
       VALUES (@id, @conversation, @seq, @kind, @sender, @recipient, @text, @ts, @idem)`,
    );
    this.byIdStmt = db.prepare(`SELECT ${COLUMNS} FROM messages WHERE id = ?`);
    this.byIdemStmt = db.prepare(
      `SELECT ${COLUMNS} FROM messages WHERE conversation = ? AND idem = ? AND idem != ''`,
    );
    this.missedStmt = db.prepare(
      `SELECT conversation, MIN(seq) AS first FROM messages
       WHERE kind = 'direct' AND recipient = ? AND ts > ?
       GROUP BY conversation ORDER BY MIN(ts) LIMIT ?`,
    );
    // All three walk the (conversation, seq) unique index.
    this.newestStmt = db.prepare(
      `SELECT ${COLUMNS} FROM messages WHERE conversation = ? ORDER BY seq DESC LIMIT ?`,
    );
    this.olderStmt = db.prepare(
      `SELECT ${COLUMNS} FROM messages WHERE conversation = ? AND seq < ? ORDER BY seq DESC LIMIT ?`,
    );
    this.afterStmt = db.prepare(
      `SELECT ${COLUMNS} FROM messages WHERE conversation = ? AND seq > ? ORDER BY seq ASC LIMIT ?`,
    );
    this.latestStmt = db.prepare('SELECT MAX(seq) AS seq FROM messages WHERE conversation = ?');
  }

  async append(message: StoredMessage): Promise<void> {
    const m = checkMessage(message, this.limits);
    // A numbered message from elsewhere carries no idempotency ('' = none).
    const row = {
      id: m.id,
      conversation: m.conversation,
      seq: m.seq,
      kind: m.kind,
      sender: m.from,
      recipient: m.to,
      text: m.text,
      ts: m.ts,
      idem: '',
    };
    await this.writer.submit(() => {
      try {
        this.insertNumberedStmt.run(row);
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        // A retried append of the same id is a no-op whichever unique index
        // noticed first; a different id on a taken seq is a real conflict.
        if (this.existsStmt.get(m.id) !== undefined) return;
        throw seqTaken(m);
      }
    });
  }

  /**
   * Appends of every connection of this process commit together (SqliteWriter):
   * the file lock, contended by every node process of the machine, is taken
   * once per batch, and waiting for it never blocks the event loop. Calls are
   * numbered in the order they are made.
   */
  appendNext(message: NewMessage): Promise<AppendResult> {
    let m: StoredMessage;
    try {
      m = checkMessage(numbered(message, 1), this.limits);
    } catch (err) {
      return Promise.reject(err);
    }
    const idem = message.idempotency ?? '';
    return this.writer.submit(() => this.appendOne(m, idem));
  }

  /** Runs inside the writer's transaction (SqliteWriter.submit), never on its own. */
  private appendOne(m: StoredMessage, idem: string): AppendResult {
    const seq = this.nextSeqStmt.get(m.conversation) as number;
    try {
      this.insertNumberedStmt.run({
        id: m.id,
        conversation: m.conversation,
        seq,
        kind: m.kind,
        sender: m.from,
        recipient: m.to,
        text: m.text,
        ts: m.ts,
        idem,
      });
      return { message: numbered(m, seq), created: true };
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
    // A retry (same idempotency in the conversation, or the same id): the first write answers.
    const existing =
      (idem ? this.byIdemStmt.get(m.conversation, idem) : undefined) ?? this.byIdStmt.get(m.id);
    if (!existing) throw new Error(`message ${m.id} was neither inserted nor found`);
    return { message: toMessage(existing), created: false };
  }

  async page(conversation: string, opts: { limit: number; cursor?: string }): Promise<Page> {
    checkKey('conversation', conversation);
    const limit = checkLimit(opts.limit);
    const before = decodeCursor(opts.cursor);
    const rows = guarded(() =>
      before === null
        ? this.newestStmt.all(conversation, limit + 1)
        : this.olderStmt.all(conversation, before, limit + 1),
    );
    return toPage(rows.map(toMessage), limit);
  }

  async after(conversation: string, afterSeq: number, limit: number): Promise<StoredMessage[]> {
    checkKey('conversation', conversation);
    checkSeqFloor(afterSeq);
    checkLimit(limit);
    return guarded(() => this.afterStmt.all(conversation, afterSeq, limit)).map(toMessage);
  }

  async missedDirect(
    username: string,
    sinceTs: number,
    limit: number,
  ): Promise<Array<{ conversation: string; afterSeq: number }>> {
    checkKey('username', username);
    const rows = guarded(() => this.missedStmt.all(username, sinceTs, checkLimit(limit)));
    return rows.map((r) => ({ conversation: r.conversation, afterSeq: r.first - 1 }));
  }

  async latestSeq(conversation: string): Promise<number> {
    checkKey('conversation', conversation);
    return guarded(() => this.latestStmt.get(conversation))?.seq ?? 0;
  }
}

function toMessage(row: Row): StoredMessage {
  return {
    id: row.id,
    conversation: row.conversation,
    seq: row.seq,
    // The CHECK constraint keeps this column to the four kinds.
    kind: row.kind as MessageKind,
    from: row.sender,
    to: row.recipient,
    text: row.text,
    ts: row.ts,
  };
}
