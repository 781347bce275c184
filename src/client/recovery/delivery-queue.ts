import type { ChatMessage, SendAck, SyncHint, SyncPosition } from '../../../gen/chat/v1/client';
import { conversation } from '../../core/names';
import type { ChatClient } from '../chat-client';
import { ChatClientError } from '../client-error';
import { CatchUp } from './catch-up';
import type { CatchUpPosition, CatchUpResult } from './catch-up';
import type { CatchUpCause, RecoveryListener, ShownOrigin } from './recovery-events';
import type { Gap, SeenLog } from './seen-log';
import { retryPassingFailures } from './send-policy';
import type { SendRetryOptions } from './send-policy';

export interface DeliveryQueueOptions {
  seen: SeenLog;
  /** The connection to sync on right now (undefined while reconnecting). */
  client: () => ChatClient | undefined;
  /** True once the session is over (replaced, kicked, gave up): no connection will come back to sync on. */
  sessionOver: () => boolean;
  show: (m: ChatMessage, origin: ShownOrigin) => void;
  listener: RecoveryListener;
  /** How long a hole may wait for the message on its way before we sync it. */
  gapGraceMs: number;
  /** How far back a conversation new to us looks for messages that missed us. */
  lookback: number;
  /** Server time from which a conversation's history is ours to show (our login, a room join). */
  sinceTs: (conversation: string) => number;
  /**
   * How long a failed sync is tried again (the node's store or leader is away,
   * the connection is reconnecting) before what waits behind it is shown anyway.
   */
  syncRetry: SendRetryOptions;
}

/**
 * Everything a client shows passes through one queue, in order: pushes,
 * catch-ups after a reconnect or a login, syncs of a hole (a pushed seq past
 * the last one seen) and of what a SyncHint names. So a hole is filled before
 * the message after it is shown, and a sender's messages show in their order.
 * A push that is the next seq of its conversation skips the queue: nothing
 * can come before it, so a failing sync elsewhere does not hold it up.
 */
export class DeliveryQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly catchUp: CatchUp;
  private closed = false;
  /** Pushes that arrived while a login's catch-up was not queued yet: they go after it. */
  private held: ChatMessage[] | undefined;

  constructor(private readonly o: DeliveryQueueOptions) {
    this.catchUp = new CatchUp(o.seen, (m) => o.show(m, 'missed'));
  }

  /**
   * From a login (or reconnect) until its catch-up is queued, pushes wait:
   * the catch-up from LoginOk.missed and the positions seen goes first, so
   * what was missed shows before what came after it.
   */
  hold(): void {
    this.held ??= [];
  }

  /** Queues the held pushes, after whatever was queued meanwhile (the catch-up). */
  release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const m of held) this.enqueuePush(m);
  }

  /** A pushed message: a hole before it is synced first. */
  push(m: ChatMessage): void {
    this.o.listener.received?.(m);
    if (this.held) this.held.push(m);
    else this.enqueuePush(m);
  }

  private enqueuePush(m: ChatMessage): void {
    // The next seq of its conversation (or one seen already) needs nothing before it: shown now,
    // even while a catch-up or another conversation's hole waits in the queue. Whatever the queue
    // still brings of this conversation has higher seqs, so the order holds.
    if (!this.o.seen.gapBefore(m)) {
      if (this.o.seen.accept(m)) this.o.show(m, 'live');
      return;
    }
    void this.run(async () => {
      const gap = this.o.seen.gapBefore(m);
      // The message before it may still be on its way (e.g. the acknowledgement of our own send).
      if (gap && !(await this.o.seen.waitFilled(m.conversation, m.seq, this.o.gapGraceMs))) {
        const position = this.positionOf(gap, m.seq);
        const filled = () => this.o.seen.markOf(m.conversation) >= m.seq - 1;
        await this.sync([position], 'gap', filled).catch(() => undefined);
      }
      if (this.o.seen.accept(m)) this.o.show(m, 'live');
    });
  }

  /** The acknowledgement of our own message: if it skips seqs, sync them unless they arrive meanwhile. */
  acknowledged(ack: SendAck, gap: Gap | undefined): void {
    if (!gap || this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.run(async () => {
        const filled = () => this.o.seen.markOf(ack.conversation) >= ack.seq - 1;
        if (filled()) return;
        await this.sync([this.positionOf(gap, ack.seq)], 'gap', filled).catch(() => undefined);
      });
    }, this.o.gapGraceMs);
    this.timers.add(timer);
  }

  /** The node says messages may have missed us: sync what it names, and with `all` everything seen. */
  hint(h: SyncHint): void {
    this.o.listener.syncHint?.(h);
    const positions = h.positions.map((p) => this.from(p));
    if (h.all) positions.push(...this.o.seen.positions());
    if (positions.length === 0) return;
    void this.run(() => this.sync(positions, 'hint')).catch(() => undefined);
  }

  /** Every conversation seen, from where we stopped, plus `reported` (LoginOk.missed); in the queue. */
  catchUpAll(reported: readonly SyncPosition[], cause: CatchUpCause): Promise<CatchUpResult> {
    return this.run(() =>
      this.sync([...this.o.seen.positions(), ...reported.map((p) => this.from(p))], cause),
    );
  }

  /** Resolves once nothing waits in the queue (and no hole check is scheduled). */
  async idle(): Promise<void> {
    // Bounded: each pass waits for the tail; new work only comes from pushes and acks.
    for (let pass = 0; pass < 1000 && (this.waiting > 0 || this.timers.size > 0); pass++) {
      await this.tail.catch(() => undefined);
      if (this.waiting === 0 && this.timers.size > 0)
        await new Promise((r) => setTimeout(r, this.o.gapGraceMs));
    }
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private run<T>(task: () => Promise<T>): Promise<T> {
    this.waiting++;
    const result = this.tail.then(task, task);
    this.tail = result.then(
      () => this.waiting--,
      () => this.waiting--,
    );
    return result;
  }

  /**
   * Syncs `positions`, trying again while the failure is one that passes (a
   * 500 or 503 while the store or the leader is away, a timeout, a dropped
   * connection) until `syncRetry.deadlineMs`: what waits behind a hole in the
   * queue is shown after it, never before it, unless the hole outlasts that.
   */
  private async sync(
    positions: CatchUpPosition[],
    cause: CatchUpCause,
    done: () => boolean = () => false,
  ): Promise<CatchUpResult> {
    const nothing: CatchUpResult = { missed: 0, incomplete: [], refused: [] };
    return retryPassingFailures(
      this.o.syncRetry,
      async (attempt) => {
        if (attempt > 0) {
          if (this.closed) throw new ChatClientError(0, 'CLOSED', 'The client closed during the catch-up.');
          if (done()) return nothing;
        }
        const client = this.o.client();
        if (!client?.isOpen)
          throw new ChatClientError(0, 'CLOSED', 'Not connected: the catch-up waits for the reconnect.');
        const result = await this.catchUp.syncFrom(client, positions);
        for (const conversation of result.refused) this.o.seen.forget(conversation);
        this.o.listener.caughtUp?.({ ...result, cause });
        return result;
      },
      {
        stopped: () => this.closed || this.o.sessionOver(),
        failed: ({ error, retryInMs }) => {
          if (retryInMs === undefined) this.o.listener.caughtUp?.({ ...nothing, cause, error });
        },
      },
    );
  }

  /** A position from the server (missed, a hint): from there, or from our mark if that is lower. */
  private from(p: SyncPosition): CatchUpPosition {
    const seen = this.o.seen;
    if (!seen.known(p.conversation)) return { ...p, sinceTs: 0 };
    return { conversation: p.conversation, afterSeq: Math.min(p.afterSeq, seen.markOf(p.conversation)) };
  }

  /**
   * Where to sync a hole from. A conversation new to us: the last `lookback`
   * seqs, the older ones are history. In a room, what was said before we
   * logged in (or joined) is history too; a direct conversation's messages
   * all show, since one that raced our login is in no LoginOk.missed.
   */
  private positionOf(gap: Gap, seq: number): CatchUpPosition {
    if (!gap.fresh) return { conversation: gap.conversation, afterSeq: gap.afterSeq };
    const afterSeq = Math.max(0, seq - 1 - this.o.lookback);
    this.o.seen.settle(gap.conversation, afterSeq);
    const direct = conversation.isDirect(gap.conversation);
    return {
      conversation: gap.conversation,
      afterSeq,
      sinceTs: direct ? 0 : this.o.sinceTs(gap.conversation),
    };
  }
}
