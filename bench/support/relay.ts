import net from 'node:net';
import path from 'node:path';
import { findFreePort } from '../../src/devservices';
import { ManagedProcess } from '../../src/devservices/managed-process';
import { distFile, repoRoot } from './repo';
import type { Teardown } from './teardown';
import { waitFor } from '../../src/core/wait-for';

export interface RelayHandle {
  url: string;
  pid: number;
  stop: () => Promise<unknown>;
}

/** Starts the baseline relay (dist/bench/baseline-relay.js) on a free port; resolves once it accepts. */
export async function startRelay(workDir: string, teardown: Teardown): Promise<RelayHandle> {
  const port = await findFreePort();
  const proc = ManagedProcess.spawn({
    command: process.execPath,
    args: [distFile('bench', 'baseline-relay.js'), String(port)],
    cwd: repoRoot(),
    logFile: path.join(workDir, 'relay.log'),
  });
  let stopped: Promise<unknown> | undefined;
  const stop = (): Promise<unknown> => (stopped ??= proc.stop(3000));
  teardown.add('baseline relay', stop);
  await waitFor(
    async () => {
      if (proc.exitStatus) throw new Error(`the relay exited:\n${proc.ownLogTail(10)}`);
      return (await canConnect(port)) ? true : undefined;
    },
    { what: `the baseline relay on port ${port}`, timeoutMs: 10_000, intervalMs: 50 },
  );
  return { url: `ws://127.0.0.1:${port}`, pid: proc.pid ?? 0, stop };
}

export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
