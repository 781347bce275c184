import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';
import type { HookRunner, PluginCounters } from './hook-runner';

const COUNTERS: { key: Exclude<keyof PluginCounters, 'plugin'>; name: string; help: string }[] = [
  { key: 'calls', name: 'chat_plugin_calls_total', help: 'Plugin hook calls started.' },
  { key: 'failures', name: 'chat_plugin_failures_total', help: 'Plugin hook calls that threw (fail-open).' },
  {
    key: 'timeouts',
    name: 'chat_plugin_timeouts_total',
    help: 'Plugin hook calls that did not finish in time.',
  },
  { key: 'rejections', name: 'chat_plugin_rejections_total', help: 'Actions refused by a before hook.' },
  {
    key: 'skipped',
    name: 'chat_plugin_skipped_total',
    help: 'After-hook calls skipped: too many unfinished.',
  },
];

/**
 * Exposes the runner's per-plugin counters (label `plugin`) in `registry`.
 * Values are read at scrape time, so the hook path pays nothing for metrics.
 */
export function registerHookMetrics(runner: HookRunner, registry: Registry): void {
  for (const { key, name, help } of COUNTERS) {
    new Counter({
      name,
      help,
      labelNames: ['plugin'],
      registers: [registry],
      collect() {
        this.reset();
        for (const counters of runner.stats()) this.inc({ plugin: counters.plugin }, counters[key]);
      },
    });
  }
}
