import { Unavailable } from '../core/errors';

/** The leader a request went to: its node id and the epoch it led at. */
export interface RpcTarget {
  nodeId: string;
  epoch: number;
}

export interface RpcTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

interface Pending<T> {
  target: RpcTarget;
  resolve: (value: T) => void;
  reject: (err: Error) => void;
  timer: unknown;
}

/**
 * Requests to the node that runs a room (the leader, or the room's owner)
 * and their replies, whatever carries them: request ids, the pending map, a
 * timeout that says what was waited for, and the epoch each request was
 * routed by. A reply counts only from the node the request went to; a leader
 * change, a broken link or a departed node fails what is pending there, and
 * the client retries with its idempotency key.
 */
export class LeaderRpc<T> {
  private readonly pending = new Map<number, Pending<T>>();
  private nextId = 1;

  constructor(private readonly options: { nodeId: string; timeoutMs: number; timers: RpcTimers }) {}

  get inFlight(): number {
    return this.pending.size;
  }

  /** Opens a request; `what` names it in the timeout message. */
  begin(target: RpcTarget, what: string): { id: number; result: Promise<T> } {
    const id = this.nextId++;
    const { timeoutMs, timers, nodeId } = this.options;
    const result = new Promise<T>((resolve, reject) => {
      const timer = timers.setTimeout(() => {
        this.pending.delete(id);
        reject(
          new Unavailable(
            `Node ${nodeId} waited ${timeoutMs} ms for ${target.nodeId} to answer ${what}.`,
            'LEADER_TIMEOUT',
          ),
        );
      }, timeoutMs);
      this.pending.set(id, { target, resolve, reject, timer });
    });
    return { id, result };
  }

  /** The request could not be sent: it fails at once with `err`. */
  abandon(id: number, err: Error): void {
    const pending = this.take(id);
    pending?.reject(err);
  }

  /**
   * A reply arrived from `from`; `read` turns it into the result (or throws
   * the leader's error). A reply from another node than the request's is ignored.
   */
  settle(from: string, id: number, read: () => T): void {
    const pending = this.pending.get(id);
    if (!pending || pending.target.nodeId !== from) return;
    this.take(id);
    try {
      pending.resolve(read());
    } catch (err) {
      pending.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Fails every pending request (the leader changed, or this node stops). */
  failAll(why: string): void {
    for (const id of [...this.pending.keys()]) this.fail(id, why);
  }

  /** Fails the requests that went to `nodeId` (its link broke, it left, it was the leader). */
  failTo(nodeId: string, why: string, reason = 'LEADER_CHANGED'): void {
    for (const [id, pending] of [...this.pending])
      if (pending.target.nodeId === nodeId) this.fail(id, why, reason);
  }

  private fail(id: number, why: string, reason = 'LEADER_CHANGED'): void {
    this.take(id)?.reject(
      new Unavailable(`The request to another node was interrupted: ${why}. Try again.`, reason),
    );
  }

  private take(id: number): Pending<T> | undefined {
    const pending = this.pending.get(id);
    if (!pending) return undefined;
    this.pending.delete(id);
    this.options.timers.clearTimeout(pending.timer);
    return pending;
  }
}
