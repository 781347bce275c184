/** Process exit codes of the terminal client (also printed by --help). */
export const ExitCode = {
  /** Everything asked for was done. */
  OK: 0,
  /** A command failed (the server answered with an error, or the line was not a valid command). */
  COMMAND_FAILED: 1,
  /** Bad flags or missing credentials without a terminal to ask for them. */
  USAGE: 2,
  /** No gateway or node could be reached, or the client gave up reconnecting. */
  UNAVAILABLE: 3,
  /** The login was refused (unknown user, wrong password, locked account). */
  LOGIN_FAILED: 4,
  /** --expect: fewer messages than expected arrived before the --listen time ran out. */
  EXPECT_TIMEOUT: 5,
  /** Another login of the same user took over, or the server removed this session. */
  REPLACED: 6,
  /** Interrupted at a prompt (Ctrl-C). */
  INTERRUPTED: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODES_HELP = `Exit codes:
  0    everything asked for was done (or /quit)
  1    a command failed: the server answered with an error, or a line was not a valid command
  2    usage error: bad flags, or no --user / password without a terminal to ask on
  3    no gateway or chat node reachable, or reconnecting gave up
  4    login refused (unknown user, wrong password, locked account)
  5    --expect: fewer messages than expected arrived within the --listen time
  6    another login of the same user took over (or the server removed the session)
  130  interrupted at a prompt`;
