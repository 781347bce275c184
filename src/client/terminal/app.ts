import pc from 'picocolors';
import { runBatch } from './batch';
import { inquirerPrompt } from './credentials';
import type { CredentialPrompt } from './credentials';
import type { ExitCodeValue } from './exit-codes';
import { runInteractive } from './interactive';
import { isBatch } from './options';
import type { TerminalOptions } from './options';
import { PromptScreen } from './prompt-screen';
import { Renderer } from './render';
import { sessionReporter } from './reporter';
import { CommandRunner } from './runner';
import { gatewayLocator, ResilientClient } from '../recovery';
import { SessionSignals } from './signals';

export interface TerminalIO {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  env: Readonly<Record<string, string | undefined>>;
  /** Defaults to @inquirer/prompts on stdin/stdout. */
  ask?: CredentialPrompt;
}

/** Builds the client for the chosen mode and runs it; resolves with the exit code. */
export function runTerminalClient(options: TerminalOptions, io: TerminalIO): Promise<ExitCodeValue> {
  const batch = isBatch(options, io.stdin.isTTY === true);
  const colored = options.color && !io.env.NO_COLOR && io.stdout.isTTY === true;
  const renderer = new Renderer(pc.createColors(colored));
  const signals = new SessionSignals();
  const screen = new PromptScreen(io.stdin, io.stdout);
  const print = batch
    ? (line: string): void => void io.stdout.write(`${line}\n`)
    : (line: string) => screen.print(line);
  const session: ResilientClient = new ResilientClient({
    locate: gatewayLocator(options.gateway),
    clientOptions: { json: options.json },
    reconnectWindowMs: options.reconnectTimeoutS * 1000,
    listener: sessionReporter({
      renderer,
      print,
      me: () => session.user,
      onMessage: (from) => {
        if (from !== session.user) signals.messageFromOther();
      },
      onEnded: () => signals.markEnded(),
    }),
  });
  const runner = new CommandRunner({ session, renderer, print });
  if (batch) {
    const stdin = io.stdin.isTTY === true ? undefined : io.stdin;
    return runBatch({ options, session, runner, renderer, signals, print, stdin });
  }
  const ask = io.ask ?? inquirerPrompt(io.stdin, io.stdout);
  return runInteractive({ options, session, runner, renderer, screen, signals, ask });
}
