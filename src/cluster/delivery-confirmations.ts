import type { FrameBody } from './peer-outbox';

interface Pending {
  peer: string;
  deadline: number;
  resolve: (pushed: boolean) => void;
}

/**
 * The sending end of Deliver.confirm_id: a direct message handed to another
 * node counts as delivered only when that node answers that it pushed it to
 * the recipient's connection. Writing into a link proves nothing: the link
 * may be cut without either end knowing yet, or the receiver may refuse the
 * frame (it no longer knows the sender's session there, e.g. after the
 * sender's node lost its ZooKeeper session). No answer within `timeoutMs`
 * counts as not delivered; the message is stored either way, and the
 * recipient gets it by sync.
 *
 * One sweep timer for all pending confirmations, not one timer each: ids are
 * issued in order with the same timeout, so the oldest expire first.
 */
export class DeliveryConfirmations {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly now: () => number,
  ) {}

  /** A confirmation id for a Deliver to `peer`, and whether `peer` confirmed it in time. */
  begin(peer: string): { id: number; pushed: Promise<boolean> } {
    const id = this.nextId++;
    const pushed = new Promise<boolean>((resolve) => {
      this.pending.set(id, { peer, deadline: this.now() + this.timeoutMs, resolve });
    });
    this.sweeper ??= setInterval(() => this.sweep(), Math.max(10, this.timeoutMs / 4)).unref();
    return { id, pushed };
  }

  /** `peer`'s answer; an id it was not asked for is ignored. */
  settle(peer: string, id: number, pushed: boolean): void {
    const entry = this.pending.get(id);
    if (!entry || entry.peer !== peer) return;
    this.pending.delete(id);
    entry.resolve(pushed);
  }

  /** The Deliver never left (the link refused it). */
  abandon(id: number): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    entry.resolve(false);
  }

  get size(): number {
    return this.pending.size;
  }

  /** Everything still waiting counts as not delivered (the node stops). */
  stop(): void {
    for (const id of [...this.pending.keys()]) this.abandon(id);
    this.idle();
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, entry] of this.pending) {
      if (entry.deadline > now) break;
      this.pending.delete(id);
      entry.resolve(false);
    }
    if (this.pending.size === 0) this.idle();
  }

  private idle(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }
}

/**
 * The receiving end: the answers to every Deliver.confirm_id a peer sent in
 * one turn go back as one DeliverConfirm frame per peer.
 */
export class ConfirmReplies {
  private readonly byPeer = new Map<string, { pushed: number[]; notPushed: number[] }>();
  private scheduled = false;

  constructor(private readonly send: (peer: string, body: FrameBody) => void) {}

  add(peer: string, id: number, pushed: boolean): void {
    let batch = this.byPeer.get(peer);
    if (!batch) this.byPeer.set(peer, (batch = { pushed: [], notPushed: [] }));
    (pushed ? batch.pushed : batch.notPushed).push(id);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    for (const [peer, batch] of this.byPeer) this.send(peer, { $case: 'deliverConfirm', value: batch });
    this.byPeer.clear();
  }
}
