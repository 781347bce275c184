import type * as InquirerPrompts from '@inquirer/prompts' with { 'resolution-mode': 'import' };

type Prompts = typeof InquirerPrompts;

/** Asks a person for what is missing; masked for the password. */
export interface CredentialPrompt {
  user(): Promise<string>;
  password(): Promise<string>;
}

/** True for the error a prompt throws when the person presses Ctrl-C. */
export function isPromptInterrupted(error: unknown): boolean {
  return error instanceof Error && error.name === 'ExitPromptError';
}

/** Prompts with @inquirer/prompts on the given terminal streams. */
export function inquirerPrompt(
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
): CredentialPrompt {
  // @inquirer/prompts is an ES module: load it with import() from this CommonJS build.
  const prompts = (): Promise<Prompts> => import('@inquirer/prompts');
  const context = { input, output };
  return {
    async user() {
      const { input: ask } = await prompts();
      return (
        await ask(
          {
            message: 'User',
            validate: (value) => (value.trim() !== '' ? true : 'Type a user name, e.g. user1.'),
          },
          context,
        )
      ).trim();
    },
    async password() {
      const { password } = await prompts();
      return password(
        { message: 'Password', mask: '*', validate: (value) => (value !== '' ? true : 'Type the password.') },
        context,
      );
    },
  };
}
