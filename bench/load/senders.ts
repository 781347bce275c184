import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { failureReason } from './clients';
import type { LoadClient, Target } from './clients';
import { makeText } from './payload';
import type { DeliveryTracker } from './tracker';

export interface SenderPlan {
  client: LoadClient;
  /** Unique per sender within one run; part of each message's stamp. */
  index: number;
  target: Target;
  /** Row of the report this sender's messages count towards. */
  category: string;
  /** How many users receive each message (1 for a direct message, the members for a room). */
  recipients: number;
}

export interface SendOptions {
  durationMs: number;
  /** Per sender; the run ends at whichever of duration and count comes first. */
  maxMessages: number;
  /** Messages each sender may have sent but not yet fully delivered. */
  window: number;
  /** Per sender; undefined sends as fast as the window allows. */
  ratePerSecond?: number;
  /**
   * Paced senders stamp each message with the time it was due rather than the
   * time it went out, so a server that falls behind (and holds the window
   * full) shows the delay in the latency instead of hiding it by slowing the
   * sender down.
   */
  stampDueTime?: boolean;
  sizeChars: number;
}

export interface SendReport {
  sent: number;
  acked: number;
  /** Failed sends by reason (the server's error reason, or TIMEOUT/CLOSED). */
  failed: Record<string, number>;
  /** From the first send until every sender finished and its last message was done. */
  elapsedMs: number;
}

/**
 * Runs every sender concurrently. A sender sends its next message when fewer
 * than `window` of its messages are still on their way (acknowledgement plus
 * every delivery, or the tracker's timeout), optionally no faster than
 * `ratePerSecond`. So the load adapts to what the server can deliver and
 * never piles up unbounded buffers in it.
 */
export async function runSenders(
  plans: readonly SenderPlan[],
  tracker: DeliveryTracker,
  options: SendOptions,
): Promise<SendReport> {
  const report: SendReport = { sent: 0, acked: 0, failed: {}, elapsedMs: 0 };
  const start = performance.now();
  const end = start + options.durationMs;
  const interval = options.ratePerSecond ? 1000 / options.ratePerSecond : 0;

  const runOne = async (plan: SenderPlan, lane: number): Promise<void> => {
    const inflight = new Set<Promise<void>>();
    // Spread paced senders over the interval instead of sending in lockstep.
    const offset = (interval * lane) / Math.max(1, plans.length);
    for (let seq = 0; seq < options.maxMessages; seq++) {
      const due = start + offset + seq * interval;
      if (interval > 0) {
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
      }
      while (inflight.size >= options.window) await Promise.race(inflight);
      const sentAt = performance.now();
      if (sentAt >= end) break;
      // Timers may fire a little before `due` by performance.now(): never stamp a time in the future.
      const now = interval > 0 && options.stampDueTime ? Math.min(due, sentAt) : sentAt;
      const expectation = tracker.expect(plan.index, seq, plan.category, plan.recipients);
      report.sent++;
      const message = (async (): Promise<void> => {
        try {
          await plan.client.send(plan.target, makeText(now, plan.index, seq, options.sizeChars));
          report.acked++;
        } catch (err) {
          const reason = failureReason(err);
          report.failed[reason] = (report.failed[reason] ?? 0) + 1;
          expectation.fail();
        }
        await expectation.done;
      })();
      inflight.add(message);
      void message.finally(() => inflight.delete(message));
    }
    await Promise.all(inflight);
  };

  await Promise.all(plans.map((plan, lane) => runOne(plan, lane)));
  report.elapsedMs = performance.now() - start;
  return report;
}
