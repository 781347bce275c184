import type { PeerFrame } from '../../gen/chat/v1/cluster';
import type { Logger } from '../core/logger';
import { DEFAULT_HOLD, HoldQueue } from './hold-queue';
import type { HoldLimits } from './hold-queue';
import type { PeerTransport } from './transport';

export type FrameBody = NonNullable<PeerFrame['body']>;

/** What became of a frame handed to the outbox. */
export type SendOutcome = 'sent' | 'held' | 'refused';

export interface PeerOutboxOptions {
  transport: PeerTransport;
  /** The leader epoch this node knows, stamped on every frame when it leaves. */
  epoch: () => number;
  now: () => number;
  logger: Logger;
  hold?: HoldLimits;
  /**
   * Sent first on every link that comes up, before what was held for the
   * peer (this node's session snapshot: the peer learns who is here before
   * it gets frames on their behalf).
   */
  greeting?: (peer: string) => FrameBody;
}

export interface OutboxStats {
  held: number;
  /** Held frames that grew too old before their peer came back. */
  expired: number;
  /** Frames refused: the hold queue was full, or a peer's link queue was. */
  refused: number;
}

/**
 * Frames for peers leave through here: stamped with this node's epoch, sent
 * on the peer's link when it is up, held (bounded in number and age) while it
 * is down, and sent in order when it comes back. Frames for one peer never
 * overtake each other: while anything is held for it, new frames queue behind.
 */
export class PeerOutbox {
  private readonly held: HoldQueue<FrameBody>;
  private readonly log: Logger;
  private expired = 0;
  private refused = 0;

  constructor(private readonly options: PeerOutboxOptions) {
    this.held = new HoldQueue(options.hold ?? DEFAULT_HOLD, options.now);
    this.log = options.logger.child({ component: 'outbox' });
    options.transport.on('up', (peer) => this.flush(peer));
  }

  /** True when a frame sent now goes out at once (link up, nothing held before it). */
  isOpen(peer: string): boolean {
    return !this.held.has(peer) && this.options.transport.isUp(peer);
  }

  /** Sends now, or holds while the peer's link is down. */
  send(peer: string, body: FrameBody): SendOutcome {
    if (this.isOpen(peer)) {
      if (this.options.transport.send(peer, this.stamp(body))) return 'sent';
      this.refuse(peer, 'link queue full');
      return 'refused';
    }
    if (this.held.hold(peer, body)) return 'held';
    this.refuse(peer, 'hold queue full');
    return 'refused';
  }

  /** Sends only when the link is open now; never holds (for requests that time out on their own). */
  sendNow(peer: string, body: FrameBody): boolean {
    return this.isOpen(peer) && this.options.transport.send(peer, this.stamp(body));
  }

  /** The peer left the cluster: what is held for it goes. */
  forget(peer: string): void {
    const dropped = this.held.drop(peer);
    if (dropped > 0)
      this.log.info(
        { event: 'held_frames_dropped', peer, count: dropped },
        'peer left the cluster; frames held for it dropped (recipients get them by sync)',
      );
  }

  /** Frames held for one peer (diagnostics). */
  heldFor(peer: string): number {
    return this.held.sizeOf(peer);
  }

  stats(): OutboxStats {
    return { held: this.held.size, expired: this.expired, refused: this.refused };
  }

  private flush(peer: string): void {
    const greeting = this.options.greeting?.(peer);
    if (greeting) this.options.transport.send(peer, this.stamp(greeting));
    const { items, expired } = this.held.take(peer);
    if (expired > 0) {
      this.expired += expired;
      this.log.warn(
        { event: 'held_frames_expired', peer, count: expired },
        'frames held too long for a peer; recipients get them by sync',
      );
    }
    for (let i = 0; i < items.length; i++) {
      const body = items[i] as FrameBody;
      if (this.options.transport.send(peer, this.stamp(body))) continue;
      // The link went down again mid-flush: keep the rest, in order, for the next time.
      for (const rest of items.slice(i)) if (!this.held.hold(peer, rest)) this.refused++;
      return;
    }
    if (items.length > 0)
      this.log.info({ event: 'held_frames_sent', peer, count: items.length }, 'held frames sent');
  }

  private stamp(body: FrameBody): PeerFrame {
    return { epoch: this.options.epoch(), body };
  }

  private refuse(peer: string, why: string): void {
    this.refused++;
    this.log.warn({ event: 'frame_refused', peer, why }, 'frame for a peer refused');
  }
}
