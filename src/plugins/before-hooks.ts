import { ChatError } from '../core/errors';
import type { Logger } from '../core/logger';
import { PluginRejection } from './rejection';
import { isPromiseLike } from './plugin-slots';
import type { Slot, SlotProblems } from './plugin-slots';
import type { HookName } from './types';

export type BeforeOutcome = { ok: true; value: unknown } | { ok: false };

/**
 * One before-hook call on the action's path: awaited, bounded by
 * `timeoutMs`. A PluginRejection (or any ChatError) refuses the action and
 * is rethrown; anything else the hook throws, and a hook that is too slow, is
 * logged and skipped (`{ ok: false }`): fail-open.
 */
export class BeforeHookCall {
  constructor(
    private readonly problems: SlotProblems,
    private readonly logger: Logger,
    private readonly timeoutMs: number,
  ) {}

  run(slot: Slot, hook: HookName, call: () => unknown): Promise<BeforeOutcome> {
    slot.counters.calls++;
    let result: unknown;
    try {
      result = call();
    } catch (err) {
      return Promise.resolve(this.failed(slot, hook, err));
    }
    if (!isPromiseLike(result)) return Promise.resolve({ ok: true, value: result });
    return new Promise<BeforeOutcome>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        slot.counters.timeouts++;
        this.problems.warn(
          slot,
          hook,
          'timeout',
          { timeoutMs: this.timeoutMs },
          'before hook timed out; going ahead without it',
        );
        resolve({ ok: false });
      }, this.timeoutMs);
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
            resolve(this.failed(slot, hook, err));
          } catch (rejection) {
            reject(rejection);
          }
        },
      );
    });
  }

  /** Rethrows a rejection (as a ChatError the edge maps); anything else is logged and skipped. */
  private failed(slot: Slot, hook: HookName, err: unknown): { ok: false } {
    const rejection = asRejection(err);
    if (rejection) {
      slot.counters.rejections++;
      this.logger.debug(
        { plugin: slot.plugin.name, hook, code: rejection.code, reason: rejection.reason },
        'plugin refused the action',
      );
      throw rejection;
    }
    this.problems.failed(slot, hook, err);
    return { ok: false };
  }
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
