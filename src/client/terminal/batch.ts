import readline from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseCommandLine } from './command-line';
import { ExitCode } from './exit-codes';
import type { ExitCodeValue } from './exit-codes';
import { loggedInLine, loginFailureCode, showOfflineMessages } from './login';
import type { TerminalOptions } from './options';
import type { Renderer } from './render';
import type { CommandRunner } from './runner';
import type { ResilientClient } from '../recovery';
import type { SessionSignals } from './signals';

export interface BatchFlow {
  options: TerminalOptions;
  session: ResilientClient;
  runner: CommandRunner;
  renderer: Renderer;
  signals: SessionSignals;
  print: (line: string) => void;
  /** Command lines to read until their end, when stdin is not a terminal. */
  stdin?: NodeJS.ReadableStream;
}

/** --expect without --listen waits this long. */
const DEFAULT_EXPECT_S = 30;

/**
 * Non-interactive mode: log in, run the --send lines, then the stdin lines,
 * and with --listen/--expect keep printing what arrives, one line per event.
 * The listening time starts after the --send lines.
 */
export async function runBatch(f: BatchFlow): Promise<ExitCodeValue> {
  const { options: o, renderer: r, session } = f;
  if (o.user === undefined || o.password === undefined) {
    f.print(r.error('Without a terminal to ask on, give --user and --password (or CHAT_PASSWORD).'));
    return ExitCode.USAGE;
  }
  try {
    const server = await session.connect();
    f.print(r.info(`connected to ${server.nodeId} (${server.url})`));
  } catch (error) {
    f.print(r.error(error));
    return ExitCode.UNAVAILABLE;
  }
  try {
    const ok = await session.login(o.user, o.password);
    f.print(r.ok(loggedInLine(ok, o.user)));
    await showOfflineMessages(session, ok, r, f.print);
  } catch (error) {
    f.print(r.error(error));
    await session.close();
    return loginFailureCode(error);
  }

  let failed = false;
  let quitRequested: () => void = () => undefined;
  const quit = new Promise<void>((resolve) => {
    quitRequested = resolve;
  });
  let quitting = false;
  const runLine = async (line: string): Promise<void> => {
    if (quitting || session.ended) return;
    const parsed = parseCommandLine(line);
    if (parsed.kind === 'error') {
      f.print(r.error(parsed.message));
      failed = true;
    } else if (parsed.kind === 'command') {
      const result = await f.runner.run(parsed.command);
      if (!result.ok) failed = true;
      if (result.quit) {
        quitting = true;
        quitRequested();
      }
    }
  };

  for (const line of o.send) await runLine(line);
  const stdinDone = f.stdin ? readLines(f.stdin, runLine) : Promise.resolve();
  const stop = new AbortController();
  const ends = [quit, f.signals.ended];
  try {
    if (o.listenS === undefined && o.expect === undefined) {
      await Promise.race([stdinDone, ...ends]);
    } else {
      const window = sleep((o.listenS ?? DEFAULT_EXPECT_S) * 1000, undefined, { signal: stop.signal }).catch(
        () => undefined,
      );
      const expected =
        o.expect === undefined ? [] : [Promise.all([f.signals.receivedAtLeast(o.expect), stdinDone])];
      await Promise.race([window, ...expected, ...ends]);
    }
  } finally {
    stop.abort();
  }
  const why = session.ended?.why;
  await session.close();
  if (why === 'replaced' || why === 'kicked') return ExitCode.REPLACED;
  if (why === 'gave-up') return ExitCode.UNAVAILABLE;
  if (o.expect !== undefined && f.signals.received < o.expect) {
    f.print(r.error(`expected ${o.expect} message(s), got ${f.signals.received}`));
    return ExitCode.EXPECT_TIMEOUT;
  }
  return failed ? ExitCode.COMMAND_FAILED : ExitCode.OK;
}

/** Runs `onLine` for each line of `input`, one after the other, until it ends. */
async function readLines(
  input: NodeJS.ReadableStream,
  onLine: (line: string) => Promise<void>,
): Promise<void> {
  const rl = readline.createInterface({ input, terminal: false, crlfDelay: Infinity });
  for await (const line of rl) await onLine(line);
}
