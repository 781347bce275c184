import { EventEmitter } from 'node:events';
import type { ChannelOptions, ClientDuplexStream, StatusObject } from '@grpc/grpc-js';
import { LinkServiceClient } from '../../../gen/chat/v1/cluster';
import type { LinkRequest, LinkResponse, PeerFrame } from '../../../gen/chat/v1/cluster';
import type { Logger } from '../../core/logger';
import { channelCredentials } from '../tls/credentials';
import type { TlsMaterial } from '../tls/credentials';
import { backoffDelay, DEFAULT_BACKOFF } from './backoff';
import type { BackoffOptions } from './backoff';
import { emptyStats } from './counters';
import type { LinkStats } from './counters';
import { DEFAULT_BATCH, FrameBatcher } from './frame-batcher';
import type { BatchOptions } from './frame-batcher';
import type { OutgoingFrame } from './link-hub';
import { clientChannelOptions } from './options';

/** The leader a follower should talk to, as learned from the election. */
export interface LeaderTarget {
  nodeId: string;
  /** host:port of the leader's internal gRPC port. */
  rpcAddress: string;
  epoch: number;
}

export interface LeaderLinkEvents {
  /** A frame from the leader with an epoch no older than the newest known. */
  frame: [frame: PeerFrame];
  /** The leader accepted our Hello. */
  up: [target: LeaderTarget];
  /** The stream to the leader broke or was replaced; re-dialling follows unless closed. */
  down: [target: LeaderTarget, reason: string];
}

export interface LeaderLinkOptions {
  /** This node's id; must equal the CN of `tls.cert`. */
  nodeId: string;
  tls: TlsMaterial;
  logger: Logger;
  backoff?: BackoffOptions;
  batch?: Partial<BatchOptions>;
  /** Extra channel options, e.g. `grpc.ssl_target_name_override`. */
  channelOptions?: ChannelOptions;
}

interface Dial {
  call: ClientDuplexStream<LinkRequest, LinkResponse>;
  batcher: FrameBatcher;
  up: boolean;
}

/**
 * Follower side of the node links: one stream to the current leader, Hello
 * first, re-dialled with jittered exponential backoff whenever it breaks.
 * Frames from an epoch older than the newest one known are dropped, so a
 * deposed leader that has not noticed yet cannot act on this node.
 */
export class LeaderLink extends EventEmitter<LeaderLinkEvents> {
  private readonly counters: LinkStats = emptyStats();
  private readonly logger: Logger;
  private readonly backoff: BackoffOptions;
  private readonly batch: BatchOptions;
  private current: LeaderTarget | null = null;
  private client: LinkServiceClient | null = null;
  private dial: Dial | null = null;
  private redialTimer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private newestEpoch = 0;
  private closed = false;
  private closing: Promise<void> | null = null;

  constructor(private readonly options: LeaderLinkOptions) {
    super();
    this.logger = options.logger.child({ component: 'leader-link', nodeId: options.nodeId });
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.batch = { ...DEFAULT_BATCH, ...options.batch };
  }

  get target(): LeaderTarget | null {
    return this.current;
  }

  /** True between the leader's acknowledgement and the stream breaking. */
  get isUp(): boolean {
    return this.dial?.up === true;
  }

  /** The newest leader epoch accepted or announced. */
  get highestEpoch(): number {
    return this.newestEpoch;
  }

  stats(): LinkStats {
    return { ...this.counters };
  }

  /** Records a leader epoch learned elsewhere (e.g. from ZooKeeper). */
  observeEpoch(epoch: number): void {
    if (epoch > this.newestEpoch) this.newestEpoch = epoch;
  }

  /** Links to `target`, replacing any previous target; a no-op for the same target. */
  connect(target: LeaderTarget): void {
    if (this.closed) throw new Error('LeaderLink is closed.');
    const previous = this.current;
    if (
      previous &&
      previous.nodeId === target.nodeId &&
      previous.rpcAddress === target.rpcAddress &&
      previous.epoch === target.epoch
    ) {
      return;
    }
    if (target.epoch < this.newestEpoch) {
      this.logger.warn(
        { leader: target.nodeId, epoch: target.epoch, newest: this.newestEpoch },
        'linking to a leader older than one already seen; its frames will be dropped',
      );
    }
    this.observeEpoch(target.epoch);
    this.teardown('leader changed');
    if (this.client && previous?.rpcAddress !== target.rpcAddress) {
      this.client.close();
      this.client = null;
    }
    this.current = { ...target };
    this.attempt = 0;
    this.open();
  }

  /** Stops following any leader (this node leads now) without closing the link for good. */
  disconnect(): void {
    if (!this.current) return;
    this.teardown('this node leads');
    this.current = null;
    this.client?.close();
    this.client = null;
  }

  /** Queues a frame for the leader, stamped with its epoch; false if no stream is open. */
  send(frame: OutgoingFrame): boolean {
    if (!this.dial || !this.current) return false;
    return this.dial.batcher.enqueue({ ...frame, epoch: this.current.epoch });
  }

  /**
   * Stops re-dialling, flushes what is queued and half-closes the stream,
   * waiting up to `graceMs` for the leader to finish it. Idempotent.
   */
  close(graceMs = 1_000): Promise<void> {
    this.closing ??= this.shutdown(graceMs);
    return this.closing;
  }

  private async shutdown(graceMs: number): Promise<void> {
    this.closed = true;
    const dial = this.dial;
    if (dial?.up) {
      dial.batcher.flush();
      const ended = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        dial.call.once('status', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      dial.call.end();
      await ended;
    }
    this.teardown('closed');
    this.client?.close();
    this.client = null;
  }

  private open(): void {
    const target = this.current;
    if (!target || this.closed) return;
    this.client ??= new LinkServiceClient(
      target.rpcAddress,
      channelCredentials(this.options.tls),
      clientChannelOptions(this.options.channelOptions),
    );
    const call = this.client.link();
    const batcher = new FrameBatcher(
      (frames) => call.write({ frames }),
      this.counters,
      this.batch,
      this.logger,
    );
    const dial: Dial = { call, batcher, up: false };
    this.dial = dial;
    batcher.enqueue({
      epoch: target.epoch,
      body: { $case: 'hello', value: { nodeId: this.options.nodeId } },
    });

    call.on('metadata', () => {
      if (this.dial !== dial) return;
      dial.up = true;
      this.attempt = 0;
      this.logger.info(
        { leader: target.nodeId, address: target.rpcAddress, epoch: target.epoch },
        'linked to leader',
      );
      this.emit('up', target);
    });
    call.on('data', (res: LinkResponse) => {
      if (this.dial !== dial) return;
      this.counters.messagesReceived++;
      this.counters.framesReceived += res.frames.length;
      for (const frame of res.frames) this.receive(frame);
    });
    call.on('drain', () => batcher.resume());
    // grpc-js reports every end of a call as 'status'; 'error' repeats non-OK ones.
    call.on('error', () => undefined);
    call.on('status', (s: StatusObject) => {
      if (this.dial !== dial) return;
      this.broken(`${s.code} ${s.details}`);
    });
  }

  private receive(frame: PeerFrame): void {
    if (frame.epoch < this.newestEpoch) {
      this.counters.staleFramesDropped++;
      this.logger.debug(
        { epoch: frame.epoch, newest: this.newestEpoch, frame: frame.body?.$case },
        'dropping frame from an older leader epoch',
      );
      return;
    }
    this.newestEpoch = frame.epoch;
    try {
      this.emit('frame', frame);
    } catch (err) {
      this.logger.error({ err, frame: frame.body?.$case }, 'frame listener failed');
    }
  }

  private broken(reason: string): void {
    this.teardown(reason);
    if (this.closed || !this.current) return;
    const delay = backoffDelay(this.attempt++, this.backoff);
    this.logger.debug({ reason, delay, attempt: this.attempt }, 're-dialling leader');
    this.redialTimer = setTimeout(() => {
      this.redialTimer = null;
      this.open();
    }, delay);
  }

  /** Drops the current stream (if any) and any pending re-dial. */
  private teardown(reason: string): void {
    if (this.redialTimer) {
      clearTimeout(this.redialTimer);
      this.redialTimer = null;
    }
    const dial = this.dial;
    if (!dial) return;
    this.dial = null;
    const lost = dial.batcher.close();
    dial.call.cancel();
    const target = this.current;
    if (lost > 0) this.logger.warn({ lost, reason }, 'frames lost with the leader stream');
    if (dial.up && target) {
      this.logger.info({ leader: target.nodeId, reason }, 'leader link down');
      // Emitted once this transition is complete, so a listener may call connect() or close().
      queueMicrotask(() => this.emit('down', target, reason));
    } else {
      this.logger.debug({ reason }, 'leader stream ended before it was acknowledged');
    }
  }
}
