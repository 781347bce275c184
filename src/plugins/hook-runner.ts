import type { Logger } from '../core/logger';
import { silentLogger } from '../core/logger';
import { AfterHooks } from './after-hooks';
import { BeforeHookCall } from './before-hooks';
import { SlotProblems, slotsInRunOrder } from './plugin-slots';
import type { PluginCounters, Slot } from './plugin-slots';
import type { AfterEvent, AfterEventType, ChatPlugin, JoinRequest, MessageDraft, SenderInfo } from './types';

export type { PluginCounters } from './plugin-slots';

export interface HookRunnerOptions {
  logger?: Logger;
  /** How long one before hook may take before the action goes ahead without it. Default 200 ms. */
  beforeTimeoutMs?: number;
  /** How long one after-hook call may take before it is abandoned and logged. Default 1 s. */
  afterTimeoutMs?: number;
  /** How long one plugin's close() may take at shutdown. Default 5 s. */
  closeTimeoutMs?: number;
  /**
   * Unfinished after-hook calls per plugin; past this, calls to that plugin
   * are skipped (and counted) until some finish or time out. Default 1000.
   */
  maxPendingCalls?: number;
  /** Interval between log lines about the same plugin and problem. Default 5 s. */
  logIntervalMs?: number;
}

/**
 * Runs the plugins' hooks in priority order (ties: configured order).
 *
 * Before hooks are awaited one after another on the action's path; a
 * PluginRejection (or any ChatError) refuses the action, anything else a hook
 * throws, and a hook slower than `beforeTimeoutMs`, is logged and skipped:
 * fail-open, so a broken plugin cannot take the chat down with it
 * (BeforeHookCall). After hooks run later (setImmediate), never on the
 * caller's path; each call is bounded by `afterTimeoutMs`, and one plugin's
 * failure or hang does not stop the others nor its own next calls
 * (AfterHooks).
 */
export class HookRunner {
  private readonly slots: Slot[];
  private readonly beforeMessageSlots: Slot[];
  private readonly beforeJoinSlots: Slot[];
  private readonly logger: Logger;
  private readonly problems: SlotProblems;
  private readonly before: BeforeHookCall;
  private readonly after: AfterHooks;
  private readonly closeTimeoutMs: number;
  /** No new events once close() started; the queued ones still reach the plugins before they close. */
  private accepting = true;
  private closing: Promise<void> | undefined;

  /** A runner with no plugins: emit() is one property lookup, before hooks are never awaited. */
  static empty(): HookRunner {
    return new HookRunner([], {});
  }

  constructor(plugins: readonly ChatPlugin[], options: HookRunnerOptions = {}) {
    this.logger = (options.logger ?? silentLogger()).child({ component: 'plugins' });
    this.closeTimeoutMs = options.closeTimeoutMs ?? 5000;
    this.problems = new SlotProblems(this.logger, options.logIntervalMs ?? 5000);
    this.before = new BeforeHookCall(this.problems, this.logger, options.beforeTimeoutMs ?? 200);
    this.slots = slotsInRunOrder(plugins);
    this.beforeMessageSlots = this.slots.filter((s) => typeof s.plugin.beforeMessage === 'function');
    this.beforeJoinSlots = this.slots.filter((s) => typeof s.plugin.beforeJoin === 'function');
    this.after = new AfterHooks(this.slots, this.problems, {
      timeoutMs: options.afterTimeoutMs ?? 1000,
      maxPendingCalls: options.maxPendingCalls ?? 1000,
    });
  }

  /** Plugin names in the order their hooks run. */
  get pluginNames(): string[] {
    return this.slots.map((s) => s.plugin.name);
  }

  get isEmpty(): boolean {
    return this.slots.length === 0;
  }

  /** Whether any plugin has a beforeMessage hook; when not, skip the call (and its await). */
  get hasBeforeMessage(): boolean {
    return this.beforeMessageSlots.length > 0;
  }

  get hasBeforeJoin(): boolean {
    return this.beforeJoinSlots.length > 0;
  }

  /** Whether any plugin listens to `type`; lets a caller skip building an event nobody reads. */
  wants(type: AfterEventType): boolean {
    return this.after.wants(type);
  }

  /**
   * Runs every beforeMessage hook and returns the draft to record (its text
   * possibly rewritten). Throws the PluginRejection of a plugin that refused it.
   */
  async beforeMessage(draft: MessageDraft, sender: SenderInfo): Promise<MessageDraft> {
    let current = draft;
    for (const slot of this.beforeMessageSlots) {
      const input = current;
      const outcome = await this.before.run(slot, 'beforeMessage', () =>
        slot.plugin.beforeMessage?.(input, sender),
      );
      if (!outcome.ok || outcome.value === undefined || outcome.value === null) continue;
      const text = (outcome.value as { text?: unknown }).text;
      if (typeof text !== 'string') {
        this.problems.failed(slot, 'beforeMessage', new TypeError('returned a draft without a string text'));
        continue;
      }
      if (text !== current.text) current = { ...current, text };
    }
    return current;
  }

  /** Runs every beforeJoin hook; throws the PluginRejection of a plugin that refused the join. */
  async beforeJoin(req: JoinRequest): Promise<void> {
    for (const slot of this.beforeJoinSlots) {
      await this.before.run(slot, 'beforeJoin', () => slot.plugin.beforeJoin?.(req));
    }
  }

  /** Hands an event to the after hooks. Returns at once and never throws. */
  emit(event: AfterEvent): void {
    if (this.accepting) this.after.push(event);
  }

  /** Counters per plugin, in run order. */
  stats(): PluginCounters[] {
    return this.slots.map((s) => ({ ...s.counters }));
  }

  /** Unfinished after-hook calls across plugins (those not yet abandoned). */
  get pendingCalls(): number {
    return this.after.pendingCalls;
  }

  /** Stops emitting and closes the plugins in reverse order, each bounded in time. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.closeAll();
    return this.closing;
  }

  private async closeAll(): Promise<void> {
    this.accepting = false;
    // Events emitted before close() (e.g. the last messages to export) still go out.
    this.after.flushAndStop();
    for (const slot of [...this.slots].reverse()) {
      if (typeof slot.plugin.close !== 'function') continue;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), this.closeTimeoutMs);
      });
      try {
        const done = Promise.resolve().then(() => slot.plugin.close?.());
        if ((await Promise.race([done, timedOut])) === 'timeout') {
          this.logger.warn(
            { plugin: slot.plugin.name, timeoutMs: this.closeTimeoutMs },
            'plugin close() did not finish in time; shutdown goes on without it',
          );
        }
      } catch (err) {
        this.logger.error({ plugin: slot.plugin.name, err }, 'plugin close() failed');
      } finally {
        clearTimeout(timer);
      }
    }
  }
}
