import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { RawData } from 'ws';
import type { Duplex } from 'node:stream';
import type { Logger } from '../core/logger';
import { CloseCode, SUBPROTOCOL_BINARY, SUBPROTOCOL_JSON } from '../protocol/close-codes';
import { Admission, loginDeadline, writeRefusal } from './admission';
import type { AdmissionLimits, Refusal } from './admission';
import type { ClientSocket } from './client-socket';
import { ClientConnection } from './connection';
import type { ClientEdge } from './edge';
import { effectiveConnectionCap } from './fd-limit';
import { createUpgradeServer } from './http-limits';
import { noEdgeMetrics } from './metrics';
import type { EdgeMetrics } from './metrics';
import { subscribe } from '../core/subscribe';
import { drainConnections } from './drain';
import { WriteCoalescer } from './write-coalescer';
import type { Corkable } from './write-coalescer';

/** Turns WebSocket messages into commands; CommandPipeline is the real one. */
export interface MessageSink {
  handleMessage(conn: ClientConnection, data: RawData, isBinary: boolean): void;
}

export interface WsLimits {
  /** Largest message; bigger ones close the connection with 1009. */
  maxFrameBytes: number;
  /** Ping interval; a client that did not pong since the previous ping is dropped. */
  heartbeatMs: number;
  /** Unsent bytes past which a client is a slow consumer. */
  maxBufferedBytes: number;
  /** A connection that has not logged in this long after connecting is closed (4005). 0 = never. */
  loginTimeoutMs: number;
}

export interface WsServerOptions {
  /** Where `listen()` binds when given no address (0 = a free port). */
  host?: string;
  port?: number;
  limits: WsLimits & AdmissionLimits;
  sink: MessageSink;
  logger: Logger;
  /** Refusals and strikes (edgeMetrics over the node's registry). */
  metrics?: EdgeMetrics;
  /** Commands waiting or running per connection; defaults to 64. */
  maxPendingCommands?: number;
  /** Commands of one connection that may overlap; defaults to 1 (strictly one after another). */
  maxInFlightCommands?: number;
  /** How long a close handshake may take before the socket is destroyed; defaults to 2000 ms. */
  closeGraceMs?: number;
}

export interface WsCloseOptions {
  /** Defaults to 1001 (going away). */
  code?: number;
  reason?: string;
  /**
   * First let every connection finish the commands it already sent (new ones
   * are refused with 503 SERVER_DRAINING), for at most this long.
   */
  drainMs?: number;
}

/**
 * The client-facing WebSocket edge: explicit limits (frame size, no
 * compression, heartbeat), one ClientConnection per socket, a live
 * connection count for load reporting, and an idempotent shutdown.
 */
export class WsServer implements ClientEdge {
  private readonly http: http.Server;
  private readonly wss: WebSocketServer;
  private readonly live = new Set<ClientConnection>();
  private readonly connectionListeners: Array<(conn: ClientConnection) => void> = [];
  private readonly countListeners: Array<(count: number) => void> = [];
  private readonly logger: Logger;
  private readonly metrics: EdgeMetrics;
  private readonly admission: Admission;
  private readonly writes = new WriteCoalescer();
  private heartbeat: NodeJS.Timeout | undefined;
  private lastTick = 0;
  private nextId = 0;
  private closing: Promise<void> | undefined;
  private bound: { port: number; url: string } | undefined;

  constructor(private readonly options: WsServerOptions) {
    this.logger = options.logger;
    this.metrics = options.metrics ?? noEdgeMetrics;
    const maxConnections = effectiveConnectionCap(options.limits.maxConnections);
    if (maxConnections < options.limits.maxConnections) {
      this.logger.warn(
        { event: 'ws-cap-lowered', configured: options.limits.maxConnections, maxConnections },
        'connection cap lowered below the open-file limit',
      );
    }
    this.admission = new Admission({ ...options.limits, maxConnections });
    this.http = createUpgradeServer(maxConnections);
    this.http.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) =>
      this.upgrade(req, socket, head),
    );
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.limits.maxFrameBytes,
      // Compression costs CPU and memory per connection and opens zip-bomb games; not measured worth it.
      perMessageDeflate: false,
      clientTracking: false,
      handleProtocols: (offered) => {
        if (offered.has(SUBPROTOCOL_JSON)) return SUBPROTOCOL_JSON;
        if (offered.has(SUBPROTOCOL_BINARY)) return SUBPROTOCOL_BINARY;
        return false;
      },
    });
    this.wss.on('error', (err) =>
      this.logger.error({ event: 'ws-server-error', err }, 'WebSocket server error'),
    );
  }

  /** Starts listening; resolves with the bound port (useful with port 0) and the ws:// URL. */
  async listen(
    host = this.options.host ?? '127.0.0.1',
    port = this.options.port ?? 0,
  ): Promise<{ port: number; url: string }> {
    if (this.closing !== undefined) throw new Error('WsServer is closed');
    if (this.bound !== undefined) return this.bound;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.http.once('error', onError);
      this.http.listen(port, host, () => {
        this.http.off('error', onError);
        resolve();
      });
    });
    this.http.on('error', (err) =>
      this.logger.error({ event: 'http-server-error', err }, 'HTTP server error'),
    );
    const address = this.http.address() as AddressInfo;
    const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.bound = { port: address.port, url: `ws://${hostPart}:${address.port}` };
    this.lastTick = performance.now();
    this.heartbeat = setInterval(() => this.tick(), this.options.limits.heartbeatMs);
    this.heartbeat.unref();
    this.logger.info({ event: 'ws-listening', url: this.bound.url }, 'client WebSocket server listening');
    return this.bound;
  }

  /** The bound URL, once listening. */
  get url(): string | undefined {
    return this.bound?.url;
  }

  get connectionCount(): number {
    return this.live.size;
  }

  connections(): IterableIterator<ClientConnection> {
    return this.live.values();
  }

  /** Called for every accepted connection, before its first message. Returns an unsubscribe function. */
  onConnection(listener: (conn: ClientConnection) => void): () => void {
    return subscribe(this.connectionListeners, listener);
  }

  /** Called with the new count whenever a connection opens or closes (the node publishes its load). */
  onCount(listener: (count: number) => void): () => void {
    return subscribe(this.countListeners, listener);
  }

  /**
   * Stops listening and closes every client (1001 unless told otherwise);
   * resolves when all are gone. Idempotent.
   */
  close(options: WsCloseOptions = {}): Promise<void> {
    this.closing ??= this.shutdown(options);
    return this.closing;
  }

  private async shutdown(options: WsCloseOptions): Promise<void> {
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    const code = options.code ?? CloseCode.GOING_AWAY;
    const reason = options.reason ?? 'The chat node is shutting down; reconnect through the gateway.';
    const stopped = new Promise<void>((resolve) => this.http.close(() => resolve()));
    if (options.drainMs !== undefined && options.drainMs > 0)
      await drainConnections(this.live, options.drainMs, this.logger);
    const gone = [...this.live].map((conn) => new Promise<void>((resolve) => conn.onClose(() => resolve())));
    for (const conn of this.live) conn.close(code, reason);
    // Connections destroy themselves after closeGraceMs, so this wait is bounded.
    await Promise.all(gone);
    this.http.closeAllConnections();
    await stopped;
    this.wss.close();
    this.logger.info(
      { event: 'ws-closed', closedConnections: gone.length },
      'client WebSocket server closed',
    );
  }

  /** Refuses over-cap clients with a plain HTTP answer before any WebSocket state exists. */
  private upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    const address = this.admission.addressOf(req);
    const refusal = this.closing === undefined ? this.admission.check(address) : undefined;
    if (refusal !== undefined) {
      this.refuse(socket, address, refusal);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.attach(ws, address));
  }

  private refuse(socket: Duplex, address: string, refusal: Refusal): void {
    this.metrics.refused(refusal.reason);
    this.logger.info({ event: 'ws-refused', reason: refusal.reason, remoteAddress: address }, 'refused');
    writeRefusal(socket, refusal);
  }

  /**
   * Serves one client socket: the `ws` server's, or an in-process one
   * (src/ws/memory-socket.ts) when a whole cluster runs in one process.
   */
  attach(socket: ClientSocket, remoteAddress: string): ClientConnection {
    const id = `c${++this.nextId}`;
    // ws keeps the TCP socket in a private field; corking it is what makes one write per turn.
    const raw = (socket as { _socket?: (Corkable & { write(b: Buffer): boolean }) | null })._socket;
    const conn = new ClientConnection(
      id,
      remoteAddress,
      socket,
      {
        maxBufferedBytes: this.options.limits.maxBufferedBytes,
        maxPendingCommands: this.options.maxPendingCommands ?? 64,
        maxInFlightCommands: this.options.maxInFlightCommands ?? 1,
        json: socket.protocol === SUBPROTOCOL_JSON,
        closeGraceMs: this.options.closeGraceMs ?? 2000,
        beforeWrite: raw ? () => this.writes.hold(raw) : undefined,
        // Safe beside ws's own writes: compression is off, so ws writes each frame at once, in call order.
        writeFrame: raw ? (frame) => void raw.write(frame) : undefined,
      },
      this.logger,
    );
    if (this.closing !== undefined) {
      conn.close(CloseCode.GOING_AWAY, 'The chat node is shutting down.');
      return conn;
    }
    // Checked again: handshakes that passed the upgrade check together may overshoot the cap.
    const late = this.admission.check(remoteAddress);
    if (late !== undefined) {
      this.metrics.refused(late.reason);
      conn.close(CloseCode.TRY_AGAIN_LATER, late.message);
      return conn;
    }
    const leave = this.admission.enter(remoteAddress);
    this.live.add(conn);
    const deadline = loginDeadline(conn, this.options.limits.loginTimeoutMs, this.metrics, this.logger);
    conn.onClose(() => {
      leave();
      if (deadline !== undefined) clearTimeout(deadline);
      this.live.delete(conn);
      this.emitCount();
    });
    socket.on('message', (data, isBinary) => this.options.sink.handleMessage(conn, data, isBinary));
    this.logger.debug(
      { event: 'ws-connected', connId: id, remoteAddress, protocol: socket.protocol || 'none' },
      'client connected',
    );
    for (const listener of this.connectionListeners) {
      try {
        listener(conn);
      } catch (err) {
        this.logger.error(
          { event: 'connection-listener-failed', connId: id, err },
          'connection listener threw',
        );
      }
    }
    this.emitCount();
    return conn;
  }

  private tick(): void {
    const now = performance.now();
    // A tick that comes late means our own event loop stalled: pongs may be
    // unread in the socket, so this round only pings and judges nobody.
    const late = now - this.lastTick > this.options.limits.heartbeatMs * 1.5;
    this.lastTick = now;
    for (const conn of this.live) conn.heartbeat(!late);
  }

  private emitCount(): void {
    const count = this.live.size;
    for (const listener of this.countListeners) {
      try {
        listener(count);
      } catch (err) {
        this.logger.error({ event: 'count-listener-failed', err }, 'count listener threw');
      }
    }
  }
}
