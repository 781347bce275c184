/**
 * The error hierarchy users can hit. Each edge maps these once: to an Error
 * frame on WebSocket, to a gRPC status on the internal port. `code` follows
 * HTTP status semantics; `reason` is a stable machine-readable name.
 */
export class ChatError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class InvalidArgument extends ChatError {
  constructor(message: string, reason = 'INVALID_ARGUMENT') {
    super(400, reason, message);
  }
}

export class Unauthenticated extends ChatError {
  constructor(message = 'Log in first.', reason = 'UNAUTHENTICATED') {
    super(401, reason, message);
  }
}

export class Forbidden extends ChatError {
  constructor(message: string, reason = 'FORBIDDEN') {
    super(403, reason, message);
  }
}

export class NotFound extends ChatError {
  constructor(message: string, reason = 'NOT_FOUND') {
    super(404, reason, message);
  }
}

export class Conflict extends ChatError {
  constructor(message: string, reason = 'CONFLICT') {
    super(409, reason, message);
  }
}

export class TooLarge extends ChatError {
  constructor(message: string, reason = 'TOO_LARGE') {
    super(413, reason, message);
  }
}

export class RateLimited extends ChatError {
  /**
   * @param retryAfterMs when the server knows how long the client must wait
   *   (a login backoff); it travels in Error.retry_after_ms as well as in the message.
   */
  constructor(
    message: string,
    reason = 'RATE_LIMITED',
    readonly retryAfterMs = 0,
  ) {
    super(429, reason, message);
  }
}

export class Unavailable extends ChatError {
  constructor(message: string, reason = 'UNAVAILABLE') {
    super(503, reason, message);
  }
}

/** A frame that cannot be decoded; never crashes the connection's node. */
export class MalformedFrame extends ChatError {
  constructor(message: string) {
    super(400, 'MALFORMED_FRAME', message);
  }
}

/** The wire form (chat.v1.Error): every field present, 0 for no delay. */
export function toWireError(err: unknown): Required<ErrorReply> {
  return { retryAfterMs: 0, ...toErrorReply(err) };
}

export interface ErrorReply {
  code: number;
  reason: string;
  message: string;
  /** Only when the server names a delay (429 with a backoff). */
  retryAfterMs?: number;
}

/**
 * Turns anything thrown into what a client may see. Unknown errors become a
 * generic message; the caller logs the original with its stack.
 */
export function toErrorReply(err: unknown): ErrorReply {
  if (err instanceof ChatError) {
    const reply: ErrorReply = { code: err.code, reason: err.reason, message: err.message };
    if (err instanceof RateLimited && err.retryAfterMs > 0) reply.retryAfterMs = err.retryAfterMs;
    return reply;
  }
  if (isBackendOutage(err)) {
    return {
      code: 503,
      reason: 'BACKEND_UNAVAILABLE',
      message:
        'A storage service is unreachable right now; retry (with the same idempotency key for a send).',
    };
  }
  return { code: 500, reason: 'INTERNAL', message: 'Internal error; the server logged the details.' };
}

const OUTAGE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTCONN',
]);

/**
 * A Redis (ioredis) or network failure that passes when the service comes
 * back: the client should retry, so it is a 503, not a 500.
 */
function isBackendOutage(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && OUTAGE_CODES.has(code)) return true;
  return (
    err.name === 'MaxRetriesPerRequestError' ||
    /Connection is closed|Stream isn't writeable|enableOfflineQueue options is false/.test(err.message)
  );
}
