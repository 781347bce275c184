import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';
import type { StrikeCause } from './abuse-guard';

/** Why the edge refused or cut a client. */
export type RefusalReason =
  'max_connections' | 'max_per_address' | 'login_timeout' | 'rate_abuse' | 'policy_violation';

/** What the edge reports; the node backs it with its Prometheus registry. */
export interface EdgeMetrics {
  refused(reason: RefusalReason): void;
  strike(cause: StrikeCause): void;
}

export const noEdgeMetrics: EdgeMetrics = { refused: () => undefined, strike: () => undefined };

/**
 * Counters on the node's registry: refusals by reason, strikes by cause. The
 * pipeline and the server each ask for them; the second gets the same ones.
 */
export function edgeMetrics(registry: Registry): EdgeMetrics {
  const existing = (name: string): Counter | undefined =>
    registry.getSingleMetric(name) as Counter | undefined;
  const refusals =
    existing('chat_ws_refusals_total') ??
    new Counter({
      name: 'chat_ws_refusals_total',
      help: 'Client connections refused or cut by the WebSocket edge, by reason.',
      labelNames: ['reason'],
      registers: [registry],
    });
  const strikes =
    existing('chat_ws_strikes_total') ??
    new Counter({
      name: 'chat_ws_strikes_total',
      help: 'Frames the WebSocket edge refused (rate limit, undecodable, queue full), by cause.',
      labelNames: ['cause'],
      registers: [registry],
    });
  return {
    refused: (reason) => refusals.inc({ reason }),
    strike: (cause) => strikes.inc({ cause }),
  };
}
