/** A live chat node as the gateway sees it. */
export interface ServerEntry {
  nodeId: string;
  /** WebSocket URL clients connect to. */
  url: string;
  /** Current WebSocket connections, as last reported by the node. */
  connections: number;
}

/**
 * Where the gateway learns which chat nodes are live. The leader keeps the
 * list; the gateway only reads it, so any number of gateways can run.
 */
export interface ServerDirectory {
  /** The live nodes; empty when none is known. Callers must not mutate it. */
  list(): Promise<readonly ServerEntry[]>;
  /** Resolves when the backing store answers, rejects otherwise (health checks). */
  check(): Promise<void>;
}
