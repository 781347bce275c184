import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

/** What the gateway reports about its requests; `prometheusGatewayMetrics` backs it. */
export interface GatewayMetrics {
  /** One answered request: path (/servers, /healthz or other), status, seconds taken. */
  request(path: string, status: number, seconds: number): void;
  /** Live chat nodes in the server list the gateway last read. */
  nodes(count: number): void;
}

export const noGatewayMetrics: GatewayMetrics = { request: () => undefined, nodes: () => undefined };

const KNOWN_PATHS = new Set(['/servers', '/healthz']);

/** The path as a label: known routes by name, everything else as one value (bounded series). */
export function pathLabel(path: string): string {
  return KNOWN_PATHS.has(path) ? path : 'other';
}

export function prometheusGatewayMetrics(registry: Registry): GatewayMetrics {
  const requests = new Counter({
    name: 'chat_gateway_requests_total',
    help: 'HTTP requests answered by the gateway, by path and status code.',
    labelNames: ['path', 'status'],
    registers: [registry],
  });
  const seconds = new Histogram({
    name: 'chat_gateway_request_seconds',
    help: 'Time to answer an HTTP request (rate limit, server list, strategy).',
    labelNames: ['path'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  const nodes = new Gauge({
    name: 'chat_gateway_nodes_available',
    help: 'Live chat nodes in the server list the gateway last read.',
    registers: [registry],
  });
  return {
    request: (path, status, s) => {
      const label = pathLabel(path);
      requests.inc({ path: label, status: String(status) });
      seconds.observe({ path: label }, s);
    },
    nodes: (count) => nodes.set(count),
  };
}
