import fs from 'node:fs';
import path from 'node:path';

/**
 * The repository root, found from this file whether it runs compiled
 * (dist/bench/support) or from source (bench/support).
 */
export function repoRoot(from: string = __dirname): string {
  let dir = from;
  for (let depth = 0; depth < 8; depth++) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    dir = path.dirname(dir);
  }
  throw new Error(`No package.json above ${from}: cannot find the repository root.`);
}

/** A compiled entry point under dist/, with a clear error when the build is missing. */
export function distFile(...parts: string[]): string {
  const file = path.join(repoRoot(), 'dist', ...parts);
  if (!fs.existsSync(file)) {
    throw new Error(`${file} does not exist: run \`npm run build\` first (npm run bench does it for you).`);
  }
  return file;
}
