import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { ExportStats } from './export-health';

/** The export metrics on `registry`. Values are read at scrape time: publishing pays nothing for them. */
export function registerExportMetrics(registry: Registry, stats: () => ExportStats): void {
  const read = (pick: (s: ExportStats) => number) => () => pick(stats());
  const counter = (name: string, help: string, value: () => number): void => {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(value());
      },
    });
  };
  counter(
    'chat_export_dropped_total',
    'Export records dropped: buffer full (oldest first) or unsent at shutdown.',
    read((s) => s.dropped),
  );
  counter(
    'chat_export_published_total',
    'Export records the sink accepted.',
    read((s) => s.published),
  );
  counter(
    'chat_export_failed_batches_total',
    'Export batches the sink refused or did not confirm (retried).',
    read((s) => s.failedBatches),
  );
  const buffered = read((s) => s.buffered);
  new Gauge({
    name: 'chat_export_buffer_records',
    help: 'Export records waiting to be sent.',
    registers: [registry],
    collect() {
      this.set(buffered());
    },
  });
}
