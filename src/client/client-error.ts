/**
 * A failed request. `code`/`reason` come from the server's Error reply; local
 * failures use code 0 with reason TIMEOUT, CLOSED, CONNECT_FAILED or UNEXPECTED_REPLY.
 */
export class ChatClientError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    /** The command that failed, when there was one. */
    readonly command?: string,
    /** For a 429 that names its delay (Error.retry_after_ms); 0 otherwise. */
    readonly retryAfterMs = 0,
  ) {
    super(message);
    this.name = 'ChatClientError';
  }
}
