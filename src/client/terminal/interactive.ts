import type { Command } from './command-line';
import { parseCommandLine } from './command-line';
import type { CredentialPrompt } from './credentials';
import { isPromptInterrupted } from './credentials';
import { ExitCode } from './exit-codes';
import type { ExitCodeValue } from './exit-codes';
import { isBadCredentials, loggedInLine, loginFailureCode, showOfflineMessages } from './login';
import type { TerminalOptions } from './options';
import type { PromptScreen } from './prompt-screen';
import type { Renderer } from './render';
import type { CommandRunner } from './runner';
import type { ResilientClient } from '../recovery';
import type { SessionSignals } from './signals';

export interface InteractiveFlow {
  options: TerminalOptions;
  session: ResilientClient;
  runner: CommandRunner;
  renderer: Renderer;
  screen: PromptScreen;
  signals: SessionSignals;
  ask: CredentialPrompt;
}

const PASSWORD_TRIES = 3;

/** Interactive mode: connect, log in (asking for what is missing), then the prompt loop. */
export async function runInteractive(f: InteractiveFlow): Promise<ExitCodeValue> {
  const { renderer: r, screen, session } = f;
  try {
    screen.print(r.info(`asking the gateway at ${f.options.gateway} for a chat node...`));
    const server = await session.connect();
    screen.print(r.info(`connected to ${server.nodeId} (${server.url})`));
  } catch (error) {
    screen.print(r.error(error));
    return ExitCode.UNAVAILABLE;
  }
  try {
    const user = f.options.user ?? (await f.ask.user());
    for (let attempt = 1; ; attempt++) {
      const password = f.options.password ?? (await f.ask.password());
      try {
        const ok = await session.login(user, password);
        screen.print(r.ok(`${loggedInLine(ok, user)}. /help lists the commands.`));
        await showOfflineMessages(session, ok, r, (line) => screen.print(line));
        break;
      } catch (error) {
        screen.print(r.error(error));
        const canRetry =
          f.options.password === undefined && isBadCredentials(error) && attempt < PASSWORD_TRIES;
        if (!canRetry) {
          await session.close();
          return loginFailureCode(error);
        }
      }
    }
  } catch (error) {
    await session.close();
    if (isPromptInterrupted(error)) return ExitCode.INTERRUPTED;
    throw error;
  }
  return promptLoop(f);
}

function promptLoop(f: InteractiveFlow): Promise<ExitCodeValue> {
  const { screen, session } = f;
  const promptText = (): string => `${session.user}@${session.nodeId}> `;
  return new Promise((resolve) => {
    let done = false;
    const finish = (code: ExitCodeValue): void => {
      if (done) return;
      done = true;
      screen.close();
      void session.close().then(() => resolve(code));
    };
    // Lines run one at a time, in the order typed.
    let queue = Promise.resolve();
    const handle = async (line: string): Promise<void> => {
      if (done) return;
      const parsed = parseCommandLine(line);
      if (parsed.kind === 'error') screen.print(f.renderer.error(parsed.message));
      if (parsed.kind === 'command') {
        const result = await f.runner.run(parsed.command satisfies Command);
        if (result.quit) return finish(ExitCode.OK);
      }
      screen.setPrompt(promptText());
      screen.prompt();
    };
    screen.start(
      promptText(),
      (line) => {
        queue = queue.then(() => handle(line));
      },
      () => finish(ExitCode.OK),
    );
    void f.signals.ended.then(() => {
      const why = session.ended?.why;
      finish(why === 'replaced' || why === 'kicked' ? ExitCode.REPLACED : ExitCode.UNAVAILABLE);
    });
  });
}
