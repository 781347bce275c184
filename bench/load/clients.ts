/**
 * What the load generator drives: a logged-in chat user, or a user of the
 * baseline relay. Both send the same commands with the same texts, so the
 * same senders and trackers measure either.
 */
export type Target = { kind: 'user'; name: string } | { kind: 'room'; name: string } | { kind: 'world' };

export interface LoadClient {
  readonly user: string;
  /** Resolves on the server's acknowledgement; rejects with an error carrying `reason`. */
  send(target: Target, text: string): Promise<void>;
  /** Every chat text pushed to this user. */
  onText(listener: (text: string) => void): void;
  close(): Promise<void>;
}

export interface Placement {
  /** WebSocket URL of the chat node (or the relay) this user connects to. */
  url: string;
  /** Groups the relay should deliver to this user (the cluster knows them from its own state). */
  groups: readonly string[];
}

export interface LoadTransport {
  readonly name: string;
  connect(user: string, placement: Placement): Promise<LoadClient>;
}

/** A short, stable name for a failed send: the server's reason, or the error's class. */
export function failureReason(err: unknown): string {
  if (err && typeof err === 'object' && 'reason' in err && typeof err.reason === 'string') return err.reason;
  return err instanceof Error ? err.name : 'UNKNOWN';
}
