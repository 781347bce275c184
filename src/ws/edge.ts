import type { MessageSink } from './server';

/**
 * Where clients connect: the WebSocket server in production; the same server
 * fed in-process sockets when a whole cluster runs in one process.
 */
export interface ClientEdge {
  /** Starts accepting clients; resolves with the URL clients use. */
  listen(): Promise<{ url: string }>;
  readonly connectionCount: number;
  /** Called with the new count whenever a connection opens or closes. */
  onCount(listener: (count: number) => void): () => void;
  /**
   * Stops accepting, lets clients finish the commands they sent (for at most
   * `drainMs`), then closes every client (1001 unless told otherwise).
   */
  close(options?: { code?: number; reason?: string; drainMs?: number }): Promise<void>;
}

/** Builds the edge once the node has its command pipeline. */
export type ClientEdgeFactory = (sink: MessageSink) => ClientEdge;
