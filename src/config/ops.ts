import type { EnvReader } from './env-reader';

export interface MetricsConfig {
  host: string;
  /** Undefined: no /metrics endpoint. */
  port: number | undefined;
}

export interface AdminConsoleConfig {
  host: string;
  /** Undefined: no console. */
  port: number | undefined;
  /** Bearer token (or the console's login form); undefined = certificate only. */
  token: string | undefined;
  /** HTTPS with the node's certificate; a client certificate with OU=admin needs no token. */
  tls: boolean;
}

/** The Prometheus endpoint of a node or a gateway process. */
export function readMetricsConfig(v: EnvReader): MetricsConfig {
  return {
    host: v.string(
      'METRICS_HOST',
      '127.0.0.1',
      'Address of the Prometheus /metrics endpoint (keep it internal).',
    ),
    port: v.optionalPort(
      'METRICS_PORT',
      'Port of the Prometheus /metrics endpoint; unset = no endpoint, 0 = a free port.',
    ),
  };
}

/** A token shorter than this is refused: it guards kicking users and stopping nodes. */
const MIN_TOKEN_LENGTH = 16;

/** The web console of a node: where, and how operators prove who they are. */
export function readAdminConsoleConfig(v: EnvReader): AdminConsoleConfig {
  const config: AdminConsoleConfig = {
    host: v.string(
      'ADMIN_HOST',
      '127.0.0.1',
      'Address of the web console (cluster view, kick, drain); keep it on loopback or an internal network.',
    ),
    port: v.optionalPort('ADMIN_PORT', 'Port of the web console; unset = no console, 0 = a free port.'),
    token: v.optional(
      'ADMIN_TOKEN',
      `Secret that opens the web console (at least ${MIN_TOKEN_LENGTH} characters); never logged.`,
    ),
    tls: v.bool(
      'ADMIN_TLS',
      false,
      "Serve the console over HTTPS with the node's certificate; a client certificate of the cluster CA with OU=admin opens it without the token.",
    ),
  };
  if (config.port !== undefined && config.token === undefined && !config.tls) {
    v.conflict('ADMIN_PORT is set but neither ADMIN_TOKEN nor ADMIN_TLS=true protects the console.');
  }
  if (config.token !== undefined && config.token.length < MIN_TOKEN_LENGTH) {
    v.conflict(`ADMIN_TOKEN must be at least ${MIN_TOKEN_LENGTH} characters long.`);
  }
  return config;
}
