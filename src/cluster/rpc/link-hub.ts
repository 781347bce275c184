import { EventEmitter } from 'node:events';
import { Metadata, status } from '@grpc/grpc-js';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { LinkRequest, LinkResponse, PeerFrame } from '../../../gen/chat/v1/cluster';
import type { Logger } from '../../core/logger';
import { mayLink, peerIdentity } from '../tls/identity';
import type { LinkStats } from './counters';
import { statusError } from './status';

export type LinkCall = ServerDuplexStream<LinkRequest, LinkResponse>;

/** What the RPC server hands each incoming LinkService.Link stream to. */
export interface LinkAcceptor {
  accept(call: LinkCall): void;
}

export interface LinkHubEvents {
  /** A frame from a peer's link (Hello frames are consumed by the hub). */
  frame: [nodeId: string, frame: PeerFrame];
  /** A peer linked to this node (also when a newer stream replaced an older one). */
  'peer-up': [nodeId: string];
  /** A peer's stream ended and no newer one replaced it. */
  'peer-down': [nodeId: string];
  /** A newer stream from a peer replaced its older one (frames in flight on the older may be lost). */
  'peer-replaced': [nodeId: string];
}

export interface LinkHubOptions {
  /** This node's id, for logs. */
  nodeId: string;
  logger: Logger;
  /** Shared traffic counters of this node's links. */
  stats: LinkStats;
  /** How long a new stream may take to send Hello. */
  helloTimeoutMs?: number;
  /**
   * Whether `nodeId` may link now: a certificate from the cluster CA proves
   * which node a peer is, not that it belongs to the cluster. By default
   * every node id may (tests of the links alone).
   */
  mayLink?: (nodeId: string) => boolean;
}

/**
 * The incoming side of the node links: accepts the streams peers dial to this
 * node (identity from the client certificate, confirmed by Hello), keeps one
 * stream per node id and hands their frames on; what the frames mean is
 * decided by whoever listens. A stream is acknowledged with response headers
 * once its Hello is accepted, which is what the dialling peer waits for.
 */
export class LinkHub extends EventEmitter<LinkHubEvents> implements LinkAcceptor {
  private readonly peers = new Map<string, LinkCall>();
  /** When each peer's stream last brought a message (ms since the epoch), for diagnostics. */
  private readonly receivedAt = new Map<string, number>();
  private readonly helloTimeoutMs: number;
  private readonly logger: Logger;
  private closed = false;

  constructor(private readonly options: LinkHubOptions) {
    super();
    this.logger = options.logger.child({ component: 'link-hub', nodeId: options.nodeId });
    this.helloTimeoutMs = options.helloTimeoutMs ?? 5_000;
  }

  /** Node ids with a live incoming stream. */
  peerIds(): string[] {
    return [...this.peers.keys()];
  }

  isLinked(nodeId: string): boolean {
    return this.peers.has(nodeId);
  }

  /** When a message last arrived from `nodeId` (ms since the epoch); undefined = never. */
  lastReceivedAt(nodeId: string): number | undefined {
    return this.receivedAt.get(nodeId);
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
    const nodeId = identity.commonName;
    if (this.options.mayLink && !this.options.mayLink(nodeId)) {
      this.refuse(
        call,
        status.PERMISSION_DENIED,
        `Node "${nodeId}" is not a live member of this cluster; register in ZooKeeper first.`,
      );
      return;
    }
    let linked = false;
    let finished = false;
    const helloTimer = setTimeout(
      () => this.refuse(call, status.DEADLINE_EXCEEDED, `No Hello within ${this.helloTimeoutMs} ms.`),
      this.helloTimeoutMs,
    );

    const finish = (why: string): void => {
      if (finished) return;
      finished = true;
      clearTimeout(helloTimer);
      if (linked && this.peers.get(nodeId) === call) {
        this.peers.delete(nodeId);
        this.logger.info({ event: 'peer_unlinked', peer: nodeId, why }, 'peer unlinked');
        this.safeEmit('peer-down', nodeId);
      }
    };

    call.on('data', (req: LinkRequest) => {
      if (finished) return;
      const stats = this.options.stats;
      stats.messagesReceived++;
      stats.framesReceived += req.frames.length;
      if (linked) this.receivedAt.set(nodeId, Date.now());
      let frames = req.frames;
      if (!linked) {
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
        linked = true;
        this.receivedAt.set(nodeId, Date.now());
        this.register(nodeId, call);
        frames = frames.slice(1);
      }
      for (const frame of frames) {
        if (frame.body?.$case === 'hello') continue;
        this.safeEmit('frame', nodeId, frame);
      }
    });
    // The peer half-closed: close our side too, which ends the call.
    call.on('end', () => {
      call.end();
      finish('ended');
    });
    call.on('cancelled', () => finish('cancelled'));
    call.on('error', (err) => finish(`error: ${err.message}`));
    call.on('finish', () => finish('finished'));
    call.on('close', () => finish('closed'));
  }

  /** Ends every incoming stream and refuses new ones. */
  close(): void {
    this.closed = true;
    for (const call of [...this.peers.values()]) call.end();
  }

  private register(nodeId: string, call: LinkCall): void {
    const previous = this.peers.get(nodeId);
    this.peers.set(nodeId, call);
    if (previous) {
      this.logger.info({ peer: nodeId }, 'newer link from the same node replaces the older one');
      this.refuse(previous, status.ABORTED, 'Replaced by a newer link from the same node.');
      this.safeEmit('peer-replaced', nodeId);
    }
    // Headers tell the peer its Hello was accepted.
    call.sendMetadata(new Metadata());
    this.logger.info({ event: 'peer_linked', peer: nodeId }, 'peer linked');
    this.safeEmit('peer-up', nodeId);
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
