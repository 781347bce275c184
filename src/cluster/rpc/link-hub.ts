import { EventEmitter } from 'node:events';
import { Metadata, status } from '@grpc/grpc-js';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { LinkRequest, LinkResponse, PeerFrame } from '../../../gen/chat/v1/cluster';
import type { Logger } from '../../core/logger';
import { mayLink, peerIdentity } from '../tls/identity';
import { emptyStats } from './counters';
import type { LinkStats } from './counters';
import { DEFAULT_BATCH, FrameBatcher } from './frame-batcher';
import type { BatchOptions } from './frame-batcher';
import { statusError } from './status';

export type LinkCall = ServerDuplexStream<LinkRequest, LinkResponse>;

/** What the RPC server hands each incoming LinkService.Link stream to. */
export interface LinkAcceptor {
  accept(call: LinkCall): void;
}

/** A frame before the sender stamps its epoch. */
export type OutgoingFrame = Omit<PeerFrame, 'epoch'> & { epoch?: number };

export interface LinkHubEvents {
  /** A frame from a linked follower (Hello frames are consumed by the hub). */
  frame: [nodeId: string, frame: PeerFrame];
  /** A follower linked (also when a newer stream replaced an older one). */
  'peer-up': [nodeId: string];
  /** A follower's stream ended and no newer one replaced it. */
  'peer-down': [nodeId: string];
}

export interface LinkHubOptions {
  /** This node's id, for logs. */
  nodeId: string;
  logger: Logger;
  /** How long a new stream may take to send Hello. */
  helloTimeoutMs?: number;
  batch?: Partial<BatchOptions>;
}

interface Peer {
  nodeId: string;
  call: LinkCall;
  batcher: FrameBatcher;
}

/**
 * Leader side of the node links. Accepts follower streams (identity from the
 * client certificate, confirmed by Hello), keeps one stream per node id and
 * moves frames; what the frames mean is decided by whoever listens.
 * A stream is acknowledged with response headers once its Hello is accepted,
 * which is what the follower's `up` event waits for.
 *
 * Links are accepted only while `epoch` > 0, i.e. while this node leads;
 * whoever decides leadership sets it.
 */
export class LinkHub extends EventEmitter<LinkHubEvents> implements LinkAcceptor {
  private readonly peers = new Map<string, Peer>();
  private readonly counters: LinkStats = emptyStats();
  private readonly batch: BatchOptions;
  private readonly helloTimeoutMs: number;
  private readonly logger: Logger;
  private currentEpoch = 0;
  private closed = false;

  constructor(options: LinkHubOptions) {
    super();
    this.logger = options.logger.child({ component: 'link-hub', nodeId: options.nodeId });
    this.batch = { ...DEFAULT_BATCH, ...options.batch };
    this.helloTimeoutMs = options.helloTimeoutMs ?? 5_000;
  }

  /** The epoch stamped on every outgoing frame; 0 = not leading (links refused). */
  get epoch(): number {
    return this.currentEpoch;
  }
  set epoch(value: number) {
    this.currentEpoch = value;
  }

  /** Node ids with a live stream. */
  peerIds(): string[] {
    return [...this.peers.keys()];
  }

  isLinked(nodeId: string): boolean {
    return this.peers.has(nodeId);
  }

  stats(): LinkStats {
    return { ...this.counters };
  }

  /** Queues a frame for one follower; false if it is not linked or its queue is full. */
  send(nodeId: string, frame: OutgoingFrame): boolean {
    const peer = this.peers.get(nodeId);
    if (!peer) return false;
    return peer.batcher.enqueue({ ...frame, epoch: this.currentEpoch });
  }

  /** Queues a frame for every linked follower (but `except`); returns how many accepted it. */
  broadcast(frame: OutgoingFrame, except?: string): number {
    let accepted = 0;
    for (const nodeId of this.peers.keys()) {
      if (nodeId !== except && this.send(nodeId, frame)) accepted++;
    }
    return accepted;
  }

  accept(call: LinkCall): void {
    const identity = peerIdentity(call);
    if (!mayLink(identity)) {
      this.refuse(call, status.PERMISSION_DENIED, 'LinkService needs a node certificate (OU=node).');
      return;
    }
    if (this.closed) {
      this.refuse(call, status.UNAVAILABLE, 'This node is shutting down.');
      return;
    }
    if (this.currentEpoch <= 0) {
      this.refuse(call, status.UNAVAILABLE, 'This node is not the leader; link to the current leader.');
      return;
    }
    const nodeId = identity.commonName;
    let peer: Peer | null = null;
    let finished = false;
    const helloTimer = setTimeout(
      () => this.refuse(call, status.DEADLINE_EXCEEDED, `No Hello within ${this.helloTimeoutMs} ms.`),
      this.helloTimeoutMs,
    );

    const finish = (why: string): void => {
      if (finished) return;
      finished = true;
      clearTimeout(helloTimer);
      if (!peer) return;
      const lost = peer.batcher.close();
      if (this.peers.get(nodeId) === peer) {
        this.peers.delete(nodeId);
        this.logger.info({ peer: nodeId, why, lost }, 'follower unlinked');
        this.safeEmit('peer-down', nodeId);
      }
    };

    call.on('data', (req: LinkRequest) => {
      if (finished) return;
      this.counters.messagesReceived++;
      this.counters.framesReceived += req.frames.length;
      let frames = req.frames;
      if (!peer) {
        const hello = frames[0]?.body;
        if (hello?.$case !== 'hello') {
          this.refuse(call, status.INVALID_ARGUMENT, 'The first frame of a link must be Hello.');
          return;
        }
        if (hello.value.nodeId !== nodeId) {
          this.refuse(
            call,
            status.PERMISSION_DENIED,
            `Hello names node "${hello.value.nodeId}" but the client certificate is for "${nodeId}".`,
          );
          return;
        }
        clearTimeout(helloTimer);
        peer = this.register(nodeId, call);
        frames = frames.slice(1);
      }
      for (const frame of frames) this.deliver(nodeId, frame);
    });
    // The follower half-closed: close our side too, which ends the call.
    call.on('end', () => {
      peer?.batcher.flush();
      call.end();
      finish('ended');
    });
    call.on('cancelled', () => finish('cancelled'));
    call.on('error', (err) => finish(`error: ${err.message}`));
    call.on('finish', () => finish('finished'));
    call.on('close', () => finish('closed'));
    call.on('drain', () => peer?.batcher.resume());
  }

  /** Ends every follower stream (they will re-dial); new links are still accepted while leading. */
  disconnectAll(): void {
    for (const peer of [...this.peers.values()]) {
      peer.batcher.flush();
      peer.call.end();
    }
  }

  /** Ends every stream and refuses new ones. */
  close(): void {
    this.closed = true;
    this.disconnectAll();
  }

  private register(nodeId: string, call: LinkCall): Peer {
    const batcher = new FrameBatcher(
      (frames) => call.write({ frames }),
      this.counters,
      this.batch,
      this.logger.child({ peer: nodeId }),
    );
    const peer: Peer = { nodeId, call, batcher };
    const previous = this.peers.get(nodeId);
    this.peers.set(nodeId, peer);
    if (previous) {
      this.logger.info({ peer: nodeId }, 'newer link from the same node replaces the older one');
      this.refuse(previous.call, status.ABORTED, 'Replaced by a newer link from the same node.');
    }
    // Headers tell the follower its Hello was accepted.
    call.sendMetadata(new Metadata());
    this.logger.info({ peer: nodeId, epoch: this.currentEpoch }, 'follower linked');
    this.safeEmit('peer-up', nodeId);
    return peer;
  }

  private deliver(nodeId: string, frame: PeerFrame): void {
    if (frame.body?.$case === 'hello') {
      this.logger.debug({ peer: nodeId }, 'ignoring repeated Hello');
      return;
    }
    this.safeEmit('frame', nodeId, frame);
  }

  /** A failing listener must not tear down the link or skip the bookkeeping around it. */
  private safeEmit<K extends keyof LinkHubEvents>(event: K, ...args: LinkHubEvents[K]): void {
    try {
      // TypeScript cannot narrow the conditional parameter type of a generic emit.
      (this.emit as (e: K, ...a: LinkHubEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.logger.error({ err, event }, 'link hub listener failed');
    }
  }

  private refuse(call: LinkCall, code: status, details: string): void {
    this.logger.warn({ code, details, peer: call.getPeer() }, 'link refused or closed');
    call.emit('error', statusError(code, details));
  }
}
