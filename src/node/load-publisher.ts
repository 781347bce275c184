import type { ServerRegistry } from '../chat/ports';
import type { Logger } from '../core/logger';

/**
 * Publishes this node's connection count for the gateway: at once when
 * started or asked, and within `debounceMs` of any change, so a burst of
 * connects and disconnects costs a few writes a second, not one each.
 */
export class LoadPublisher {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly deps: {
      nodeId: string;
      registry: ServerRegistry;
      count: () => number;
      logger: Logger;
      debounceMs?: number;
    },
  ) {}

  /** The count changed. */
  changed(): void {
    if (this.stopped) return;
    this.timer ??= setTimeout(() => this.publish(), this.deps.debounceMs ?? 250);
  }

  /** Publishes now (start, or after the shared state was lost). */
  publish(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.stopped) return;
    this.deps.registry.publishLoad(this.deps.nodeId, this.deps.count()).catch((err: unknown) => {
      this.deps.logger.warn({ event: 'load_publish_failed', err }, 'could not publish the connection count');
    });
  }

  /** Stops publishing and removes this node's entry. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.deps.registry.removeLoad(this.deps.nodeId);
  }
}
