import { ChatError } from '../core/errors';
import type { Logger } from '../core/logger';
import { silentLogger } from '../core/logger';
import { LogThrottle } from './log-throttle';
import { PluginRejection } from './rejection';
import { AFTER_HOOKS, DEFAULT_PRIORITY } from './types';
import type {
  AfterEvent,
  AfterEventType,
  ChatPlugin,
  HookName,
  JoinRequest,
  MessageDraft,
  SenderInfo,
} from './types';

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

interface Slot {
  plugin: ChatPlugin;
  counters: PluginCounters;
  /** Unfinished after-hook calls, oldest first (Map keeps insertion order). */
  pending: Map<number, { hook: HookName; startedAt: number }>;
}

type BeforeOutcome = { ok: true; value: unknown } | { ok: false };

/**
 * Runs the plugins' hooks in priority order (ties: configured order).
 *
 * Before hooks are awaited one after another on the action's path; a
 * PluginRejection (or any ChatError) refuses the action, anything else a hook
 * throws, and a hook slower than `beforeTimeoutMs`, is logged and skipped:
 * fail-open, so a broken plugin cannot take the chat down with it.
 * After hooks run later (setImmediate), never on the caller's path; each call
 * is bounded by `afterTimeoutMs`, and one plugin's failure or hang does not
 * stop the others nor its own next calls.
 */
export class HookRunner {
  private readonly slots: Slot[];
  private readonly beforeMessageSlots: Slot[];
  private readonly beforeJoinSlots: Slot[];
  private readonly afterSlots: Record<AfterEventType, Slot[]>;
  private readonly logger: Logger;
  private readonly beforeTimeoutMs: number;
  private readonly afterTimeoutMs: number;
  private readonly closeTimeoutMs: number;
  private readonly maxPendingCalls: number;
  private readonly throttle: LogThrottle;
  private queue: AfterEvent[] = [];
  private drainScheduled = false;
  private sweeper: NodeJS.Timeout | undefined;
  private callSeq = 0;
  /** No new events once close() started; the queued ones still reach the plugins before they close. */
  private accepting = true;
  private closed = false;
  private closing: Promise<void> | undefined;

  /** A runner with no plugins: emit() is one property lookup, before hooks are never awaited. */
  static empty(): HookRunner {
    return new HookRunner([], {});
  }

  constructor(plugins: readonly ChatPlugin[], options: HookRunnerOptions = {}) {
    this.logger = (options.logger ?? silentLogger()).child({ component: 'plugins' });
    this.beforeTimeoutMs = options.beforeTimeoutMs ?? 200;
    this.afterTimeoutMs = options.afterTimeoutMs ?? 1000;
    this.closeTimeoutMs = options.closeTimeoutMs ?? 5000;
    this.maxPendingCalls = options.maxPendingCalls ?? 1000;
    this.throttle = new LogThrottle(options.logIntervalMs ?? 5000);
    // Array.prototype.sort is stable, so equal priorities keep the configured order.
    this.slots = plugins
      .map((plugin) => ({
        plugin,
        counters: { plugin: plugin.name, calls: 0, failures: 0, timeouts: 0, rejections: 0, skipped: 0 },
        pending: new Map(),
      }))
      .sort((a, b) => (a.plugin.priority ?? DEFAULT_PRIORITY) - (b.plugin.priority ?? DEFAULT_PRIORITY));
    this.beforeMessageSlots = this.slots.filter((s) => typeof s.plugin.beforeMessage === 'function');
    this.beforeJoinSlots = this.slots.filter((s) => typeof s.plugin.beforeJoin === 'function');
    const afterSlots = {} as Record<AfterEventType, Slot[]>;
    for (const [type, hook] of Object.entries(AFTER_HOOKS) as [AfterEventType, HookName][]) {
      afterSlots[type] = this.slots.filter((s) => typeof s.plugin[hook] === 'function');
    }
    this.afterSlots = afterSlots;
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
    return this.afterSlots[type].length > 0;
  }

  /**
   * Runs every beforeMessage hook and returns the draft to record (its text
   * possibly rewritten). Throws the PluginRejection of a plugin that refused it.
   */
  async beforeMessage(draft: MessageDraft, sender: SenderInfo): Promise<MessageDraft> {
    let current = draft;
    for (const slot of this.beforeMessageSlots) {
      const input = current;
      const outcome = await this.callBefore(slot, 'beforeMessage', () =>
        slot.plugin.beforeMessage?.(input, sender),
      );
      if (!outcome.ok || outcome.value === undefined || outcome.value === null) continue;
      const text = (outcome.value as { text?: unknown }).text;
      if (typeof text !== 'string') {
        this.failed(slot, 'beforeMessage', new TypeError('returned a draft without a string text'));
        continue;
      }
      if (text !== current.text) current = { ...current, text };
    }
    return current;
  }

  /** Runs every beforeJoin hook; throws the PluginRejection of a plugin that refused the join. */
  async beforeJoin(req: JoinRequest): Promise<void> {
    for (const slot of this.beforeJoinSlots) {
      await this.callBefore(slot, 'beforeJoin', () => slot.plugin.beforeJoin?.(req));
    }
  }

  /** Hands an event to the after hooks. Returns at once and never throws. */
  emit(event: AfterEvent): void {
    if (this.afterSlots[event.type].length === 0 || !this.accepting) return;
    this.queue.push(event);
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(() => this.drain());
  }

  /** Counters per plugin, in run order. */
  stats(): PluginCounters[] {
    return this.slots.map((s) => ({ ...s.counters }));
  }

  /** Unfinished after-hook calls across plugins (those not yet abandoned). */
  get pendingCalls(): number {
    let n = 0;
    for (const slot of this.slots) n += slot.pending.size;
    return n;
  }

  /** Stops emitting and closes the plugins in reverse order, each bounded in time. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.closeAll();
    return this.closing;
  }

  private async closeAll(): Promise<void> {
    this.accepting = false;
    // Events emitted before close() (e.g. the last messages to export) still go out.
    if (this.queue.length > 0) this.drain();
    this.closed = true;
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
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

  private callBefore(slot: Slot, hook: HookName, call: () => unknown): Promise<BeforeOutcome> {
    slot.counters.calls++;
    let result: unknown;
    try {
      result = call();
    } catch (err) {
      return Promise.resolve(this.beforeFailed(slot, hook, err));
    }
    if (!isPromiseLike(result)) return Promise.resolve({ ok: true, value: result });
    return new Promise<BeforeOutcome>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        slot.counters.timeouts++;
        this.warn(
          slot,
          hook,
          'timeout',
          { timeoutMs: this.beforeTimeoutMs },
          'before hook timed out; going ahead without it',
        );
        resolve({ ok: false });
      }, this.beforeTimeoutMs);
      void Promise.resolve(result).then(
        (value) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ ok: true, value });
        },
        (err: unknown) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          try {
            resolve(this.beforeFailed(slot, hook, err));
          } catch (rejection) {
            reject(rejection);
          }
        },
      );
    });
  }

  /** Rethrows a rejection (as a ChatError the edge maps); anything else is logged and skipped. */
  private beforeFailed(slot: Slot, hook: HookName, err: unknown): { ok: false } {
    const rejection = asRejection(err);
    if (rejection) {
      slot.counters.rejections++;
      this.logger.debug(
        { plugin: slot.plugin.name, hook, code: rejection.code, reason: rejection.reason },
        'plugin refused the action',
      );
      throw rejection;
    }
    this.failed(slot, hook, err);
    return { ok: false };
  }

  private drain(): void {
    this.drainScheduled = false;
    const events = this.queue;
    this.queue = [];
    for (const event of events) {
      const hook = AFTER_HOOKS[event.type];
      // messageStored hands the plugin the message itself; the others get the event.
      const arg: unknown = event.type === 'messageStored' ? event.message : event;
      for (const slot of this.afterSlots[event.type]) this.callAfter(slot, hook, arg);
    }
  }

  private callAfter(slot: Slot, hook: HookName, arg: unknown): void {
    if (this.closed) return;
    if (slot.pending.size >= this.maxPendingCalls) {
      slot.counters.skipped++;
      this.warn(
        slot,
        hook,
        'skipped',
        { pending: slot.pending.size },
        'too many unfinished calls to this plugin; skipping calls until some finish',
      );
      return;
    }
    slot.counters.calls++;
    let result: unknown;
    try {
      // The hook exists: only slots that have it are in afterSlots[type].
      result = (slot.plugin[hook] as (a: unknown) => unknown).call(slot.plugin, arg);
    } catch (err) {
      this.failed(slot, hook, err);
      return;
    }
    if (!isPromiseLike(result)) return;
    const id = ++this.callSeq;
    slot.pending.set(id, { hook, startedAt: Date.now() });
    this.startSweeper();
    void Promise.resolve(result).then(
      () => slot.pending.delete(id),
      (err: unknown) => {
        // Not pending any more means it was abandoned as timed out: already counted.
        if (slot.pending.delete(id)) this.failed(slot, hook, err);
      },
    );
  }

  private startSweeper(): void {
    if (this.sweeper) return;
    const every = Math.max(5, Math.floor(this.afterTimeoutMs / 4));
    this.sweeper = setInterval(() => this.sweep(), every);
    this.sweeper.unref();
  }

  /** Abandons after-hook calls older than the bound; stops itself when nothing is pending. */
  private sweep(): void {
    const now = Date.now();
    let left = 0;
    for (const slot of this.slots) {
      for (const [id, call] of slot.pending) {
        // Oldest first: the first call still within its bound ends the scan.
        if (now - call.startedAt < this.afterTimeoutMs) break;
        slot.pending.delete(id);
        slot.counters.timeouts++;
        this.warn(
          slot,
          call.hook,
          'timeout',
          { timeoutMs: this.afterTimeoutMs },
          'after hook did not finish in time; abandoned',
        );
      }
      left += slot.pending.size;
    }
    if (left === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  private failed(slot: Slot, hook: HookName, err: unknown): void {
    slot.counters.failures++;
    this.warn(slot, hook, 'failure', { err }, 'plugin hook failed; going ahead without it');
  }

  private warn(slot: Slot, hook: HookName, what: string, fields: object, msg: string): void {
    const suppressed = this.throttle.take(`${slot.plugin.name}:${hook}:${what}`);
    if (suppressed === undefined) return;
    this.logger.warn(
      { plugin: slot.plugin.name, hook, ...fields, ...(suppressed ? { suppressed } : {}) },
      msg,
    );
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * A PluginRejection or any other ChatError refuses the action. An error that
 * only looks like one (a plugin package bundling its own copy of the class)
 * counts too, and becomes a real PluginRejection so the edge can map it.
 */
function asRejection(err: unknown): ChatError | undefined {
  if (err instanceof ChatError) return err;
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { name?: unknown; code?: unknown; reason?: unknown; message?: unknown };
  if (
    e.name === 'PluginRejection' &&
    typeof e.code === 'number' &&
    typeof e.reason === 'string' &&
    typeof e.message === 'string'
  ) {
    return new PluginRejection(e.code, e.reason, e.message);
  }
  return undefined;
}
