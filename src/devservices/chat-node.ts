import type { ChildProcess } from 'node:child_process';
import { DevServiceError } from './errors';
import { ManagedProcess, describeExit, readLogTail } from './managed-process';
import type { ExitStatus } from './managed-process';

/** How to run one chat node process. */
export interface ChatNodeSpec {
  nodeId: string;
  /** Entry point: dist/src/bin/node.js, or src/bin/node.ts run with a require hook in `nodeArgs`. */
  script: string;
  /** Arguments for node itself, before the script (e.g. `--require <hook>`, `--cpu-prof`). */
  nodeArgs?: readonly string[];
  cwd: string;
  /** The node's configuration; NODE_ID, WS_PORT and RPC_PORT are set from this spec. */
  env: NodeJS.ProcessEnv;
  /**
   * 0 lets the node pick a port; its address then comes from its `node_started`
   * log line, which needs piped output and LOG_LEVEL info or lower.
   */
  wsPort: number;
  rpcPort: number;
  /**
   * Output straight into this file: nothing passes through the launching
   * process, which may be a load generator that must not spend CPU on logs.
   * Without it, output is piped and kept as lines (`logTail`, `onLine`).
   */
  logFile?: string;
  startTimeoutMs?: number;
}

const TAIL_LINES = 40;

/**
 * One chat node process, started by test/support/cluster.ts and by the bench.
 * Ready means the process said so (`process.send('ready')` after `start()`,
 * as pm2's wait_ready expects) and its addresses are known. It dies with the
 * launching process (ManagedProcess's watchdog).
 */
export class ChatNodeProcess {
  wsUrl = '';
  rpcAddress = '';
  private readonly lines: string[] = [];
  private readonly listeners: Array<(line: string) => void> = [];

  private constructor(
    readonly nodeId: string,
    readonly process: ManagedProcess,
    private readonly logFile: string | undefined,
  ) {}

  static async start(spec: ChatNodeSpec): Promise<ChatNodeProcess> {
    const proc = ManagedProcess.spawn({
      command: process.execPath,
      args: [...(spec.nodeArgs ?? []), spec.script],
      cwd: spec.cwd,
      logFile: spec.logFile,
      ipc: true,
      env: {
        ...spec.env,
        NODE_ID: spec.nodeId,
        WS_PORT: String(spec.wsPort),
        RPC_PORT: String(spec.rpcPort),
      },
    });
    const node = new ChatNodeProcess(spec.nodeId, proc, spec.logFile);
    if (spec.wsPort) node.wsUrl = `ws://127.0.0.1:${spec.wsPort}`;
    if (spec.rpcPort) node.rpcAddress = `127.0.0.1:${spec.rpcPort}`;
    if (!spec.logFile) node.collectLines();
    try {
      await node.ready(spec.startTimeoutMs ?? 30_000);
    } catch (err) {
      await proc.kill();
      throw err;
    } finally {
      // The channel was only for the ready message; open, it would keep the node's event loop alive.
      if (proc.child.connected) proc.child.disconnect();
    }
    return node;
  }

  get pid(): number {
    return this.process.pid ?? 0;
  }

  get child(): ChildProcess {
    return this.process.child;
  }

  /** Resolves with the exit code once the process is gone. */
  get exited(): Promise<number | null> {
    return this.process.exited.then((status) => status.code);
  }

  get exitStatus(): ExitStatus | undefined {
    return this.process.exitStatus;
  }

  /** The last lines the node wrote (from its log file, or kept from the pipe). */
  get logTail(): string[] {
    if (this.logFile === undefined) return this.lines;
    return readLogTail(this.logFile, TAIL_LINES, this.process.logOffset).split('\n');
  }

  /** Every line the node writes from now on (piped output only). */
  onLine(listener: (line: string) => void): void {
    this.listeners.push(listener);
  }

  /** SIGKILL, as when a machine dies. */
  async kill(): Promise<void> {
    await this.process.kill();
  }

  /** SIGTERM (the clean shutdown path), SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    await this.process.stop(graceMs);
  }

  private collectLines(): void {
    let buffered = '';
    const onData = (chunk: string): void => {
      buffered += chunk;
      let index: number;
      while ((index = buffered.indexOf('\n')) >= 0) {
        this.onLogLine(buffered.slice(0, index));
        buffered = buffered.slice(index + 1);
      }
    };
    for (const stream of [this.child.stdout, this.child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', onData);
    }
  }

  private onLogLine(line: string): void {
    this.lines.push(line);
    if (this.lines.length > TAIL_LINES) this.lines.shift();
    if (line.includes('"node_started"')) {
      try {
        const started = JSON.parse(line) as { wsUrl?: string; rpcAddress?: string };
        this.wsUrl = started.wsUrl ?? this.wsUrl;
        this.rpcAddress = started.rpcAddress ?? this.rpcAddress;
      } catch {
        // Not JSON (LOG_PRETTY): the addresses must then come from fixed ports.
      }
    }
    for (const listener of this.listeners) listener(line);
  }

  private ready(timeoutMs: number): Promise<void> {
    const child = this.child;
    return new Promise<void>((resolve, reject) => {
      let said = false;
      let done = false;
      const check = (): void => {
        if (!said) return;
        if (this.wsUrl && this.rpcAddress) finish();
        else if (this.logFile !== undefined) {
          finish(new DevServiceError(`${this.nodeId} is ready, but with port 0 its address is unknown`));
        }
      };
      const onMessage = (message: unknown): void => {
        if (message !== 'ready') return;
        said = true;
        check();
      };
      const onLine = (): void => check();
      const timer = setTimeout(
        () => finish(new DevServiceError(`${this.nodeId} did not start within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const finish = (error?: Error): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        child.off('message', onMessage);
        const index = this.listeners.indexOf(onLine);
        if (index >= 0) this.listeners.splice(index, 1);
        if (!error) return resolve();
        reject(new DevServiceError(`${error.message}; last lines:\n${this.logTail.join('\n')}`));
      };
      child.on('message', onMessage);
      this.listeners.push(onLine);
      void this.process.exited.then((status) =>
        finish(new DevServiceError(`${this.nodeId} ${describeExit(status)} before it was ready`)),
      );
    });
  }
}
