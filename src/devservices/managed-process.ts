import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type net from 'node:net';

/** What to run, and where its stdout/stderr go. */
export interface SpawnSpec {
  command: string;
  args: string[];
  cwd: string;
  /**
   * stdout and stderr are appended here, so a failed start can show the log
   * tail. Without one they are pipes the launcher reads (`child.stdout`).
   */
  logFile?: string;
  env?: NodeJS.ProcessEnv;
  /** An IPC channel, for a child that says it is ready with `process.send`. */
  ipc?: boolean;
  /** The program meant, when `command` is a wrapper (e.g. /bin/sh setting a umask first). */
  program?: string;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the command could not be started at all (e.g. ENOENT). */
  spawnError?: Error;
}

export function describeExit(status: ExitStatus): string {
  if (status.spawnError) return `could not be started: ${status.spawnError.message}`;
  if (status.signal) return `was killed by ${status.signal}`;
  return `exited with code ${String(status.code)}`;
}

/**
 * One OS process of a server we launched. Besides signalling, it makes sure
 * the process dies with us: a tiny detached watchdog shell holds a pipe from
 * this process and SIGKILLs the server when the pipe closes, which happens on
 * any exit of ours, including SIGKILL and a crashed test worker, where
 * `process.on('exit')` would never run.
 */
export class ManagedProcess {
  readonly exited: Promise<ExitStatus>;
  private status: ExitStatus | undefined;
  private stopping: Promise<ExitStatus> | undefined;
  private watchdog: ChildProcess | undefined;

  private constructor(
    /** The child itself, for its piped output and IPC messages. */
    readonly child: ChildProcess,
    readonly spec: SpawnSpec,
    /** Where this process's output starts in the (appended) log file. */
    readonly logOffset: number,
  ) {
    this.exited = new Promise((resolve) => {
      const finish = (status: ExitStatus): void => {
        if (this.status) return;
        this.status = status;
        this.watchdog?.kill('SIGKILL');
        this.watchdog = undefined;
        resolve(status);
      };
      child.once('exit', (code, signal) => finish({ code, signal }));
      child.once('error', (error) => {
        // 'error' also fires when a signal cannot be sent; only a failed spawn ends the process.
        if (child.pid === undefined) finish({ code: null, signal: null, spawnError: error });
      });
    });
    if (child.pid !== undefined) this.watchdog = startWatchdog(child.pid);
  }

  static spawn(spec: SpawnSpec): ManagedProcess {
    const ipc = spec.ipc ? (['ipc'] as const) : [];
    if (spec.logFile === undefined) {
      const child = spawn(spec.command, spec.args, {
        cwd: spec.cwd,
        env: spec.env ?? process.env,
        stdio: ['ignore', 'pipe', 'pipe', ...ipc],
      });
      return new ManagedProcess(child, spec, 0);
    }
    const fd = fs.openSync(spec.logFile, 'a');
    try {
      const logOffset = fs.fstatSync(fd).size;
      const child = spawn(spec.command, spec.args, {
        cwd: spec.cwd,
        env: spec.env ?? process.env,
        stdio: ['ignore', fd, fd, ...ipc],
      });
      return new ManagedProcess(child, spec, logOffset);
    } finally {
      fs.closeSync(fd);
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The exit status once the process is gone, undefined while it runs. */
  get exitStatus(): ExitStatus | undefined {
    return this.status;
  }

  /** The last lines this process wrote (earlier runs in the same log file are skipped). */
  ownLogTail(maxLines = 30): string {
    if (this.spec.logFile === undefined) return '(output is piped to the launcher)';
    return readLogTail(this.spec.logFile, maxLines, this.logOffset);
  }

  get commandLine(): string {
    return [this.spec.command, ...this.spec.args].map(quoteArg).join(' ');
  }

  /** SIGTERM, then SIGKILL after `graceMs`. Idempotent; resolves once the process is gone. */
  stop(graceMs: number): Promise<ExitStatus> {
    this.stopping ??= this.terminate(graceMs);
    return this.stopping;
  }

  /** SIGKILL at once, as a crash would. */
  kill(): Promise<ExitStatus> {
    this.signal('SIGKILL');
    return this.exited;
  }

  /** SIGSTOP: the process keeps its sockets but stops answering, like a hung server. */
  pause(): void {
    this.signal('SIGSTOP');
  }

  resume(): void {
    this.signal('SIGCONT');
  }

  private async terminate(graceMs: number): Promise<ExitStatus> {
    if (this.status) return this.status;
    this.signal('SIGTERM');
    // A paused process would only see SIGTERM after SIGCONT.
    this.signal('SIGCONT');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    const first = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (first !== 'timeout') return first;
    return this.kill();
  }

  private signal(signal: NodeJS.Signals): void {
    if (this.status || this.child.pid === undefined) return;
    try {
      process.kill(this.child.pid, signal);
    } catch {
      // ESRCH: it exited between our check and the signal; 'exit' will follow.
    }
  }
}

function startWatchdog(pid: number): ChildProcess | undefined {
  // `read` returns non-zero at end of input, i.e. when our end of the pipe closes.
  const script = 'while read -r _; do :; done; kill -9 "$1" 2>/dev/null';
  let watchdog: ChildProcess;
  try {
    watchdog = spawn('/bin/sh', ['-c', script, 'devservice-watchdog', String(pid)], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    });
  } catch {
    return undefined;
  }
  watchdog.on('error', () => {
    // Best effort: without a watchdog the process is still stopped by stop()/teardown.
  });
  watchdog.unref();
  // A piped stdin is a net.Socket at run time; unref it so the pipe never keeps us alive.
  (watchdog.stdin as unknown as net.Socket | null)?.unref();
  return watchdog;
}

function quoteArg(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The last `maxLines` lines of a log file after byte `fromOffset` (reads at most the last 16 KiB). */
export function readLogTail(file: string, maxLines = 30, fromOffset = 0): string {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    const length = Math.max(0, Math.min(size - fromOffset, 16 * 1024));
    if (length === 0) return '(no log output)';
    const buffer = Buffer.alloc(length);
    fs.readSync(fd, buffer, 0, length, size - length);
    return buffer
      .toString('utf8')
      .split('\n')
      .slice(-maxLines - 1)
      .join('\n')
      .trimEnd();
  } catch {
    return '(no log output)';
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
