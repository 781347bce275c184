import type { ClientCommand, ServerEvent } from './client-types';
import { ChatClientError } from './client-error';

interface Pending {
  command: string;
  resolve: (event: ServerEvent) => void;
  reject: (err: ChatClientError) => void;
  timer: NodeJS.Timeout;
}

/** Requests waiting for their reply, by request id; each one ends by reply, timeout or close. */
export class PendingRequests {
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(private readonly url: string) {}

  /** Registers a request and returns its id and the promise of its reply. */
  open(cmd: ClientCommand, timeoutMs: number): { id: number; reply: Promise<ServerEvent> } {
    const id = this.allocateId();
    const reply = new Promise<ServerEvent>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new ChatClientError(
            0,
            'TIMEOUT',
            `No reply to ${cmd.$case} (request ${id}) from ${this.url} within ${timeoutMs} ms.`,
            cmd.$case,
          ),
        );
      }, timeoutMs);
      this.pending.set(id, { command: cmd.$case, resolve, reject, timer });
    });
    return { id, reply };
  }

  /** The reply to request `id` arrived (a late one, after its timeout, is dropped). */
  settle(id: number, event: ServerEvent): void {
    const pending = this.pending.get(id);
    if (pending === undefined) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    if (event.$case === 'error') {
      const e = event.value;
      pending.reject(new ChatClientError(e.code, e.reason, e.message, pending.command, e.retryAfterMs));
    } else {
      pending.resolve(event);
    }
  }

  /** The connection closed: every request still waiting fails with CLOSED. */
  failAll(why: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(
        new ChatClientError(
          0,
          'CLOSED',
          `Connection to ${this.url} closed (${why}) before the reply to ${p.command} (request ${id}).`,
          p.command,
        ),
      );
    }
    this.pending.clear();
  }

  private allocateId(): number {
    // Ids are uint32 and 0 means "no request"; skip ids still in flight after wrapping.
    for (let tries = 0; tries < 1000; tries++) {
      this.nextId = this.nextId >= 0xffffffff ? 1 : this.nextId + 1;
      if (!this.pending.has(this.nextId)) return this.nextId;
    }
    throw new ChatClientError(0, 'TOO_MANY_PENDING', 'Too many requests in flight.');
  }
}
