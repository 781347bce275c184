/**
 * Several processes of one machine share one SQLite file: two children run
 * the real adapter (compiled on the fly by test/support/swc-register.js) and
 * append into one conversation at the same time; nothing may be lost.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { silentLogger } from '../../src/core/logger';
import { waitFor } from '../../src/core/wait-for';
import { openSqliteStore } from '../../src/store/sqlite';
import type { StoredMessage } from '../../src/store/types';

const ROOT = resolve(__dirname, '..', '..');
const REGISTER = join(ROOT, 'test', 'support', 'swc-register.js');
const CHILD = join(ROOT, 'test', 'support', 'store-append-child.ts');
const PER_CHILD = 500;
const DEADLINE_MS = 45_000;

interface Child {
  proc: ChildProcessWithoutNullStreams;
  output: () => string;
  exited: Promise<number | null>;
}

function startChild(
  dbPath: string,
  conversationKey: string,
  firstSeq: number,
  idPrefix: string,
  step: number,
): Child {
  // Seqs interleave (1,3,5... and 2,4,6...) so both children write into the
  // same index pages of one conversation.
  const proc = spawn(
    process.execPath,
    [
      '--require',
      REGISTER,
      CHILD,
      dbPath,
      conversationKey,
      String(firstSeq),
      String(step),
      String(PER_CHILD),
      idPrefix,
    ],
    { cwd: ROOT, stdio: 'pipe' },
  );
  let output = '';
  proc.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  proc.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolveExit) => proc.on('exit', (code) => resolveExit(code)));
  return { proc, output: () => output, exited };
}

describe('SQLite shared by several processes', () => {
  let dir: string;
  const children: Child[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'store-multiprocess-'));
  });

  afterEach(async () => {
    for (const child of children) if (child.proc.exitCode === null) child.proc.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    children.length = 0;
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['explicit interleaved sequence numbers', 1, 2, 2],
    ['sequence numbers given by the store (appendNext)', 0, 0, 0],
  ])(
    'keeps every message when two processes append to one file at once: %s',
    async (_label, oddFirst, evenFirst, step) => {
      const dbPath = join(dir, 'data', 'chat.db');
      const conv = 'room:shared';
      // Both children create the file and schema themselves, at the same moment.
      children.push(
        startChild(dbPath, conv, oddFirst, 'odd', step),
        startChild(dbPath, conv, evenFirst, 'even', step),
      );
      const state = (): string =>
        children.map((c, i) => `child ${i}: ${JSON.stringify(c.output())}`).join('; ');

      const anyExited = (): boolean => children.some((c) => c.proc.exitCode !== null);
      await waitFor(() => children.every((c) => c.output().includes('ready\n')) || anyExited(), {
        what: 'both children to open the store',
        timeoutMs: DEADLINE_MS,
        intervalMs: 20,
        describe: state,
      });
      expect(anyExited() ? state() : 'both ready').toBe('both ready');
      for (const child of children) child.proc.stdin.write('go\n');

      let codes: (number | null)[] = [];
      void Promise.all(children.map((c) => c.exited)).then((c) => (codes = c));
      await waitFor(() => codes.length === children.length, {
        what: 'both children to exit',
        timeoutMs: DEADLINE_MS,
        intervalMs: 20,
        describe: state,
      });
      expect({ codes, output: state() }).toEqual({ codes: [0, 0], output: state() });
      for (const child of children) expect(child.output()).toContain(`done ${PER_CHILD}`);

      const store = await openSqliteStore({ path: dbPath, logger: silentLogger() });
      try {
        const total = PER_CHILD * 2;
        expect(await store.messages.latestSeq(conv)).toBe(total);
        const all: StoredMessage[] = [];
        for (let afterSeq = 0, i = 0; i < 10 && all.length < total; i += 1) {
          const batch = await store.messages.after(conv, afterSeq, 1000);
          if (batch.length === 0) break;
          all.push(...batch);
          afterSeq = batch[batch.length - 1]?.seq ?? afterSeq;
        }
        expect(all.map((m) => m.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
        const ids = new Set(all.map((m) => m.id));
        expect(ids.size).toBe(total);
        for (let i = 0; i < PER_CHILD; i += 1) {
          expect(ids.has(`odd-${i}`) && ids.has(`even-${i}`)).toBe(true);
        }
      } finally {
        await store.close();
      }
    },
  );
});
