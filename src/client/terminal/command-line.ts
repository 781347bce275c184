/**
 * Parsing of the `/command ...` lines typed at the prompt or given with
 * --send. Pure: no I/O, so the rules are unit-tested on their own.
 */

/** A history target: `#name` is always a room, `@name` always a user, a bare name is decided later. */
export type HistoryTarget =
  { kind: 'room'; name: string } | { kind: 'user'; name: string } | { kind: 'auto'; name: string };

export type Command =
  | { name: 'chat'; to: string; text: string }
  | { name: 'room'; room: string; text: string }
  | { name: 'join'; room: string }
  | { name: 'leave'; room: string }
  | { name: 'create'; room: string }
  | { name: 'rooms' }
  | { name: 'world'; text: string }
  | { name: 'alliance'; text: string }
  | { name: 'who'; user: string }
  | { name: 'popular'; limit?: number }
  | { name: 'history'; target: HistoryTarget; limit?: number }
  | { name: 'help' }
  | { name: 'quit' };

export type ParsedLine =
  { kind: 'empty' } | { kind: 'command'; command: Command } | { kind: 'error'; message: string };

/** Largest n accepted for /popular and /history (the server caps it further). */
export const MAX_COUNT = 1000;

const ALIASES: Record<string, string> = {
  msg: 'chat',
  dm: 'chat',
  tell: 'chat',
  r: 'room',
  w: 'world',
  a: 'alliance',
  j: 'join',
  whois: 'who',
  exit: 'quit',
  q: 'quit',
  h: 'help',
  '?': 'help',
};

const USAGE: Record<Command['name'], string> = {
  chat: '/chat <user> <text>',
  room: '/room <room> <text>',
  join: '/join <room>',
  leave: '/leave <room>',
  create: '/create <room>',
  rooms: '/rooms',
  world: '/world <text>',
  alliance: '/alliance <text>',
  who: '/who <user>',
  popular: '/popular [n]',
  history: '/history <room|user> [n]',
  help: '/help',
  quit: '/quit',
};

export function usageOf(name: Command['name']): string {
  return USAGE[name];
}

export function parseCommandLine(line: string): ParsedLine {
  const trimmed = line.trim();
  if (trimmed === '') return { kind: 'empty' };
  if (!trimmed.startsWith('/')) {
    return { kind: 'error', message: 'Commands start with "/" (e.g. /chat user2 hello); /help lists them.' };
  }
  const { word: rawName, rest } = splitWord(trimmed.slice(1));
  const lower = rawName.toLowerCase();
  const name = ALIASES[lower] ?? lower;
  if (!isCommandName(name)) {
    return { kind: 'error', message: `Unknown command /${rawName}; /help lists the commands.` };
  }
  const usage = (): ParsedLine => ({ kind: 'error', message: `Usage: ${USAGE[name]}` });
  switch (name) {
    case 'chat': {
      const { word: to, rest: text } = splitWord(rest);
      return to && text ? ok({ name, to: stripSigil(to, '@'), text }) : usage();
    }
    case 'room': {
      const { word: room, rest: text } = splitWord(rest);
      return room && text ? ok({ name, room: stripSigil(room, '#'), text }) : usage();
    }
    case 'join':
    case 'leave':
    case 'create': {
      const args = words(rest);
      return args.length === 1 && args[0] ? ok({ name, room: stripSigil(args[0], '#') }) : usage();
    }
    case 'world':
    case 'alliance':
      return rest ? ok({ name, text: rest }) : usage();
    case 'who': {
      const args = words(rest);
      return args.length === 1 && args[0] ? ok({ name, user: stripSigil(args[0], '@') }) : usage();
    }
    case 'popular': {
      const args = words(rest);
      if (args.length === 0) return ok({ name });
      const limit = args.length === 1 ? parseCount(args[0]) : undefined;
      return limit === undefined ? usage() : ok({ name, limit });
    }
    case 'history': {
      const args = words(rest);
      const [target, count] = args;
      if (!target || args.length > 2) return usage();
      const limit = count === undefined ? undefined : parseCount(count);
      if (count !== undefined && limit === undefined) return usage();
      const parsed = historyTarget(target);
      if (!parsed) return usage();
      return ok(limit === undefined ? { name, target: parsed } : { name, target: parsed, limit });
    }
    case 'rooms':
    case 'help':
    case 'quit':
      return rest ? usage() : ok({ name });
  }
}

function ok(command: Command): ParsedLine {
  return { kind: 'command', command };
}

function isCommandName(name: string): name is Command['name'] {
  return Object.hasOwn(USAGE, name);
}

/** The first whitespace-separated word and the rest of the line (its inner spacing kept). */
function splitWord(text: string): { word: string; rest: string } {
  const match = /^(\S*)\s*([\s\S]*)$/.exec(text.trim());
  return { word: match?.[1] ?? '', rest: (match?.[2] ?? '').trim() };
}

function words(text: string): string[] {
  return text.split(/\s+/).filter((w) => w !== '');
}

function stripSigil(name: string, sigil: string): string {
  return name.length > 1 && name.startsWith(sigil) ? name.slice(1) : name;
}

function historyTarget(word: string): HistoryTarget | undefined {
  if (word.startsWith('#')) return word.length > 1 ? { kind: 'room', name: word.slice(1) } : undefined;
  if (word.startsWith('@')) return word.length > 1 ? { kind: 'user', name: word.slice(1) } : undefined;
  return { kind: 'auto', name: word };
}

function parseCount(word: string | undefined): number | undefined {
  if (word === undefined || !/^\d+$/.test(word)) return undefined;
  const n = Number(word);
  return n >= 1 && n <= MAX_COUNT ? n : undefined;
}
