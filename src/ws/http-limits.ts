import http from 'node:http';

/**
 * HTTP limits of the upgrade request. A client that trickles its headers is
 * cut after headersTimeoutMs, checked every second (Node checks every 30 s by
 * default, so the cut would come anywhere up to 30 s late).
 */
export const WS_HTTP_TIMEOUTS = {
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  checkIntervalMs: 1_000,
  /** An upgrade request carries a handful of headers; this bounds what a client can make us parse. */
  maxHeaderBytes: 8 * 1024,
} as const;

/**
 * The HTTP server under the WebSocket edge: these limits, plain requests
 * answered 426, and at most `maxConnections` sockets (plus a slack for
 * handshakes in flight) before Node drops new ones at accept.
 */
export function createUpgradeServer(maxConnections: number): http.Server {
  const t = WS_HTTP_TIMEOUTS;
  const server = http.createServer(
    {
      headersTimeout: t.headersTimeoutMs,
      requestTimeout: t.requestTimeoutMs,
      keepAliveTimeout: t.keepAliveTimeoutMs,
      connectionsCheckingInterval: t.checkIntervalMs,
      maxHeaderSize: t.maxHeaderBytes,
    },
    (_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain', connection: 'close', upgrade: 'websocket' });
      res.end('This port speaks WebSocket only (subprotocols chat.v1, chat.v1.json).\n');
    },
  );
  server.maxConnections = maxConnections + 64;
  return server;
}
