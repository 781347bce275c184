import { EventEmitter } from 'node:events';
import type { ChannelOptions } from '@grpc/grpc-js';
import type { PeerFrame } from '../../../gen/chat/v1/cluster';
import type { Logger } from '../../core/logger';
import type { LinkInfo, PeerAddress, PeerTransport, PeerTransportEvents } from '../transport';
import type { TlsMaterial } from '../tls/credentials';
import type { BackoffOptions } from '../../core/backoff';
import { emptyStats } from './counters';
import type { LinkStats } from './counters';
import type { BatchOptions } from './frame-batcher';
import { LinkHub } from './link-hub';
import { PeerDial } from './peer-dial';

export interface GrpcTransportOptions {
  nodeId: string;
  tls: TlsMaterial;
  logger: Logger;
  backoff?: BackoffOptions;
  batch?: Partial<BatchOptions>;
  helloTimeoutMs?: number;
  channelOptions?: ChannelOptions;
  /** Which node ids may link to this node (see LinkHubOptions.mayLink). */
  mayLink?: (nodeId: string) => boolean;
}

/**
 * The node links over gRPC with mutual TLS: a PeerDial to every peer for
 * this node's frames, and a LinkHub (served by the RpcServer) for the frames
 * of the links peers dial here.
 */
export class GrpcTransport extends EventEmitter<PeerTransportEvents> implements PeerTransport {
  readonly hub: LinkHub;
  private readonly dials = new Map<string, PeerDial>();
  private readonly counters: LinkStats = emptyStats();
  private closing: Promise<void> | undefined;

  constructor(private readonly options: GrpcTransportOptions) {
    super();
    this.hub = new LinkHub({
      nodeId: options.nodeId,
      logger: options.logger,
      stats: this.counters,
      helloTimeoutMs: options.helloTimeoutMs,
      mayLink: options.mayLink,
    });
    this.hub.on('frame', (from, frame) => this.emit('frame', from, frame));
    this.hub.on('peer-up', (from) => this.emit('inbound', from, true));
    this.hub.on('peer-down', (from) => this.emit('inbound', from, false));
    this.hub.on('peer-replaced', (from) => this.emit('inbound', from, false));
  }

  setPeers(peers: readonly PeerAddress[]): void {
    if (this.closing) return;
    const wanted = new Map(peers.filter((p) => p.nodeId !== this.options.nodeId).map((p) => [p.nodeId, p]));
    for (const [nodeId, dial] of [...this.dials]) {
      const peer = wanted.get(nodeId);
      if (peer && peer.rpcAddress === dial.peer.rpcAddress) continue;
      this.dials.delete(nodeId);
      void dial.close(0);
    }
    for (const [nodeId, peer] of wanted) {
      if (this.dials.has(nodeId)) continue;
      const dial = new PeerDial({
        nodeId: this.options.nodeId,
        peer,
        tls: this.options.tls,
        logger: this.options.logger,
        stats: this.counters,
        backoff: this.options.backoff,
        batch: this.options.batch,
        channelOptions: this.options.channelOptions,
      });
      dial.on('up', () => {
        if (this.dials.get(nodeId) === dial) this.emit('up', nodeId);
      });
      dial.on('down', (reason) => {
        if (this.dials.get(nodeId) === dial) this.emit('down', nodeId, reason);
      });
      this.dials.set(nodeId, dial);
      dial.start();
    }
  }

  send(nodeId: string, frame: PeerFrame): boolean {
    return this.dials.get(nodeId)?.send(frame) ?? false;
  }

  isUp(nodeId: string): boolean {
    return this.dials.get(nodeId)?.isUp ?? false;
  }

  linkInfo(nodeId: string): LinkInfo {
    const dial = this.dials.get(nodeId);
    return {
      state: dial?.state ?? 'down',
      incomingUp: this.hub.isLinked(nodeId),
      lastSentAt: dial?.lastSentAt || undefined,
      lastReceivedAt: this.hub.lastReceivedAt(nodeId),
      queued: dial?.queued ?? 0,
    };
  }

  /** Peers this node has an up link to, and peers with an up link to this node. */
  links(): { out: string[]; in: string[] } {
    return {
      out: [...this.dials].filter(([, d]) => d.isUp).map(([id]) => id),
      in: this.hub.peerIds(),
    };
  }

  stats(): LinkStats {
    return { ...this.counters };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const dials = [...this.dials.values()];
      this.dials.clear();
      this.hub.close();
      await Promise.all(dials.map((d) => d.close()));
    })();
    return this.closing;
  }
}
