import type { PeerFrame } from '../../../gen/chat/v1/cluster';
import type { Logger } from '../../core/logger';
import type { LinkStats } from './counters';

export interface BatchOptions {
  /** Frames waiting for one peer before new ones are refused (and counted). */
  maxQueuedFrames: number;
  /** Frames per gRPC message; larger batches are split. */
  maxFramesPerMessage: number;
}

export const DEFAULT_BATCH: BatchOptions = { maxQueuedFrames: 50_000, maxFramesPerMessage: 1_000 };

/** Writes one gRPC message; false means the transport buffer is full (wait for `resume`). */
export type BatchWrite = (frames: PeerFrame[]) => boolean;

/**
 * Per-stream outgoing queue. Frames enqueued within one event-loop turn are
 * written as one message on the next `setImmediate`: one gRPC write per turn
 * instead of one per frame. When the stream signals backpressure the queue
 * keeps growing up to `maxQueuedFrames`; past that, frames are refused,
 * counted and logged, never dropped silently.
 */
export class FrameBatcher {
  private queue: PeerFrame[] = [];
  private scheduled: NodeJS.Immediate | null = null;
  private blocked = false;
  private overflowing = false;
  private closed = false;

  constructor(
    private readonly write: BatchWrite,
    private readonly stats: LinkStats,
    private readonly options: BatchOptions,
    private readonly logger: Logger,
  ) {}

  get queued(): number {
    return this.queue.length;
  }

  /** False when the frame was refused (closed, or queue at its bound). */
  enqueue(frame: PeerFrame): boolean {
    if (this.closed) return false;
    if (this.queue.length >= this.options.maxQueuedFrames) {
      this.stats.framesDropped++;
      if (!this.overflowing) {
        this.overflowing = true;
        this.logger.warn(
          { queued: this.queue.length, bound: this.options.maxQueuedFrames },
          'peer is not reading; refusing frames until its queue drains',
        );
      }
      return false;
    }
    this.queue.push(frame);
    if (this.scheduled === null && !this.blocked) this.scheduled = setImmediate(() => this.flush());
    return true;
  }

  /** The transport drained its buffer: continue writing. */
  resume(): void {
    if (!this.blocked) return;
    this.blocked = false;
    this.logger.debug({ queued: this.queue.length }, 'peer stream drained');
    this.flush();
  }

  /** Writes everything the transport accepts now (also used before a graceful end). */
  flush(): void {
    if (this.scheduled !== null) {
      clearImmediate(this.scheduled);
      this.scheduled = null;
    }
    while (!this.closed && !this.blocked && this.queue.length > 0) {
      const batch =
        this.queue.length <= this.options.maxFramesPerMessage
          ? this.queue.splice(0)
          : this.queue.splice(0, this.options.maxFramesPerMessage);
      this.stats.messagesSent++;
      this.stats.framesSent += batch.length;
      if (!this.write(batch)) {
        this.blocked = true;
        this.logger.debug({ queued: this.queue.length }, 'peer stream is full; queueing until it drains');
      }
    }
    if (this.overflowing && this.queue.length < this.options.maxQueuedFrames / 2) {
      this.overflowing = false;
      this.logger.info({ dropped: this.stats.framesDropped }, 'peer queue below its bound again');
    }
  }

  /** The stream is gone: returns how many queued frames were lost (also counted). */
  close(): number {
    this.closed = true;
    if (this.scheduled !== null) clearImmediate(this.scheduled);
    this.scheduled = null;
    const lost = this.queue.length;
    this.queue = [];
    this.stats.framesLost += lost;
    return lost;
  }
}
