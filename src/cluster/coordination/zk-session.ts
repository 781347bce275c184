import { CreateMode, Exception, State } from 'node-zookeeper-client';
import type { Client, Event, Stat } from 'node-zookeeper-client';
import { Unavailable } from '../../core/errors';
import type { Clock } from './types';

/** The ZooKeeper error code of a failed operation, if it is one. */
export function zkErrorCode(err: unknown): number | undefined {
  if (typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'number') {
    return (err as { code: number }).code;
  }
  return undefined;
}

export function isNoNode(err: unknown): boolean {
  return zkErrorCode(err) === Exception.NO_NODE;
}

export function isNodeExists(err: unknown): boolean {
  return zkErrorCode(err) === Exception.NODE_EXISTS;
}

export type Watcher = (event: Event) => void;

export interface ZkSessionOptions {
  clock: Clock;
  /** Upper bound for one request: the client queues requests forever while disconnected. */
  opTimeoutMs: number;
  /** Called with the send time of every request that got an answer from the server. */
  onAnswer: (sentAt: number) => void;
}

/**
 * One ZooKeeper client (one session) with promise-returning operations that
 * time out. A server answer, even an error like NO_NODE, proves the session
 * was alive when the request was sent; `onAnswer` feeds the fencing timer.
 */
export class ZkSession {
  constructor(
    readonly client: Client,
    private readonly options: ZkSessionOptions,
  ) {}

  /** Hex session id; meaningful once connected. */
  sessionId(): string {
    return this.client.getSessionId().toString('hex');
  }

  /** Negotiated session timeout; meaningful once connected. */
  sessionTimeoutMs(): number {
    return this.client.getSessionTimeout();
  }

  isConnected(): boolean {
    return this.client.getState() === State.SYNC_CONNECTED;
  }

  /** Starts connecting and resolves on the first 'connected', rejects at the deadline or on expiry. */
  connect(timeoutMs: number, hosts: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const { clock } = this.options;
      const cleanup = (): void => {
        clock.clearTimeout(timer);
        this.client.removeListener('connected', onConnected);
        this.client.removeListener('expired', onExpired);
      };
      const onConnected = (): void => {
        cleanup();
        resolve();
      };
      const onExpired = (): void => {
        cleanup();
        reject(new Unavailable(`ZooKeeper session at ${hosts} expired while connecting.`));
      };
      const timer = clock.setTimeout(() => {
        cleanup();
        reject(new Unavailable(`Could not connect to ZooKeeper at ${hosts} within ${timeoutMs} ms.`));
      }, timeoutMs);
      this.client.once('connected', onConnected);
      this.client.once('expired', onExpired);
      this.client.connect();
    });
  }

  /**
   * Closes the session (the server deletes its ephemeral znodes) and waits up
   * to `waitMs` for the socket to go. If the connection is silently dead the
   * close request never leaves, and the library keeps the socket (and its ping
   * timer) forever; then the socket is destroyed through the library's
   * internals, the only way it offers to end a connection.
   */
  close(waitMs: number): Promise<void> {
    const destroySocket = (): void => this.dropConnection();
    if (!this.isConnected()) {
      // Nothing to tell the server (the session expires on its own); just end the reconnect loop.
      this.client.close();
      destroySocket();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const { clock } = this.options;
      const done = (): void => {
        clock.clearTimeout(timer);
        this.client.removeListener('disconnected', done);
        resolve();
      };
      const timer = clock.setTimeout(() => {
        destroySocket();
        done();
      }, waitMs);
      this.client.once('disconnected', done);
      this.client.close();
    });
  }

  /**
   * Destroys the socket so the library reconnects with the same session. The
   * library has no read timeout: a silently dropped connection, or a handshake
   * the server never answered, would otherwise hang it forever. Reaches into
   * its internals because it offers no public way to do this.
   */
  dropConnection(): void {
    const internals = this.client as unknown as { connectionManager?: { socket?: { destroy(): void } } };
    internals.connectionManager?.socket?.destroy();
  }

  create(path: string, data: Buffer, mode: number): Promise<string> {
    return this.call(`create ${path}`, (cb) => this.client.create(path, data, mode, cb));
  }

  createEphemeral(path: string, data: Buffer): Promise<string> {
    return this.create(path, data, CreateMode.EPHEMERAL);
  }

  createEphemeralSequential(path: string, data: Buffer): Promise<string> {
    return this.create(path, data, CreateMode.EPHEMERAL_SEQUENTIAL);
  }

  mkdirp(path: string): Promise<string> {
    return this.call(`mkdirp ${path}`, (cb) => this.client.mkdirp(path, cb));
  }

  /** The node's stat, or null when it does not exist (a watcher then fires on creation). */
  exists(path: string, watcher?: Watcher): Promise<Stat | null> {
    return this.call<Stat | null>(`exists ${path}`, (cb) => {
      const done = (err: unknown, stat: Stat | undefined): void => cb(err, stat ?? null);
      if (watcher) this.client.exists(path, watcher, done);
      else this.client.exists(path, done);
    });
  }

  getChildren(path: string, watcher?: Watcher): Promise<string[]> {
    return this.call(`getChildren ${path}`, (cb) => {
      if (watcher) this.client.getChildren(path, watcher, cb);
      else this.client.getChildren(path, cb);
    });
  }

  /** The children and the parent's stat of the same read (its cversion numbers the list). */
  getChildrenWithStat(path: string, watcher: Watcher): Promise<{ children: string[]; stat: Stat }> {
    return this.call(`getChildren ${path}`, (cb) => {
      this.client.getChildren(path, watcher, (err: unknown, children: string[], stat: Stat) =>
        cb(err, { children, stat }),
      );
    });
  }

  /** The node's data, or null when it does not exist. */
  async getData(path: string, watcher?: Watcher): Promise<Buffer | null> {
    try {
      return await this.call<Buffer | null>(`getData ${path}`, (cb) => {
        const done = (err: unknown, data: Buffer | undefined): void => cb(err, data ?? Buffer.alloc(0));
        if (watcher) this.client.getData(path, watcher, done);
        else this.client.getData(path, done);
      });
    } catch (err) {
      if (isNoNode(err)) return null;
      throw err;
    }
  }

  /** Deletes a node (any version); false when it was already gone. */
  async remove(path: string, version = -1): Promise<boolean> {
    try {
      await this.call<void>(`remove ${path}`, (cb) => this.client.remove(path, version, (err) => cb(err)));
      return true;
    } catch (err) {
      if (isNoNode(err)) return false;
      throw err;
    }
  }

  private call<T>(what: string, run: (cb: (err: unknown, result?: T) => void) => void): Promise<T> {
    const { clock, opTimeoutMs, onAnswer } = this.options;
    const sentAt = clock.now();
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const timer = clock.setTimeout(() => {
        if (settled) return;
        settled = true;
        reject(new Unavailable(`ZooKeeper did not answer ${what} within ${opTimeoutMs} ms.`));
      }, opTimeoutMs);
      run((err, result) => {
        const code = zkErrorCode(err);
        // Connection loss and expiry are the client's own verdicts, not answers from the server.
        if (code !== Exception.CONNECTION_LOSS && code !== Exception.SESSION_EXPIRED) onAnswer(sentAt);
        if (settled) return;
        settled = true;
        clock.clearTimeout(timer);
        if (err)
          reject(err instanceof Error ? err : new Unavailable(`ZooKeeper ${what} failed: ${String(err)}`));
        else resolve(result as T);
      });
    });
  }
}
