import path from 'node:path';
import { findFreePort } from '../../src/devservices';
import { ManagedProcess } from '../../src/devservices/managed-process';
import { canConnect } from './relay';
import { distFile, repoRoot } from './repo';
import type { Teardown } from './teardown';
import { waitFor } from '../../src/core/wait-for';

export interface SocketIoServers {
  /** WebSocket URL of each process, in the order of `names`. */
  urls: Map<string, string>;
  processes: Array<{ name: string; pid: number }>;
  stop: () => Promise<unknown>;
}

/**
 * Starts one Socket.IO baseline process (dist/bench/baseline-socketio.js) per
 * name, all on the same Redis with one adapter key; resolves once each accepts.
 */
export async function startSocketIo(
  names: readonly string[],
  options: { workDir: string; redisUrl: string; teardown: Teardown },
): Promise<SocketIoServers> {
  const key = `bench-sio-${process.pid}-${Date.now().toString(36)}`;
  const started: Array<{ name: string; port: number; proc: ManagedProcess }> = [];
  let stopped: Promise<unknown> | undefined;
  const stop = (): Promise<unknown> => (stopped ??= Promise.all(started.map((s) => s.proc.stop(3000))));
  options.teardown.add('socket.io baseline', stop);
  for (const name of names) {
    const port = await findFreePort();
    const proc = ManagedProcess.spawn({
      command: process.execPath,
      args: [distFile('bench', 'baseline-socketio.js'), String(port), options.redisUrl, key],
      cwd: repoRoot(),
      logFile: path.join(options.workDir, `socketio-${name}.log`),
    });
    started.push({ name, port, proc });
  }
  for (const { name, port, proc } of started) {
    await waitFor(
      async () => {
        if (proc.exitStatus) throw new Error(`socket.io ${name} exited:\n${proc.ownLogTail(10)}`);
        return (await canConnect(port)) ? true : undefined;
      },
      { what: `the socket.io baseline ${name} on port ${port}`, timeoutMs: 10_000, intervalMs: 50 },
    );
  }
  return {
    urls: new Map(started.map((s) => [s.name, `http://127.0.0.1:${s.port}`])),
    processes: started.map((s) => ({ name: `socketio-${s.name}`, pid: s.proc.pid ?? 0 })),
    stop,
  };
}
