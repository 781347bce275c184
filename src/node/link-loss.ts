import type { SyncHints } from '../chat/sync-hints';
import type { Coordinator } from '../cluster/coordination/types';
import type { PeerTransport } from '../cluster/transport';
import type { Logger } from '../core/logger';

/**
 * Watches the links peers dial to this node. When one breaks, frames it
 * carried may be lost; once it is back, or the peer has left the cluster
 * (it died), this node's clients are told to sync (SyncHints).
 */
export class LinkLossWatch {
  private readonly brokenSince = new Map<string, number>();

  constructor(
    private readonly deps: {
      transport: PeerTransport;
      coordinator: Coordinator;
      hints: SyncHints;
      now: () => number;
      logger: Logger;
    },
  ) {}

  start(): void {
    this.deps.transport.on('inbound', (peer, up) => {
      if (!up) {
        if (!this.brokenSince.has(peer)) this.brokenSince.set(peer, this.deps.now());
        return;
      }
      this.settle(peer);
    });
    this.deps.coordinator.on('members', (members) => {
      const live = new Set(members.map((m) => m.nodeId));
      for (const peer of [...this.brokenSince.keys()]) if (!live.has(peer)) this.settle(peer);
    });
  }

  private settle(peer: string): void {
    const since = this.brokenSince.get(peer);
    if (since === undefined) return;
    this.brokenSince.delete(peer);
    this.deps.hints
      .afterLinkLoss(peer, since)
      .catch((err: unknown) =>
        this.deps.logger.warn(
          { event: 'sync_hints_failed', peer, err },
          'could not hint clients after a link loss',
        ),
      );
  }
}
