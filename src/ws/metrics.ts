import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';
import { CloseCode, closeCodeName } from '../protocol/close-codes';
import type { StrikeCause } from './abuse-guard';
import type { ClientConnection } from './connection';

/** Why the edge refused or cut a client. */
export type RefusalReason =
  'max_connections' | 'max_per_address' | 'login_timeout' | 'rate_abuse' | 'policy_violation';

/** What the edge reports; the node backs it with its Prometheus registry. */
export interface EdgeMetrics {
  refused(reason: RefusalReason): void;
  strike(cause: StrikeCause): void;
}

export const noEdgeMetrics: EdgeMetrics = { refused: () => undefined, strike: () => undefined };

function counter(registry: Registry, name: string, help: string, labelNames: string[] = []): Counter {
  return (
    (registry.getSingleMetric(name) as Counter | undefined) ??
    new Counter({ name, help, labelNames, registers: [registry] })
  );
}

/**
 * Counters on the node's registry: refusals by reason, strikes by cause. The
 * pipeline and the server each ask for them; the second gets the same ones.
 */
export function edgeMetrics(registry: Registry): EdgeMetrics {
  const refusals = counter(
    registry,
    'chat_ws_refusals_total',
    'Client connections refused or cut by the WebSocket edge, by reason.',
    ['reason'],
  );
  const strikes = counter(
    registry,
    'chat_ws_strikes_total',
    'Frames the WebSocket edge refused (rate limit, undecodable, queue full), by cause.',
    ['cause'],
  );
  return {
    refused: (reason) => refusals.inc({ reason }),
    strike: (cause) => strikes.inc({ cause }),
  };
}

/**
 * Connections accepted and closed (by close code name), and slow consumers
 * cut: a listener for the edge's `onConnection`.
 */
export function connectionMetrics(registry: Registry): (conn: ClientConnection) => void {
  const opened = counter(registry, 'chat_ws_connections_opened_total', 'Client connections accepted.');
  const closed = counter(
    registry,
    'chat_ws_connections_closed_total',
    'Accepted client connections that closed, by close code name.',
    ['code'],
  );
  const slow = counter(
    registry,
    'chat_ws_slow_consumers_total',
    'Clients disconnected for not reading their data (close 4002 SLOW_CONSUMER).',
  );
  return (conn) => {
    opened.inc();
    conn.onClose((code) => {
      const name = closeCodeName(code);
      // Clients choose their own codes: unknown ones share one label, so a client cannot add series.
      closed.inc({ code: name.startsWith('CODE_') ? 'OTHER' : name });
      if (code === CloseCode.SLOW_CONSUMER) slow.inc();
    });
  };
}
