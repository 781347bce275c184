import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { IntervalHistogram } from 'node:perf_hooks';
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

/**
 * How often the event loop is sampled, ms. prom-client samples every 10 ms: a
 * native timer that wakes an idle process 100 times a second, about 1 % of a
 * core per process on a 2-core VM (three idle nodes spent 3 % of a core on
 * it). At 100 ms it costs a tenth of that; a stall of 100 ms or more is always
 * seen, a shorter one with a chance of its length over 100 ms.
 */
const EVENT_LOOP_SAMPLE_MS = 100;

/** The statistics prom-client reports, each read from the histogram in nanoseconds. */
const STATS: ReadonlyArray<{
  name: string;
  help: string;
  read: (h: IntervalHistogram) => number;
  /** A spread, not a delay: the sampling interval is not taken off. */
  spread?: true;
}> = [
  { name: 'min', help: 'least', read: (h) => h.min },
  { name: 'max', help: 'greatest', read: (h) => h.max },
  { name: 'mean', help: 'mean', read: (h) => h.mean },
  { name: 'stddev', help: 'standard deviation of the', read: (h) => h.stddev, spread: true },
  { name: 'p50', help: 'median', read: (h) => h.percentile(50) },
  { name: 'p90', help: '90th percentile', read: (h) => h.percentile(90) },
  { name: 'p99', help: '99th percentile', read: (h) => h.percentile(99) },
];

/**
 * `nodejs_eventloop_lag_{min,max,mean,stddev,p50,p90,p99}_seconds` from a
 * timer every EVENT_LOOP_SAMPLE_MS, in place of prom-client's (call after
 * collectDefaultMetrics). Node's histogram records the time between two
 * firings, so prom-client's figures include the interval (an idle process
 * reads 10 ms); these take it off, so they say how late the loop ran the
 * timer: 0 when idle. Each scrape reports what was seen since the last one.
 */
export function eventLoopDelayMetrics(registry: Registry): void {
  const histogram = monitorEventLoopDelay({ resolution: EVENT_LOOP_SAMPLE_MS });
  histogram.enable();
  const intervalNs = EVENT_LOOP_SAMPLE_MS * 1e6;
  // One collect sets them all (the first gauge's: the registry scrapes in order), then starts a new window.
  const collect = (): void => {
    STATS.forEach((stat, i) => {
      const ns = histogram.count === 0 ? 0 : stat.read(histogram);
      gauges[i]?.set(stat.spread ? ns / 1e9 : Math.max(0, ns - intervalNs) / 1e9);
    });
    histogram.reset();
  };
  const gauges: Gauge[] = STATS.map((stat, i) => {
    const name = `nodejs_eventloop_lag_${stat.name}_seconds`;
    registry.removeSingleMetric(name);
    return new Gauge({
      name,
      help: `The ${stat.help} event-loop delay since the last scrape (how late a timer every ${EVENT_LOOP_SAMPLE_MS} ms ran).`,
      registers: [registry],
      ...(i === 0 ? { collect } : {}),
    });
  });
}
