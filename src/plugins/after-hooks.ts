import { AFTER_HOOKS } from './types';
import type { AfterEvent, AfterEventType, HookName } from './types';
import { isPromiseLike } from './plugin-slots';
import type { Slot, SlotProblems } from './plugin-slots';

export interface AfterHookLimits {
  /** How long one after-hook call may take before it is abandoned and logged. */
  timeoutMs: number;
  /** Unfinished calls per plugin; past this, calls to that plugin are skipped (and counted). */
  maxPendingCalls: number;
}

/**
 * The after hooks: events are queued and handed to the plugins later
 * (setImmediate), never on the caller's path. Each call is bounded by
 * `timeoutMs` (a sweeper abandons late ones), and one plugin's failure or
 * hang does not stop the others nor its own next calls.
 */
export class AfterHooks {
  private readonly byType: Record<AfterEventType, Slot[]>;
  private queue: AfterEvent[] = [];
  private drainScheduled = false;
  private sweeper: NodeJS.Timeout | undefined;
  private callSeq = 0;
  private stopped = false;

  constructor(
    private readonly slots: readonly Slot[],
    private readonly problems: SlotProblems,
    private readonly limits: AfterHookLimits,
  ) {
    const byType = {} as Record<AfterEventType, Slot[]>;
    for (const [type, hook] of Object.entries(AFTER_HOOKS) as [AfterEventType, HookName][]) {
      byType[type] = slots.filter((s) => typeof s.plugin[hook] === 'function');
    }
    this.byType = byType;
  }

  /** Whether any plugin listens to `type`. */
  wants(type: AfterEventType): boolean {
    return this.byType[type].length > 0;
  }

  /** Queues the event for the plugins that listen to it. */
  push(event: AfterEvent): void {
    if (this.byType[event.type].length === 0 || this.stopped) return;
    this.queue.push(event);
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(() => this.drain());
  }

  /** Unfinished calls across plugins (those not yet abandoned). */
  get pendingCalls(): number {
    let n = 0;
    for (const slot of this.slots) n += slot.pending.size;
    return n;
  }

  /** Hands out what is queued (e.g. the last messages to export), then makes no more calls. */
  flushAndStop(): void {
    if (this.queue.length > 0) this.drain();
    this.stopped = true;
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private drain(): void {
    this.drainScheduled = false;
    const events = this.queue;
    this.queue = [];
    for (const event of events) {
      const hook = AFTER_HOOKS[event.type];
      // messageStored hands the plugin the message itself; the others get the event.
      const arg: unknown = event.type === 'messageStored' ? event.message : event;
      for (const slot of this.byType[event.type]) this.call(slot, hook, arg);
    }
  }

  private call(slot: Slot, hook: HookName, arg: unknown): void {
    if (this.stopped) return;
    if (slot.pending.size >= this.limits.maxPendingCalls) {
      slot.counters.skipped++;
      this.problems.warn(
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
      // The hook exists: only slots that have it are in byType[type].
      result = (slot.plugin[hook] as (a: unknown) => unknown).call(slot.plugin, arg);
    } catch (err) {
      this.problems.failed(slot, hook, err);
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
        if (slot.pending.delete(id)) this.problems.failed(slot, hook, err);
      },
    );
  }

  private startSweeper(): void {
    if (this.sweeper) return;
    const every = Math.max(5, Math.floor(this.limits.timeoutMs / 4));
    this.sweeper = setInterval(() => this.sweep(), every);
    this.sweeper.unref();
  }

  /** Abandons calls older than the bound; stops itself when nothing is pending. */
  private sweep(): void {
    const now = Date.now();
    let left = 0;
    for (const slot of this.slots) {
      for (const [id, call] of slot.pending) {
        // Oldest first: the first call still within its bound ends the scan.
        if (now - call.startedAt < this.limits.timeoutMs) break;
        slot.pending.delete(id);
        slot.counters.timeouts++;
        this.problems.warn(
          slot,
          call.hook,
          'timeout',
          { timeoutMs: this.limits.timeoutMs },
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
}
