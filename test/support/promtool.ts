import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Prometheus' own checker (Debian package `prometheus`, installed by scripts/install-services.sh). */
export function promtoolPath(): string {
  for (const candidate of ['/usr/bin/promtool', '/usr/local/bin/promtool']) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(
    'promtool is not installed: run `bash scripts/install-services.sh` (Debian package prometheus).',
  );
}

/** Runs promtool; resolves with its output, rejects with it (and the exit code) when it fails. */
export async function promtool(args: string[], input?: string): Promise<string> {
  if (input === undefined) {
    const { stdout, stderr } = await run(promtoolPath(), args, { timeout: 30_000 });
    return stdout + stderr;
  }
  return new Promise((resolve, reject) => {
    const child = execFile(promtoolPath(), args, { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`promtool ${args.join(' ')} failed:\n${stdout}${stderr}`));
      else resolve(stdout + stderr);
    });
    child.stdin?.end(input);
  });
}
