import fs from 'node:fs/promises';
import type { Logger } from '../core/logger';
import { waitFor, WaitFailed } from '../core/wait-for';
import { DevServiceError, PortInUseError } from './errors';
import { findFreePort } from './free-port';
import { ManagedProcess, describeExit, readLogTail } from './managed-process';
import type { SpawnSpec } from './managed-process';

/**
 * What differs between servers. A new launcher (RabbitMQ, say) implements
 * this and wraps a ServiceProcess, like redis.ts and zookeeper.ts do.
 */
export interface ServiceSpec {
  /** Short name for logs and errors, e.g. 'redis'. */
  readonly service: string;
  /** Writes any config for `port` and says what to run. */
  prepare(port: number): Promise<SpawnSpec>;
  /** One readiness check; true once the server answers. Called until the deadline. */
  probe(port: number): Promise<boolean>;
  /** A final check after `probe` succeeded (e.g. a real client session). Throws if not ready. */
  verify?(port: number, deadline: number): Promise<void>;
  /** Whether the log of a process that exited during start-up says its port was taken. */
  portInUse(logTail: string): boolean;
}

export interface ServiceProcessOptions {
  host: string;
  /** A fixed port; by default a free one is picked (and re-picked if someone takes it first). */
  port?: number;
  dataDir: string;
  startTimeoutMs: number;
  stopTimeoutMs: number;
  logger: Logger;
}

const freePortAttempts = 5;
const probeIntervalMs = 100;

/** Start, stop, crash, pause and restart one server process on a stable port and data dir. */
export class ServiceProcess {
  private current: ManagedProcess | undefined;
  private boundPort: number | undefined;

  constructor(
    private readonly spec: ServiceSpec,
    private readonly options: ServiceProcessOptions,
  ) {}

  get service(): string {
    return this.spec.service;
  }
  get host(): string {
    return this.options.host;
  }
  get dataDir(): string {
    return this.options.dataDir;
  }
  /** The port, stable across restarts. */
  get port(): number {
    if (this.boundPort === undefined) throw new DevServiceError(`${this.service} has not been started`);
    return this.boundPort;
  }
  /** The pid of the running process (a new one after each restart). */
  get pid(): number | undefined {
    return this.current?.exitStatus ? undefined : this.current?.pid;
  }
  get running(): boolean {
    return this.current !== undefined && this.current.exitStatus === undefined;
  }
  get logFile(): string | undefined {
    return this.current?.spec.logFile;
  }

  /** First start: on the given port, or on a free one, retrying when it gets taken meanwhile. */
  async start(): Promise<void> {
    await fs.mkdir(this.options.dataDir, { recursive: true });
    if (this.options.port !== undefined) {
      await this.launch(this.options.port);
      return;
    }
    for (let attempt = 1; ; attempt++) {
      const port = await findFreePort(this.options.host);
      try {
        await this.launch(port);
        return;
      } catch (error) {
        if (!(error instanceof PortInUseError) || attempt >= freePortAttempts) throw error;
        this.options.logger.warn({ service: this.service, port, attempt }, 'port taken, retrying');
      }
    }
  }

  /** Starts again on the same port and data dir (stopping first if it still runs). */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch(this.port);
  }

  /** SIGTERM, then SIGKILL after the stop timeout. Idempotent. */
  async stop(): Promise<void> {
    const proc = this.current;
    if (!proc) return;
    const status = await proc.stop(this.options.stopTimeoutMs);
    this.options.logger.info(
      { service: this.service, port: this.boundPort, pid: proc.pid, exit: describeExit(status) },
      'dev service stopped',
    );
  }

  /** SIGKILL, to simulate a crash. Resolves once the process is gone. */
  async kill(): Promise<void> {
    await this.current?.kill();
  }

  pause(): void {
    this.current?.pause();
  }

  resume(): void {
    this.current?.resume();
  }

  logTail(maxLines = 30): string {
    const file = this.current?.spec.logFile;
    return file ? readLogTail(file, maxLines) : '(never started)';
  }

  private async launch(port: number): Promise<void> {
    const startedAt = Date.now();
    const deadline = startedAt + this.options.startTimeoutMs;
    const spawnSpec = await this.spec.prepare(port);
    const proc = ManagedProcess.spawn(spawnSpec);
    this.current = proc;
    const exitReason = (): string | undefined =>
      proc.exitStatus ? `the process ${describeExit(proc.exitStatus)}` : undefined;

    try {
      await waitFor(() => this.spec.probe(port), {
        what: `${this.service} on port ${port}`,
        timeoutMs: deadline - Date.now(),
        intervalMs: probeIntervalMs,
        abortIf: exitReason,
      });
    } catch (error) {
      const reason = error instanceof WaitFailed ? error.reason : String(error);
      throw await this.failed(proc, port, reason);
    }
    if (this.spec.verify) {
      try {
        await this.spec.verify(port, deadline);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw await this.failed(proc, port, exitReason() ?? reason);
      }
    }
    this.boundPort = port;
    this.options.logger.info(
      { service: this.service, port, pid: proc.pid, startMs: Date.now() - startedAt, log: spawnSpec.logFile },
      'dev service started',
    );
  }

  private async failed(proc: ManagedProcess, port: number, reason: string): Promise<Error> {
    const exitedByItself = proc.exitStatus !== undefined;
    await proc.kill();
    const tail = proc.ownLogTail();
    const where = `${this.options.host}:${port}`;
    const spawnError = proc.exitStatus?.spawnError;
    if (exitedByItself && !spawnError && this.spec.portInUse(tail)) {
      return new PortInUseError(
        this.service,
        port,
        `${this.service} could not bind ${where}: address in use`,
      );
    }
    // A wrapper shell reports a missing program as exit code 127.
    const missing =
      (spawnError && 'code' in spawnError && spawnError.code === 'ENOENT') ||
      (proc.exitStatus?.code === 127 && /not found/i.test(tail));
    const hint = missing
      ? `\n'${proc.spec.program ?? proc.spec.command}' was not found: run scripts/install-services.sh`
      : '';
    return new DevServiceError(
      `${this.service} did not become ready on ${where}: ${reason}${hint}\n` +
        `command: ${proc.commandLine}\n` +
        `log (${proc.spec.logFile}), last lines:\n${tail}`,
    );
  }
}
