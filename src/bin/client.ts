import { ExitCode, parseArguments, runTerminalClient } from '../client/terminal';

/**
 * `npm run client`: the terminal client. Interactive on a terminal; with
 * --send/--listen/--expect or piped stdin it runs without a person (see --help).
 */
async function main(): Promise<number> {
  // Output piped into a program that stops reading (`| head`) is not an error of ours.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const parsed = parseArguments(process.argv.slice(2), process.env);
  if (parsed.kind === 'exit') return parsed.code;
  return runTerminalClient(parsed.options, {
    stdin: process.stdin,
    stdout: process.stdout,
    env: process.env,
  });
}

void main()
  .catch((err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    return ExitCode.UNAVAILABLE;
  })
  .then((code) => {
    // stdin may still be open (a prompt or piped input): exit once stdout is flushed.
    process.stdout.write('', () => process.exit(code));
  });
