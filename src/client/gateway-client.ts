/** The chat node a gateway hands out. */
export interface PickedServer {
  nodeId: string;
  /** WebSocket URL to connect to. */
  url: string;
}

/** The gateway could not hand out a node; `status` is the HTTP status when there was an answer. */
export class GatewayError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

export interface PickServerOptions {
  /** Defaults to 5 s. */
  timeoutMs?: number;
  /** Defaults to the global fetch (tests may inject one). */
  fetch?: typeof fetch;
}

/** Asks the gateway (`GET /servers`) which chat node to connect to. */
export async function pickServer(gatewayUrl: string, options: PickServerOptions = {}): Promise<PickedServer> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const doFetch = options.fetch ?? fetch;
  let endpoint: URL;
  try {
    endpoint = new URL('servers', gatewayUrl.endsWith('/') ? gatewayUrl : `${gatewayUrl}/`);
  } catch {
    throw new GatewayError(`"${gatewayUrl}" is not a valid gateway URL (e.g. http://127.0.0.1:8080).`);
  }
  let response: Response;
  try {
    response = await doFetch(endpoint, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
      throw new GatewayError(`The gateway at ${endpoint.origin} did not answer within ${timeoutMs} ms.`);
    }
    throw new GatewayError(`Cannot reach the gateway at ${endpoint.origin}: ${describeFetchError(err)}.`);
  }
  const body = await response.text().catch(() => '');
  if (response.status === 503) {
    throw new GatewayError(
      `No chat node is up: the gateway at ${endpoint.origin} knows no live node${detail(body)}.`,
      503,
    );
  }
  if (!response.ok) {
    throw new GatewayError(
      `The gateway at ${endpoint.origin} answered ${response.status}${detail(body)}.`,
      response.status,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new GatewayError(`The gateway at ${endpoint.origin} answered with something that is not JSON.`);
  }
  if (!isPickedServer(parsed)) {
    throw new GatewayError(
      `The gateway at ${endpoint.origin} answered without a usable {nodeId, url} (url must be ws:// or wss://).`,
    );
  }
  return { nodeId: parsed.nodeId, url: parsed.url };
}

function isPickedServer(value: unknown): value is PickedServer {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.nodeId === 'string' && typeof v.url === 'string' && /^wss?:\/\//.test(v.url);
}

/** The gateway's own sentence when it sent one ({message} JSON or short text). */
function detail(body: string): string {
  if (body.trim() === '') return '';
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null) {
      const message =
        (parsed as Record<string, unknown>).message ?? (parsed as Record<string, unknown>).error;
      if (typeof message === 'string') return ` (${message.slice(0, 200)})`;
    }
  } catch {
    // not JSON: fall through to the text
  }
  return ` (${body.trim().slice(0, 200)})`;
}

function describeFetchError(err: unknown): string {
  // undici puts the system error (ECONNREFUSED, ENOTFOUND) in `cause`.
  const cause =
    err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
  if (cause?.code) return cause.code;
  if (cause?.message) return cause.message;
  return err instanceof Error ? err.message : String(err);
}
