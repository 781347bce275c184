import type { Colors } from 'picocolors/types';
import { MessageKind } from '../../../gen/chat/v1/client';
import type { ChatMessage, HistoryPage, RoomInfo, UserInfo, WordCount } from '../../../gen/chat/v1/client';
import { ChatClientError } from '../chat-client';
import { GatewayError } from '../gateway-client';
import { duration, relativeTime } from './relative-time';

/** What the renderer needs besides the data: who "you" is and what time it is. */
export interface RenderContext {
  me: string;
  now: number;
}

/**
 * Turns protocol objects into the lines the terminal shows. Pure (colours are
 * injected), so formats are unit-tested; every text that came from another
 * user goes through `clean` so it cannot move the cursor or recolour the terminal.
 */
export class Renderer {
  constructor(private readonly c: Colors) {}

  message(m: ChatMessage, ctx: RenderContext): string {
    const time = this.c.dim(`[${relativeTime(m.ts, ctx.now)}]`);
    const from = m.from === ctx.me ? 'you' : clean(m.from);
    const text = clean(m.text);
    switch (m.kind) {
      case MessageKind.MESSAGE_KIND_DIRECT: {
        const to = m.to === ctx.me ? 'you' : clean(m.to);
        return `${time} ${this.c.green(`${this.c.bold(from)} → ${to}`)}: ${text}`;
      }
      case MessageKind.MESSAGE_KIND_ROOM:
        return `${time} ${this.c.cyan(`#${clean(m.to)}`)} ${this.c.bold(from)}: ${text}`;
      case MessageKind.MESSAGE_KIND_WORLD:
        return `${time} ${this.c.yellow('[world]')} ${this.c.bold(from)}: ${text}`;
      case MessageKind.MESSAGE_KIND_ALLIANCE:
        return `${time} ${this.c.magenta(`[alliance:${clean(m.to)}]`)} ${this.c.bold(from)}: ${text}`;
      default:
        return `${time} [${clean(m.conversation)}] ${this.c.bold(from)}: ${text}`;
    }
  }

  /** A line about the client itself (connection, login, reconnect). */
  info(text: string): string {
    return this.c.gray(text);
  }

  /** A success line that answers a command. */
  ok(text: string): string {
    return this.c.green(text);
  }

  /** `error 404 USER_OFFLINE: ...` for server errors; local failures name their reason. */
  error(err: unknown): string {
    if (err instanceof ChatClientError) {
      const code = err.code === 0 ? err.reason : `${err.code} ${err.reason}`;
      return this.c.red(`error ${code}: ${err.message}`);
    }
    if (err instanceof GatewayError) {
      return this.c.red(`error gateway${err.status ? ` ${err.status}` : ''}: ${err.message}`);
    }
    return this.c.red(`error: ${err instanceof Error ? err.message : String(err)}`);
  }

  rooms(rooms: readonly RoomInfo[]): string[] {
    if (rooms.length === 0) return ['no rooms yet; /create <room> makes one'];
    const width = Math.max(...rooms.map((r) => r.name.length)) + 1;
    const lines = rooms.map((r) => {
      const members = `${r.memberCount} member${r.memberCount === 1 ? '' : 's'}`;
      const name = `#${clean(r.name)}`.padEnd(width + 1);
      return `  ${this.c.cyan(name)} ${members.padEnd(12)}${r.isMember ? this.c.green(' joined') : ''}`;
    });
    return [`${rooms.length} room${rooms.length === 1 ? '' : 's'}:`, ...lines];
  }

  userInfo(info: UserInfo, now: number): string {
    const alliance = info.alliance ? `alliance ${clean(info.alliance)}` : 'no alliance';
    if (!info.online) return `${clean(info.username)}: offline (${alliance})`;
    const since = info.onlineMs > 0 ? info.onlineMs : now - info.loginAt;
    return `${clean(info.username)}: ${this.c.green('online')} on ${clean(info.nodeId)} for ${duration(since)} (${alliance})`;
  }

  popular(words: readonly WordCount[]): string[] {
    if (words.length === 0) return ['no popular words yet'];
    const width = Math.max(...words.map((w) => w.word.length));
    return [
      'popular words:',
      ...words.map((w, i) => `  ${String(i + 1).padStart(2)}. ${clean(w.word).padEnd(width)}  ${w.count}`),
    ];
  }

  /** A history page (newest first on the wire) printed oldest first, like a chat log. */
  history(label: string, page: HistoryPage, ctx: RenderContext): string[] {
    if (page.messages.length === 0) return [`no messages with ${label} yet`];
    const lines = [...page.messages].reverse().map((m) => this.message(m, ctx));
    const more = page.nextCursor ? ' (older messages exist: ask for a larger n)' : '';
    return [`history of ${label}, oldest first${more}:`, ...lines];
  }
}

/**
 * Text from other users, safe for a terminal: line breaks and tabs become
 * spaces, other control characters (escape sequences) become U+FFFD.
 */
export function clean(text: string): string {
  return (
    text
      .replace(/[\r\n\t\v\f]+/g, ' ')
      // eslint-disable-next-line no-control-regex -- matching control characters is the point
      .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '\ufffd')
  );
}
