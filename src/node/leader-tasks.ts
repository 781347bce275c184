import type { HotWords, ServerRegistry } from '../chat/ports';
import { LeaderDuties } from '../cluster/coordination/leader-duties';
import type { LeaderDuty } from '../cluster/coordination/leader-duties';
import type { Coordinator } from '../cluster/coordination/types';
import type { NodeDescriptor } from '../cluster/coordination/types';
import type { Logger } from '../core/logger';

/**
 * Leader duty: keeps the gateway's server list in Redis equal to the live
 * membership, rewritten on becoming leader and within `debounceMs` of any
 * membership change.
 */
export class ServerListWriter implements LeaderDuty {
  readonly name = 'server-list';
  private leading = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: {
      registry: ServerRegistry;
      members: () => NodeDescriptor[];
      logger: Logger;
      /** Re-read before every write: a leader woken from a pause must not write once replaced. */
      stillLeading: () => boolean;
      debounceMs?: number;
    },
  ) {}

  async start(): Promise<void> {
    this.leading = true;
    await this.write();
  }

  stop(): void {
    this.leading = false;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Membership changed. */
  changed(): void {
    if (!this.leading || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.write();
    }, this.deps.debounceMs ?? 100);
  }

  private async write(): Promise<void> {
    if (!this.leading || !this.deps.stillLeading()) return;
    const nodes = this.deps.members().map((m) => ({ nodeId: m.nodeId, url: m.wsUrl }));
    try {
      await this.deps.registry.writeServers(nodes);
      this.deps.logger.info(
        { event: 'server_list_written', nodes: nodes.map((n) => n.nodeId) },
        'server list written',
      );
    } catch (err) {
      this.deps.logger.warn(
        { event: 'server_list_failed', err },
        'could not write the server list; retrying',
      );
      this.changed();
    }
  }
}

/** Leader duty: resets the hot-words leaderboard on a fixed interval. */
export class HotWordsReset implements LeaderDuty {
  readonly name = 'hot-words-reset';
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: {
      hotWords: HotWords;
      intervalMs: number;
      logger: Logger;
      /** Re-read when the timer fires: an overdue timer of a replaced leader does nothing. */
      stillLeading: () => boolean;
    },
  ) {}

  start(epoch: number): void {
    clearInterval(this.timer);
    this.timer = setInterval(() => {
      if (!this.deps.stillLeading()) return;
      this.deps.hotWords.reset().then(
        () => this.deps.logger.info({ event: 'hot_words_reset', epoch }, 'hot words reset'),
        (err: unknown) =>
          this.deps.logger.warn({ event: 'hot_words_reset_failed', err }, 'hot words reset failed'),
      );
    }, this.deps.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  get running(): boolean {
    return this.timer !== undefined;
  }
}

/**
 * The work only the leader does, started and stopped with leadership: the
 * gateway's server list (rewritten on every membership change) and the
 * hot-words reset. (Rooms follow their own ownership: NodeOwnership.)
 */
export function leaderDuties(deps: {
  registry: ServerRegistry;
  hotWords: HotWords;
  coordinator: Coordinator;
  hotWordsResetMs: number;
  logger: Logger;
}): { duties: LeaderDuties; serverList: ServerListWriter } {
  const { coordinator, logger } = deps;
  const stillLeading = (): boolean => coordinator.isLeader();
  const serverList = new ServerListWriter({
    registry: deps.registry,
    members: () => coordinator.members(),
    logger: logger.child({ component: 'server-list' }),
    stillLeading,
  });
  coordinator.on('members', () => serverList.changed());
  const duties = new LeaderDuties(logger.child({ component: 'duties' }));
  duties.register(serverList);
  duties.register(
    new HotWordsReset({
      hotWords: deps.hotWords,
      intervalMs: deps.hotWordsResetMs,
      logger: logger.child({ component: 'hot-words' }),
      stillLeading,
    }),
  );
  return { duties, serverList };
}
