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
    /** The gateway's reason (e.g. NO_NODE, DIRECTORY_UNAVAILABLE), when it gave one. */
    readonly reason?: string,
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
  const said = gatewayError(body);
  if (response.status === 503 && (said.reason === undefined || said.reason === 'NO_NODE')) {
    throw new GatewayError(
      `No chat node is up: the gateway at ${endpoint.origin} knows no live node${quote(said.message)}.`,
      503,
      said.reason ?? 'NO_NODE',
    );
  }
  if (!response.ok) {
    throw new GatewayError(
      `The gateway at ${endpoint.origin} answered ${response.status}${quote(said.message)}.`,
      response.status,
      said.reason,
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

/** The gateway's own error ({error: {reason, message}} JSON, or short text). */
function gatewayError(body: string): { reason?: string; message?: string } {
  if (body.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(body);
    const error =
      typeof parsed === 'object' && parsed !== null ? (parsed as { error?: unknown }).error : undefined;
    if (typeof error === 'object' && error !== null) {
      const { reason, message } = error as Record<string, unknown>;
      return {
        reason: typeof reason === 'string' ? reason : undefined,
        message: typeof message === 'string' ? message : undefined,
      };
    }
  } catch {
    // not JSON: quote the text
  }
  return { message: body.trim() };
}

function quote(message: string | undefined): string {
  return message === undefined || message === '' ? '' : ` (${message.slice(0, 200)})`;
}

function describeFetchError(err: unknown): string {
  // undici puts the system error (ECONNREFUSED, ENOTFOUND) in `cause`.
  const cause =
    err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
  if (cause?.code) return cause.code;
  if (cause?.message) return cause.message;
  return err instanceof Error ? err.message : String(err);
}
