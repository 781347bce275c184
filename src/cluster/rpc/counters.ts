/** Traffic counters of one link endpoint; tests use them to check batching and drops. */
export interface LinkStats {
  /** gRPC messages (LinkRequest/LinkResponse) written. */
  messagesSent: number;
  /** Frames inside those messages. */
  framesSent: number;
  messagesReceived: number;
  framesReceived: number;
  /** Frames refused because a peer's queue was at its bound (backpressure). */
  framesDropped: number;
  /** Frames still queued when their stream broke. */
  framesLost: number;
  /** Incoming frames ignored because they carried an older leader epoch. */
  staleFramesDropped: number;
}

export function emptyStats(): LinkStats {
  return {
    messagesSent: 0,
    framesSent: 0,
    messagesReceived: 0,
    framesReceived: 0,
    framesDropped: 0,
    framesLost: 0,
    staleFramesDropped: 0,
  };
}
