import type { Logger } from '../core/logger';
import { LogThrottle } from './log-throttle';
import { DEFAULT_PRIORITY } from './types';
import type { ChatPlugin, HookName } from './types';

/** Per plugin, since start-up: what metrics and diagnostics show. */
export interface PluginCounters {
  plugin: string;
  /** Hook calls started (before and after hooks). */
  calls: number;
  /** Calls that threw or rejected with anything but a rejection. */
  failures: number;
  /** Calls that did not finish in time. */
  timeouts: number;
  /** Before-hook calls that refused the action. */
  rejections: number;
  /** After-hook calls not made because too many of the plugin's calls were unfinished. */
  skipped: number;
}

/** One loaded plugin with what the runner keeps about it. */
export interface Slot {
  plugin: ChatPlugin;
  counters: PluginCounters;
  /** Unfinished after-hook calls, oldest first (Map keeps insertion order). */
  pending: Map<number, { hook: HookName; startedAt: number }>;
}

/** One slot per plugin, in the order their hooks run: priority, ties in configured order. */
export function slotsInRunOrder(plugins: readonly ChatPlugin[]): Slot[] {
  // Array.prototype.sort is stable, so equal priorities keep the configured order.
  return plugins
    .map((plugin) => ({
      plugin,
      counters: { plugin: plugin.name, calls: 0, failures: 0, timeouts: 0, rejections: 0, skipped: 0 },
      pending: new Map(),
    }))
    .sort((a, b) => (a.plugin.priority ?? DEFAULT_PRIORITY) - (b.plugin.priority ?? DEFAULT_PRIORITY));
}

/**
 * How a plugin's problems reach the log: counted on its slot, and at most
 * one line per plugin, hook and kind of problem per interval (with how many
 * were suppressed), so a plugin failing on every message cannot flood it.
 */
export class SlotProblems {
  private readonly throttle: LogThrottle;

  constructor(
    private readonly logger: Logger,
    logIntervalMs: number,
  ) {
    this.throttle = new LogThrottle(logIntervalMs);
  }

  failed(slot: Slot, hook: HookName, err: unknown): void {
    slot.counters.failures++;
    this.warn(slot, hook, 'failure', { err }, 'plugin hook failed; going ahead without it');
  }

  warn(slot: Slot, hook: HookName, what: string, fields: object, msg: string): void {
    const suppressed = this.throttle.take(`${slot.plugin.name}:${hook}:${what}`);
    if (suppressed === undefined) return;
    this.logger.warn(
      { plugin: slot.plugin.name, hook, ...fields, ...(suppressed ? { suppressed } : {}) },
      msg,
    );
  }
}

export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
