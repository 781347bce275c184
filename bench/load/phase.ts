import { MemorySampler } from '../support/proc-stats';
import type { MemoryReport } from '../support/proc-stats';
import { LatencyHistogram } from './histogram';
import type { LatencySummary } from './histogram';
import { runSenders } from './senders';
import type { SendOptions, SendReport, SenderPlan } from './senders';
import { DeliveryTracker } from './tracker';

/** Sends every received text to the tracker of the phase being measured. */
export class TextRouter {
  current: DeliveryTracker | undefined;
  readonly onText = (text: string): void => this.current?.onText(text);
}

export interface CategoryResult {
  sent: number;
  deliveries: number;
  /** Messages that reached all their recipients in time. */
  completed: number;
  incomplete: number;
  missingDeliveries: number;
  /** Deliveries per second between the first send and the last delivery. */
  perSecond: number;
  latency: LatencySummary;
}

export interface PhaseResult {
  send: SendReport;
  categories: Record<string, CategoryResult>;
  /** All categories together. */
  total: CategoryResult;
  /** Deliveries after their message's timeout, or of messages not sent in this phase. */
  unexpectedDeliveries: number;
  memory: MemoryReport;
  /** The same for the shared infrastructure (Redis), reported apart from the servers. */
  infrastructure: MemoryReport;
  /** CPU the load generator itself used during the phase: a saturated generator caps every figure. */
  loadGeneratorCpuMs: number;
}

export interface PhaseOptions extends SendOptions {
  /** Sent first and discarded, so that JIT warm-up and first-time allocations do not count. */
  warmupMs: number;
  /** A message not fully delivered after this long counts as incomplete. */
  deliveryTimeoutMs: number;
  /** Server processes whose memory and CPU are reported. */
  processes: ReadonlyArray<{ name: string; pid: number }>;
  /** Shared services the servers use (Redis), whose CPU is reported apart. */
  infrastructure?: ReadonlyArray<{ name: string; pid: number }>;
  /** Called right before and right after the measured run (e.g. to snapshot Redis counters). */
  aroundMeasure?: { before: () => Promise<void>; after: () => Promise<void> };
  /** The same around the warm-up, for observations that would disturb the measured run. */
  aroundWarmup?: { before: () => Promise<void>; after: () => Promise<void> };
}

/** Warm-up, then one measured run of `plans`, with memory sampling of the server processes. */
export async function runPhase(
  plans: readonly SenderPlan[],
  router: TextRouter,
  options: PhaseOptions,
): Promise<PhaseResult> {
  if (options.warmupMs > 0) {
    router.current = new DeliveryTracker(options.deliveryTimeoutMs);
    await options.aroundWarmup?.before();
    // Distinct sender numbers, so a late warm-up delivery cannot pass for a measured one.
    const warmPlans = plans.map((plan) => ({ ...plan, index: plan.index + 1_000_000 }));
    await runSenders(warmPlans, router.current, {
      ...options,
      durationMs: options.warmupMs,
      maxMessages: Math.max(1, Math.ceil(options.maxMessages / 10)),
    });
    await options.aroundWarmup?.after();
  }
  const tracker = new DeliveryTracker(options.deliveryTimeoutMs);
  router.current = tracker;
  await options.aroundMeasure?.before();
  const sampler = new MemorySampler(options.processes).start();
  const infraSampler = new MemorySampler(options.infrastructure ?? [], 1000).start();
  const cpuBefore = process.cpuUsage();
  const send = await runSenders(plans, tracker, options);
  const cpu = process.cpuUsage(cpuBefore);
  const memory = sampler.stop();
  const infrastructure = infraSampler.stop();
  await options.aroundMeasure?.after();
  tracker.abandon();
  router.current = undefined;

  const categories: Record<string, CategoryResult> = {};
  let first = Infinity;
  let last = 0;
  const total = emptyCategory();
  const totalLatency = new LatencyHistogram();
  for (const [name, stats] of tracker.categories()) {
    const span = (stats.lastDeliveryMs - stats.firstSendMs) / 1000;
    const sent = stats.completed + stats.incomplete;
    categories[name] = {
      sent,
      deliveries: stats.deliveries,
      completed: stats.completed,
      incomplete: stats.incomplete,
      missingDeliveries: stats.missingDeliveries,
      perSecond: span > 0 ? stats.deliveries / span : 0,
      latency: stats.latency.summary(),
    };
    first = Math.min(first, stats.firstSendMs);
    last = Math.max(last, stats.lastDeliveryMs);
    total.sent += sent;
    total.deliveries += stats.deliveries;
    total.completed += stats.completed;
    total.incomplete += stats.incomplete;
    total.missingDeliveries += stats.missingDeliveries;
    totalLatency.merge(stats.latency);
  }
  const span = (last - first) / 1000;
  total.perSecond = span > 0 ? total.deliveries / span : 0;
  total.latency = totalLatency.summary();
  return {
    send,
    categories,
    total,
    unexpectedDeliveries: tracker.unexpected,
    memory,
    infrastructure,
    loadGeneratorCpuMs: (cpu.user + cpu.system) / 1000,
  };
}

function emptyCategory(): CategoryResult {
  return {
    sent: 0,
    deliveries: 0,
    completed: 0,
    incomplete: 0,
    missingDeliveries: 0,
    perSecond: 0,
    latency: { count: 0, minMs: 0, meanMs: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0 },
  };
}
