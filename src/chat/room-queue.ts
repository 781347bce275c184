import { Unavailable } from '../core/errors';
import { KeyedQueue } from '../core/keyed-queue';

/**
 * Operations take turns per room, bounded: a room with too many operations
 * waiting refuses more (503 ROOM_BUSY), and one that waited past its
 * caller's patience is not run at all (the node that asked has given up on
 * it by then; its client retries with the same idempotency key).
 */
export class RoomQueue {
  private readonly queue = new KeyedQueue();
  private readonly queued = new Map<string, number>();

  constructor(private readonly limits: { maxQueued: number; maxWaitMs: number; now: () => number }) {}

  async run<T>(room: string, task: () => Promise<T>): Promise<T> {
    const waiting = this.queued.get(room) ?? 0;
    if (waiting >= this.limits.maxQueued)
      throw new Unavailable(`Room ${room} is too busy right now; try again in a moment.`, 'ROOM_BUSY');
    this.queued.set(room, waiting + 1);
    const { now, maxWaitMs } = this.limits;
    const since = now();
    try {
      return await this.queue.run(room, () => {
        if (now() - since > maxWaitMs)
          throw new Unavailable(`Room ${room} was too busy to take this in time; try again.`, 'ROOM_BUSY');
        return task();
      });
    } finally {
      const left = (this.queued.get(room) ?? 1) - 1;
      if (left > 0) this.queued.set(room, left);
      else this.queued.delete(room);
    }
  }
}
