import { EventEmitter } from 'node:events';
import type { ChannelOptions, ClientDuplexStream, StatusObject } from '@grpc/grpc-js';
import type { LinkRequest, LinkResponse, LinkServiceClient, PeerFrame } from '../../../gen/chat/v1/cluster';
import type { Logger } from '../../core/logger';
import type { PeerAddress } from '../transport';
import { channelCredentials } from '../tls/credentials';
import type { TlsMaterial } from '../tls/credentials';
import { backoffDelay, DEFAULT_BACKOFF } from '../../core/backoff';
import type { BackoffOptions } from '../../core/backoff';
import type { LinkStats } from './counters';
import { DEFAULT_BATCH, FrameBatcher } from './frame-batcher';
import type { BatchOptions } from './frame-batcher';
import { LinkClient } from './link-service';
import { clientChannelOptions } from './options';

export interface PeerDialEvents {
  /** The peer accepted our Hello: frames sent from now on reach it in order. */
  up: [];
  /** The stream broke or was closed; re-dialling follows unless closed. */
  down: [reason: string];
}

export interface PeerDialOptions {
  /** This node's id; must equal the CN of `tls.cert`. */
  nodeId: string;
  peer: PeerAddress;
  tls: TlsMaterial;
  logger: Logger;
  /** Shared traffic counters of this node's links. */
  stats: LinkStats;
  backoff?: BackoffOptions;
  batch?: Partial<BatchOptions>;
  /** Extra channel options, e.g. `grpc.ssl_target_name_override`. */
  channelOptions?: ChannelOptions;
}

interface Stream {
  call: ClientDuplexStream<LinkRequest, LinkResponse>;
  batcher: FrameBatcher;
  up: boolean;
}

/**
 * This node's link to one peer: a LinkService.Link stream, Hello first,
 * acknowledged by the peer's response headers, re-dialled with jittered
 * exponential backoff whenever it breaks. Frames written within one
 * event-loop turn travel as one gRPC message. The peer's own frames for this
 * node come over the link it dials here, not over this one.
 */
export class PeerDial extends EventEmitter<PeerDialEvents> {
  private readonly logger: Logger;
  private readonly backoff: BackoffOptions;
  private readonly batch: BatchOptions;
  private client: LinkServiceClient | null = null;
  private stream: Stream | null = null;
  private redialTimer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private closed = false;
  /** When a batch last went out on this link (ms since the epoch); 0 = never. */
  private lastWriteAt = 0;
  private closing: Promise<void> | null = null;

  constructor(private readonly options: PeerDialOptions) {
    super();
    this.logger = options.logger.child({ component: 'peer-dial', peer: options.peer.nodeId });
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.batch = { ...DEFAULT_BATCH, ...options.batch };
  }

  get peer(): PeerAddress {
    return this.options.peer;
  }

  /** True between the peer's acknowledgement and the stream breaking. */
  get isUp(): boolean {
    return this.stream?.up === true;
  }

  /** Frames waiting in this link's batch. */
  get queued(): number {
    return this.stream?.batcher.queued ?? 0;
  }

  /** For diagnostics: up, waiting for the peer's acknowledgement, or down until the next dial. */
  get state(): 'up' | 'dialling' | 'down' {
    if (!this.stream) return 'down';
    return this.stream.up ? 'up' : 'dialling';
  }

  /** When this link last wrote a batch (ms since the epoch); 0 = never. */
  get lastSentAt(): number {
    return this.lastWriteAt;
  }

  start(): void {
    if (this.closed) throw new Error('PeerDial is closed.');
    if (!this.stream && !this.redialTimer) this.open();
  }

  /** Queues a frame; false if the stream is not up or its queue is full. */
  send(frame: PeerFrame): boolean {
    const stream = this.stream;
    if (!stream?.up) return false;
    return stream.batcher.enqueue(frame);
  }

  /**
   * Stops re-dialling, flushes what is queued and half-closes the stream,
   * waiting up to `graceMs` for the peer to finish it. Idempotent.
   */
  close(graceMs = 1_000): Promise<void> {
    this.closing ??= this.shutdown(graceMs);
    return this.closing;
  }

  private async shutdown(graceMs: number): Promise<void> {
    this.closed = true;
    const stream = this.stream;
    if (stream?.up) {
      stream.batcher.flush();
      const ended = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        stream.call.once('status', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      stream.call.end();
      await ended;
    }
    this.teardown('closed');
    this.client?.close();
    this.client = null;
  }

  private open(): void {
    if (this.closed) return;
    const { peer, tls, nodeId, stats } = this.options;
    this.client ??= new LinkClient(
      peer.rpcAddress,
      channelCredentials(tls),
      clientChannelOptions(this.options.channelOptions),
    );
    const call = this.client.link();
    const write = (frames: PeerFrame[]): boolean => {
      this.lastWriteAt = Date.now();
      return call.write({ frames });
    };
    const batcher = new FrameBatcher(write, stats, this.batch, this.logger);
    const stream: Stream = { call, batcher, up: false };
    this.stream = stream;
    batcher.enqueue({ epoch: 0, body: { $case: 'hello', value: { nodeId } } });

    call.on('metadata', () => {
      if (this.stream !== stream) return;
      stream.up = true;
      this.attempt = 0;
      this.logger.info({ event: 'link_up', address: peer.rpcAddress }, 'linked to peer');
      this.emit('up');
    });
    // Nothing is expected back on this stream; reading keeps HTTP/2 flow control moving.
    call.on('data', () => undefined);
    call.on('drain', () => batcher.resume());
    // grpc-js reports every end of a call as 'status'; 'error' repeats non-OK ones.
    call.on('error', () => undefined);
    call.on('status', (s: StatusObject) => {
      if (this.stream !== stream) return;
      this.broken(`${s.code} ${s.details}`);
    });
  }

  private broken(reason: string): void {
    this.teardown(reason);
    if (this.closed) return;
    const delay = backoffDelay(this.attempt++, this.backoff);
    this.logger.debug({ reason, delay, attempt: this.attempt }, 're-dialling peer');
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
    const stream = this.stream;
    if (!stream) return;
    this.stream = null;
    const lost = stream.batcher.close();
    stream.call.cancel();
    if (lost > 0) this.logger.warn({ event: 'link_frames_lost', lost, reason }, 'frames lost with the link');
    if (stream.up) {
      this.logger.info({ event: 'link_down', reason }, 'link to peer down');
      // Emitted once this transition is complete, so a listener may close the dial.
      queueMicrotask(() => this.emit('down', reason));
    } else {
      this.logger.debug({ reason }, 'link ended before the peer acknowledged it');
    }
  }
}
