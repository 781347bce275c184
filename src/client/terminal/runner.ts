import type { RoomInfo } from '../../../gen/chat/v1/client';
import type { ChatClient } from '../chat-client';
import type { ResilientClient } from '../recovery';
import type { Command, HistoryTarget } from './command-line';
import { HELP_LINES } from './help';
import type { Renderer } from './render';

export interface CommandResult {
  ok: boolean;
  quit?: boolean;
}

export interface CommandRunnerOptions {
  /** Sends and room commands go through it (retried, our own messages shown by its listener). */
  session: ResilientClient;
  renderer: Renderer;
  print: (line: string) => void;
  now?: () => number;
}

/** Messages of a room shown after /join (the server sends up to 50). */
const JOIN_SHOWN = 10;

/**
 * Runs one parsed command against the session's live connection and prints
 * the outcome. Server errors are printed with their code and reason and
 * reported as a failed result; they never throw.
 */
export class CommandRunner {
  /** Room name → whether we are a member, from the last /rooms and our own joins and leaves. */
  private readonly membership = new Map<string, boolean>();
  private membershipKnown = false;
  private readonly now: () => number;

  constructor(private readonly o: CommandRunnerOptions) {
    this.now = o.now ?? Date.now;
  }

  async run(command: Command): Promise<CommandResult> {
    if (command.name === 'help') {
      HELP_LINES.forEach((line) => this.o.print(line));
      return { ok: true };
    }
    if (command.name === 'quit') return { ok: true, quit: true };
    try {
      await this.execute(command, await this.o.session.current());
      return { ok: true };
    } catch (error) {
      this.o.print(this.o.renderer.error(error));
      return { ok: false };
    }
  }

  private async execute(
    command: Exclude<Command, { name: 'help' | 'quit' }>,
    client: ChatClient,
  ): Promise<void> {
    const r = this.o.renderer;
    switch (command.name) {
      case 'chat': {
        const ack = await this.o.session.sendDirect(command.to, command.text);
        if (!ack.delivered) {
          this.o.print(
            r.info(
              `${command.to} could not be reached just now; the message is stored and reaches them on their next sync.`,
            ),
          );
        }
        return;
      }
      case 'room':
        await this.o.session.sendRoom(command.room, command.text);
        return;
      case 'world':
        await this.o.session.sendChannel('world', command.text);
        return;
      case 'alliance':
        await this.o.session.sendChannel('alliance', command.text);
        return;
      case 'join': {
        const joined = await this.o.session.joinRoom(command.room);
        if (joined.room) this.noteRoom(joined.room);
        const count = joined.room?.memberCount ?? 0;
        this.o.print(r.ok(`joined #${command.room} (${count} member${count === 1 ? '' : 's'})`));
        const recent = joined.recent.slice(-JOIN_SHOWN);
        if (recent.length > 0)
          this.o.print(r.info(`last ${recent.length} message${recent.length === 1 ? '' : 's'}:`));
        for (const m of recent) this.o.print(r.message(m, this.context()));
        return;
      }
      case 'leave':
        this.noteRoom(await this.o.session.leaveRoom(command.room));
        this.o.print(r.ok(`left #${command.room}`));
        return;
      case 'create':
        this.noteRoom(await this.o.session.createRoom(command.room));
        this.o.print(r.ok(`created #${command.room}; you are its first member`));
        return;
      case 'rooms': {
        const rooms = await client.listRooms();
        this.noteRooms(rooms);
        r.rooms(rooms).forEach((line) => this.o.print(line));
        return;
      }
      case 'who':
        this.o.print(r.userInfo(await client.userInfo(command.user), this.now()));
        return;
      case 'popular':
        r.popular(await client.popular(command.limit ?? 10)).forEach((line) => this.o.print(line));
        return;
      case 'history': {
        const target = await this.resolve(command.target, client);
        const page = await client.history(
          target.kind === 'room' ? { room: target.name } : { peer: target.name },
          {
            limit: command.limit ?? 20,
          },
        );
        const label = target.kind === 'room' ? `#${target.name}` : target.name;
        r.history(label, page, this.context()).forEach((line) => this.o.print(line));
        return;
      }
    }
  }

  /** A bare name is the room when we are a member of a room of that name, else the user. */
  private async resolve(
    target: HistoryTarget,
    client: ChatClient,
  ): Promise<{ kind: 'room' | 'user'; name: string }> {
    if (target.kind !== 'auto') return target;
    if (!this.membershipKnown) this.noteRooms(await client.listRooms());
    return { kind: this.membership.get(target.name) === true ? 'room' : 'user', name: target.name };
  }

  private noteRooms(rooms: readonly RoomInfo[]): void {
    this.membership.clear();
    rooms.forEach((room) => this.noteRoom(room));
    this.membershipKnown = true;
  }

  private noteRoom(room: RoomInfo): void {
    this.membership.set(room.name, room.isMember);
  }

  private context(): { me: string; now: number } {
    return { me: this.o.session.user, now: this.now() };
  }
}
