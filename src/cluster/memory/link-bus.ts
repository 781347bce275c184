import { EventEmitter } from 'node:events';
import { LinkRequest } from '../../../gen/chat/v1/cluster';
import type { PeerFrame } from '../../../gen/chat/v1/cluster';
import type { PeerAddress, PeerTransport, PeerTransportEvents } from '../transport';

/**
 * Node links inside one process, for tests and demos: every MemoryTransport
 * on one bus can reach the others. Frames sent within one event-loop turn
 * travel together on the next turn, encoded and decoded as on the wire (so a
 * field the wire cannot carry is lost here too). Links can be cut and healed.
 */
export class MemoryLinkBus {
  private readonly transports = new Map<string, MemoryTransport>();
  private readonly cuts = new Set<string>();

  /** A transport for `nodeId` on this bus. */
  connect(nodeId: string): MemoryTransport {
    const transport = new MemoryTransport(nodeId, this);
    this.transports.set(nodeId, transport);
    this.changed();
    return transport;
  }

  /** Cuts the links between two nodes in both directions (frames in flight are lost). */
  cut(a: string, b: string): void {
    this.cuts.add(pairKey(a, b));
    this.changed();
  }

  heal(a: string, b: string): void {
    this.cuts.delete(pairKey(a, b));
    this.changed();
  }

  /** @internal */
  reachable(from: string, to: string): MemoryTransport | undefined {
    if (this.cuts.has(pairKey(from, to))) return undefined;
    const target = this.transports.get(to);
    return target && !target.isClosed ? target : undefined;
  }

  /** @internal */
  transport(nodeId: string): MemoryTransport | undefined {
    return this.transports.get(nodeId);
  }

  /** @internal */
  leave(nodeId: string, transport: MemoryTransport): void {
    if (this.transports.get(nodeId) === transport) this.transports.delete(nodeId);
    this.changed();
  }

  private changed(): void {
    for (const transport of this.transports.values()) transport.reconcile();
  }
}

function pairKey(a: string, b: string): string {
  return a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`;
}

interface Link {
  up: boolean;
  /** Frames of the current turn, sent together. */
  batch: PeerFrame[];
  scheduled: boolean;
  /** Bumped when the link goes down, so a batch of an older link is never delivered. */
  generation: number;
  dialling: boolean;
}

export class MemoryTransport extends EventEmitter<PeerTransportEvents> implements PeerTransport {
  private readonly links = new Map<string, Link>();
  private closed = false;

  constructor(
    readonly nodeId: string,
    private readonly bus: MemoryLinkBus,
  ) {
    super();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  setPeers(peers: readonly PeerAddress[]): void {
    if (this.closed) return;
    const wanted = new Set(peers.map((p) => p.nodeId).filter((id) => id !== this.nodeId));
    for (const [peer, link] of [...this.links]) {
      if (wanted.has(peer)) continue;
      this.links.delete(peer);
      if (link.up) this.down(peer, link, 'no longer a peer');
    }
    for (const peer of wanted)
      if (!this.links.has(peer))
        this.links.set(peer, { up: false, batch: [], scheduled: false, generation: 0, dialling: false });
    this.reconcile();
  }

  send(nodeId: string, frame: PeerFrame): boolean {
    const link = this.links.get(nodeId);
    if (!link?.up) return false;
    link.batch.push(frame);
    if (!link.scheduled) {
      link.scheduled = true;
      const generation = link.generation;
      setImmediate(() => this.flush(nodeId, link, generation));
    }
    return true;
  }

  isUp(nodeId: string): boolean {
    return this.links.get(nodeId)?.up ?? false;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const [peer, link] of this.links) if (link.up) this.down(peer, link, 'closed');
    this.links.clear();
    this.bus.leave(this.nodeId, this);
  }

  /** @internal Brings links up or down to match what the bus can reach now. */
  reconcile(): void {
    if (this.closed) return;
    for (const [peer, link] of this.links) {
      const reachable = this.bus.reachable(this.nodeId, peer) !== undefined;
      if (reachable && !link.up && !link.dialling) {
        // Like a real dial, the link comes up a turn later, and frames go out only from then on.
        link.dialling = true;
        setImmediate(() => {
          link.dialling = false;
          if (this.links.get(peer) !== link || this.closed || !this.bus.reachable(this.nodeId, peer)) return;
          link.up = true;
          this.emit('up', peer);
          this.bus.transport(peer)?.emit('inbound', this.nodeId, true);
        });
      } else if (!reachable && link.up) {
        this.down(peer, link, 'unreachable');
      }
    }
  }

  /** @internal */
  receive(from: string, bytes: Uint8Array): void {
    if (this.closed) return;
    for (const frame of LinkRequest.decode(bytes).frames) this.emit('frame', from, frame);
  }

  private flush(peer: string, link: Link, generation: number): void {
    link.scheduled = false;
    const frames = link.batch;
    link.batch = [];
    if (generation !== link.generation || !link.up) return;
    const target = this.bus.reachable(this.nodeId, peer);
    if (!target) return;
    target.receive(this.nodeId, LinkRequest.encode({ frames }).finish());
  }

  private down(peer: string, link: Link, reason: string): void {
    link.up = false;
    link.batch = [];
    link.generation++;
    setImmediate(() => {
      this.emit('down', peer, reason);
      this.bus.transport(peer)?.emit('inbound', this.nodeId, false);
    });
  }
}
