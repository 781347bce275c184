import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from '../core/logger';
import type { StoreWriteStats } from '../store/types';
import { toErrorReply } from '../core/errors';
import type { CommandInterceptor, CommandResult } from '../ws';
import { eventLoopDelayMetrics } from './event-loop-metrics';

/** prom-client's own delay histogram feeds only the gauges replaced below, so its timer fires once a minute. */
const UNREAD_HISTOGRAM_MS = 60_000;

/**
 * prom-client's process metrics, less three gauges named like counters
 * (`promtool check metrics` refuses them); their per-type twins
 * (`nodejs_active_handles{type}` ...) stay and sum to the same totals. The
 * event-loop delay gauges are this project's (event-loop-metrics.ts).
 */
export function processMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: UNREAD_HISTOGRAM_MS });
  for (const name of [
    'nodejs_active_handles_total',
    'nodejs_active_requests_total',
    'nodejs_active_resources_total',
  ])
    registry.removeSingleMetric(name);
  eventLoopDelayMetrics(registry);
}

/** The node's Prometheus registry with process metrics and the chat command metrics. */
export function createRegistry(nodeId: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ node: nodeId });
  processMetrics(registry);
  return registry;
}

/** Counts and times every client command by name and outcome (ok or the error reason). */
export function commandMetrics(registry: Registry): CommandInterceptor {
  const commands = new Counter({
    name: 'chat_commands_total',
    help: 'Client commands handled, by command and outcome.',
    labelNames: ['command', 'outcome'],
    registers: [registry],
  });
  const seconds = new Histogram({
    name: 'chat_command_seconds',
    help: 'Time to handle a client command.',
    labelNames: ['command'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  // then() on the chain's promise, not an async function around it: one promise per
  // command instead of three, on the path every message takes.
  return (ctx, next) => {
    const command = ctx.command;
    const stop = seconds.startTimer({ command });
    const failed = (err: unknown): never => {
      stop();
      commands.inc({ command, outcome: toErrorReply(err).reason });
      throw err;
    };
    let result: Promise<CommandResult>;
    try {
      result = next(ctx);
    } catch (err) {
      return failed(err);
    }
    return result.then((value) => {
      stop();
      commands.inc({ command, outcome: 'ok' });
      return value;
    }, failed);
  };
}

/** The store's group commits, read when scraped (commits per second = rate of the first). */
export function storeMetrics(registry: Registry, stats: () => StoreWriteStats | undefined): void {
  const counter = (name: string, help: string, read: (s: StoreWriteStats) => number): void => {
    new Counter({
      name,
      help,
      registers: [registry],
      // The writer counts on its own; a scrape copies its totals.
      collect() {
        const s = stats();
        if (!s) return;
        this.reset();
        this.inc(read(s));
      },
    });
  };
  counter(
    'chat_store_commits_total',
    'Store transactions committed (each carries a batch of writes).',
    (s) => s.commits,
  );
  counter(
    'chat_store_writes_total',
    'Writes committed to the store (messages, memberships, users).',
    (s) => s.rows,
  );
  counter(
    'chat_store_lock_waits_total',
    'Batches that found the write lock held by another process and waited without blocking.',
    (s) => s.lockRetries,
  );
  new Gauge({
    name: 'chat_store_wal_bytes',
    help: "Bytes in the SQLite WAL at the last checkpoint, on the node that checkpoints the machine's file (0 on the others).",
    registers: [registry],
    collect() {
      this.set(stats()?.walBytes ?? 0);
    },
  });
}

/**
 * The store's commit latency: how long the oldest write of each commit waited
 * to be committed (queue, commit window, lock waits). Returns the observer
 * the store calls after each commit.
 */
export function storeCommitLatency(registry: Registry): (waitedMs: number) => void {
  const seconds = new Histogram({
    name: 'chat_store_commit_seconds',
    help: 'Time from the oldest write of a store commit being queued to the commit (SQLite).',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  return (waitedMs) => seconds.observe(waitedMs / 1000);
}

/** GET /metrics on an internal address; anything else is 404. */
export async function serveMetrics(
  registry: Registry,
  host: string,
  port: number,
  logger: Logger,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Only GET /metrics is served here.\n');
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
      (err: unknown) => {
        logger.warn({ event: 'metrics_failed', err }, 'could not render metrics');
        res.writeHead(500).end();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  const url = `http://${host}:${bound}/metrics`;
  logger.info({ event: 'metrics_listening', url }, 'metrics endpoint listening');
  return { url, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
