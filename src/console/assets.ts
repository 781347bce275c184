import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The console's static files, read once at start-up. */
export interface ConsoleAssets {
  page: string;
  login: string;
  script: string;
  style: string;
}

/**
 * Finds `resources/console` by walking up from `startDir`: the same code
 * runs from `src/` under jest and from `dist/src/` after a build.
 */
export function findConsoleAssets(startDir: string = __dirname): string {
  let dir = path.resolve(startDir);
  for (let i = 0; i < 8; i++) {
    const candidate = path.join(dir, 'resources', 'console');
    if (existsSync(path.join(candidate, 'index.html'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`Cannot find resources/console/index.html above ${startDir}.`);
}

export function loadConsoleAssets(dir: string = findConsoleAssets()): ConsoleAssets {
  const read = (file: string): string => readFileSync(path.join(dir, file), 'utf8');
  return {
    page: read('index.html'),
    login: read('login.html'),
    script: read('console.js'),
    style: read('console.css'),
  };
}
