import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { EXIT_CODES_HELP, ExitCode } from './exit-codes';

export interface TerminalOptions {
  /** Gateway base URL. */
  gateway: string;
  user?: string;
  password?: string;
  /** JSON subprotocol instead of binary protobuf. */
  json: boolean;
  /** Command lines to run after login, in order (non-interactive). */
  send: string[];
  /** Seconds to keep printing incoming messages after the commands (non-interactive). */
  listenS?: number;
  /** Exit 0 as soon as this many messages from others arrived (non-interactive). */
  expect?: number;
  /** How long reconnecting may take before giving up. */
  reconnectTimeoutS: number;
  /** False with --no-color; NO_COLOR and a non-terminal output switch colour off as well. */
  color: boolean;
}

export type ParsedArguments = { kind: 'run'; options: TerminalOptions } | { kind: 'exit'; code: number };

export interface ArgumentOutput {
  writeOut: (text: string) => void;
  writeErr: (text: string) => void;
}

const EXAMPLES = `
Interactive (asks for the user and the password when not given):
  npm run client
  npm run client -- --user user1

Scripts (one line per event on stdout; command lines are also read from stdin
when stdin is not a terminal):
  CHAT_PASSWORD=password npm run client -- --user user2 --listen 30 --expect 1
  CHAT_PASSWORD=password npm run client -- --user user1 --send "/chat user2 hello"
  printf '/join room1\\n/room room1 hi all\\n' | CHAT_PASSWORD=password npm run client -- --user user3

Environment:
  GATEWAY_URL     default for --gateway
  CHAT_PASSWORD   the password (preferred over --password, which other users can see in ps)
  NO_COLOR        set to anything to switch colours off

${EXIT_CODES_HELP}
`;

/** Parses the flags (`argv` without node and the script). Reads nothing but `argv` and `env`. */
export function parseArguments(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  output?: ArgumentOutput,
): ParsedArguments {
  const program = new Command('client')
    .description('Terminal client of the chat cluster: asks the gateway for a node, logs in, chats.')
    .option('--gateway <url>', 'gateway base URL', gatewayUrl, env.GATEWAY_URL || 'http://127.0.0.1:8080')
    .option('-u, --user <name>', 'user to log in as (asked for when missing)')
    .addOption(
      new Option(
        '-p, --password <password>',
        'password (or env CHAT_PASSWORD; asked for, masked, when missing)',
      ),
    )
    .option('--json', 'speak the JSON subprotocol instead of binary protobuf', false)
    .option(
      '--send <line>',
      'a command line to run after login, e.g. "/chat user2 hi" (repeatable)',
      collect,
      [],
    )
    .option('--listen <seconds>', 'after the commands, print what arrives for this long, then exit', seconds)
    .option(
      '--expect <n>',
      'exit 0 as soon as n messages from other users arrived; exit 5 if --listen (default 30 s) runs out first',
      count,
    )
    .option('--reconnect-timeout <seconds>', 'give up reconnecting after this long', seconds, 60)
    .option('--no-color', 'no colours (NO_COLOR does the same)')
    .addHelpText('after', EXAMPLES)
    .helpOption('-h, --help', 'show this help')
    .exitOverride()
    .allowExcessArguments(false);
  if (output) program.configureOutput({ writeOut: output.writeOut, writeErr: output.writeErr });
  try {
    program.parse([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      return { kind: 'exit', code: error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE };
    }
    throw error;
  }
  const o = program.opts<{
    gateway: string;
    user?: string;
    password?: string;
    json: boolean;
    send: string[];
    listen?: number;
    expect?: number;
    reconnectTimeout: number;
    color: boolean;
  }>();
  return {
    kind: 'run',
    options: {
      gateway: o.gateway,
      user: o.user,
      password: o.password ?? (env.CHAT_PASSWORD || undefined),
      json: o.json,
      send: o.send,
      listenS: o.listen,
      expect: o.expect,
      reconnectTimeoutS: o.reconnectTimeout,
      color: o.color,
    },
  };
}

/** Non-interactive when there is something to do without a person, or nobody to ask. */
export function isBatch(options: TerminalOptions, stdinIsTTY: boolean): boolean {
  return (
    options.send.length > 0 || options.listenS !== undefined || options.expect !== undefined || !stdinIsTTY
  );
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function seconds(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || n <= 0 || n > 86_400) {
    throw new InvalidArgumentError('expected a number of seconds between 0 and 86400');
  }
  return n;
}

function count(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 1_000_000)
    throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

function gatewayUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('expected a URL such as http://127.0.0.1:8080');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError('expected an http:// or https:// URL');
  }
  return value;
}
