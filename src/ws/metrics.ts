import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';
import { CloseCode, closeCodeName } from '../protocol/close-codes';
import type { StrikeCause } from './abuse-guard';

/** Why the edge refused or cut a client. */
export type RefusalReason =
  'max_connections' | 'max_per_address' | 'login_timeout' | 'rate_abuse' | 'policy_violation';

/** What the edge reports; the node backs it with its Prometheus registry. */
export interface EdgeMetrics {
  refused(reason: RefusalReason): void;
  strike(cause: StrikeCause): void;
  /** A client connection was accepted. */
  opened(): void;
  /** An accepted connection closed with this code (the one this side chose, or the client's). */
  closed(code: number): void;
}

export const noEdgeMetrics: EdgeMetrics = {
  refused: () => undefined,
  strike: () => undefined,
  opened: () => undefined,
  closed: () => undefined,
};

/**
 * Counters on the node's registry: refusals by reason, strikes by cause,
 * connections opened and closed. The pipeline and the server each ask for
 * them; the second gets the same ones.
 */
export function edgeMetrics(registry: Registry): EdgeMetrics {
  const counter = (name: string, help: string, labelNames: string[] = []): Counter =>
    (registry.getSingleMetric(name) as Counter | undefined) ??
    new Counter({ name, help, labelNames, registers: [registry] });
  const refusals = counter(
    'chat_ws_refusals_total',
    'Client connections refused or cut by the WebSocket edge, by reason.',
    ['reason'],
  );
  const strikes = counter(
    'chat_ws_strikes_total',
    'Frames the WebSocket edge refused (rate limit, undecodable, queue full), by cause.',
    ['cause'],
  );
  const opened = counter('chat_ws_connections_opened_total', 'Client connections accepted.');
  const closed = counter(
    'chat_ws_connections_closed_total',
    'Accepted client connections that closed, by close code name.',
    ['code'],
  );
  const slow = counter(
    'chat_ws_slow_consumers_total',
    'Clients disconnected for not reading their data (close 4002 SLOW_CONSUMER).',
  );
  return {
    refused: (reason) => refusals.inc({ reason }),
    strike: (cause) => strikes.inc({ cause }),
    opened: () => opened.inc(),
    closed: (code) => {
      const name = closeCodeName(code);
      // Clients choose their own codes: unknown ones share one label, so a client cannot add series.
      closed.inc({ code: name.startsWith('CODE_') ? 'OTHER' : name });
      if (code === CloseCode.SLOW_CONSUMER) slow.inc();
    },
  };
}
