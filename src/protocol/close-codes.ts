/**
 * WebSocket close codes the chat node uses. 1xxx codes are the standard ones
 * (1009 is sent by `ws` itself when a frame passes maxPayload); 4xxx codes are
 * ours and tell a client why it was disconnected, so it can decide whether
 * reconnecting makes sense.
 */
export const CloseCode = {
  NORMAL: 1000,
  /** The node stops; reconnect through the gateway. */
  GOING_AWAY: 1001,
  /** The client kept sending frames that break the protocol (undecodable, wrongly typed fields). */
  POLICY_VIOLATION: 1008,
  /** Sent by `ws` for a frame larger than the node's limit. */
  MESSAGE_TOO_BIG: 1009,
  /** The node is at its connection limit; try again later (or another node). */
  TRY_AGAIN_LATER: 1013,
  /** A newer login of the same user (on any node) replaced this connection. */
  REPLACED: 4000,
  /** The client kept sending past its rate limit. */
  RATE_ABUSE: 4001,
  /** The client did not read what the node sent and its send buffer passed the bound. */
  SLOW_CONSUMER: 4002,
  /** The node shuts down on purpose (drain); reconnect through the gateway. */
  SERVER_SHUTDOWN: 4003,
  /** An operator or the chat layer removed the user. */
  KICKED: 4004,
  /** The connection did not log in within the login deadline. */
  LOGIN_TIMEOUT: 4005,
} as const;

export type CloseCodeName = keyof typeof CloseCode;

/** Name of a close code for logs and client messages, e.g. 4002 → "SLOW_CONSUMER". */
export function closeCodeName(code: number): string {
  for (const [name, value] of Object.entries(CloseCode)) {
    if (value === code) return name;
  }
  if (code === 1005) return 'NO_STATUS';
  if (code === 1006) return 'ABNORMAL';
  return `CODE_${code}`;
}

/** Subprotocols of the client WebSocket: binary protobuf (default) and JSON text for debugging. */
export const SUBPROTOCOL_BINARY = 'chat.v1';
export const SUBPROTOCOL_JSON = 'chat.v1.json';
