import { performance } from 'node:perf_hooks';
import { LatencyHistogram } from './histogram';
import { messageKey, parseText } from './payload';

export interface CategoryStats {
  /** Send → receive, one sample per delivery. */
  latency: LatencyHistogram;
  /** Deliveries that arrived in time. */
  deliveries: number;
  /** Messages that reached every expected recipient. */
  completed: number;
  /** Messages that timed out or failed before reaching every recipient. */
  incomplete: number;
  /** Deliveries that never came for incomplete messages. */
  missingDeliveries: number;
  /** performance.now() of the first send and the last delivery. */
  firstSendMs: number;
  lastDeliveryMs: number;
}

interface OpenMessage {
  category: CategoryStats;
  remaining: number;
  timer: NodeJS.Timeout;
  finish: (complete: boolean) => void;
}

export interface Expectation {
  /** Resolves true when every delivery arrived, false on timeout or failure. */
  done: Promise<boolean>;
  /** The send failed: no delivery will come. */
  fail(): void;
}

/**
 * Matches received texts to sent messages by the stamp in the text, records
 * one latency sample per delivery and tells senders when a message is done.
 */
export class DeliveryTracker {
  private readonly open = new Map<string, OpenMessage>();
  private readonly stats = new Map<string, CategoryStats>();
  /** Deliveries of messages no longer tracked: late (after the timeout) or duplicates. */
  unexpected = 0;

  constructor(private readonly timeoutMs: number) {}

  category(name: string): CategoryStats {
    let stats = this.stats.get(name);
    if (!stats) {
      stats = {
        latency: new LatencyHistogram(),
        deliveries: 0,
        completed: 0,
        incomplete: 0,
        missingDeliveries: 0,
        firstSendMs: Infinity,
        lastDeliveryMs: 0,
      };
      this.stats.set(name, stats);
    }
    return stats;
  }

  categories(): Map<string, CategoryStats> {
    return this.stats;
  }

  expect(sender: number, seq: number, category: string, recipients: number): Expectation {
    const stats = this.category(category);
    stats.firstSendMs = Math.min(stats.firstSendMs, performance.now());
    const key = messageKey(sender, seq);
    let finish: (complete: boolean) => void = () => undefined;
    const done = new Promise<boolean>((resolve) => {
      finish = (complete) => {
        const entry = this.open.get(key);
        if (!entry) return;
        clearTimeout(entry.timer);
        this.open.delete(key);
        if (complete) stats.completed++;
        else {
          stats.incomplete++;
          stats.missingDeliveries += entry.remaining;
        }
        resolve(complete);
      };
    });
    const timer = setTimeout(() => finish(false), this.timeoutMs);
    this.open.set(key, { category: stats, remaining: recipients, timer, finish });
    return { done, fail: () => finish(false) };
  }

  /** Call for every text any load client receives. */
  onText(text: string): void {
    const now = performance.now();
    const stamp = parseText(text);
    if (!stamp) return;
    const entry = this.open.get(messageKey(stamp.sender, stamp.seq));
    if (!entry) {
      this.unexpected++;
      return;
    }
    const stats = entry.category;
    stats.latency.record(now - stamp.sentMs);
    stats.deliveries++;
    stats.lastDeliveryMs = now;
    if (--entry.remaining <= 0) entry.finish(true);
  }

  /** Gives up on whatever is still open (used when a run is cut short). */
  abandon(): void {
    for (const entry of [...this.open.values()]) entry.finish(false);
  }
}
