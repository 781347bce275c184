import type { PeerFrame } from '../../gen/chat/v1/cluster';

/** Where a peer's internal port is. */
export interface PeerAddress {
  nodeId: string;
  /** host:port of the peer's internal gRPC endpoint. */
  rpcAddress: string;
}

export interface PeerTransportEvents {
  /** A frame from a peer, over the link that peer opened to this node. */
  frame: [from: string, frame: PeerFrame];
  /** This node's link to `nodeId` is up: frames sent from now on reach it, in order. */
  up: [nodeId: string];
  /** This node's link to `nodeId` broke or closed; it is re-dialled while `nodeId` is a peer. */
  down: [nodeId: string, reason: string];
  /**
   * The link `nodeId` dialled to this node came up or went down. Frames it
   * carried when it broke may be lost.
   */
  inbound: [nodeId: string, up: boolean];
}

/** What a transport tells operators about its link to one peer. */
export interface LinkInfo {
  /** This node's link to the peer (see PeerDial.state). */
  state: 'up' | 'dialling' | 'down';
  /** The peer's link to this node is up. */
  incomingUp: boolean;
  /** ms since the epoch; undefined = never. */
  lastSentAt: number | undefined;
  lastReceivedAt: number | undefined;
  /** Frames waiting in the link's batch. */
  queued: number;
}

/**
 * Moves frames between nodes: one ordered link from this node to every peer
 * it is given (`setPeers`), and the frames of every peer's link to this node.
 * gRPC with mutual TLS in production (GrpcTransport), an in-process bus for
 * tests (MemoryTransport). What frames mean is the node's business.
 */
export interface PeerTransport {
  /** Dials exactly these peers: new ones are dialled, links to others closed. */
  setPeers(peers: readonly PeerAddress[]): void;
  /** Queues a frame for a peer; false when this node's link to it is not up (or is full). */
  send(nodeId: string, frame: PeerFrame): boolean;
  isUp(nodeId: string): boolean;
  /** Diagnostics of the link to `nodeId` (read-only); a transport without them leaves it out. */
  linkInfo?(nodeId: string): LinkInfo;
  on<K extends keyof PeerTransportEvents>(
    event: K,
    listener: (...args: PeerTransportEvents[K]) => void,
  ): unknown;
  /** Flushes and closes every link; idempotent. */
  close(): Promise<void>;
}
