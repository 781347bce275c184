import { parseCommandLine } from '../../src/client/terminal/command-line';
import type { Command } from '../../src/client/terminal/command-line';

function command(line: string): Command {
  const parsed = parseCommandLine(line);
  if (parsed.kind !== 'command')
    throw new Error(`expected a command from ${JSON.stringify(line)}, got ${JSON.stringify(parsed)}`);
  return parsed.command;
}

function error(line: string): string {
  const parsed = parseCommandLine(line);
  if (parsed.kind !== 'error')
    throw new Error(`expected an error from ${JSON.stringify(line)}, got ${JSON.stringify(parsed)}`);
  return parsed.message;
}

describe('terminal command line', () => {
  it('treats blank lines as nothing to do', () => {
    expect(parseCommandLine('')).toEqual({ kind: 'empty' });
    expect(parseCommandLine('   \t ')).toEqual({ kind: 'empty' });
  });

  it('parses messages, keeping the text as typed after the name', () => {
    expect(command('/chat user2 hello   there  ')).toEqual({
      name: 'chat',
      to: 'user2',
      text: 'hello   there',
    });
    expect(command('  /room room1 gg wp')).toEqual({ name: 'room', room: 'room1', text: 'gg wp' });
    expect(command('/world /not a command')).toEqual({ name: 'world', text: '/not a command' });
    expect(command('/alliance attack at dawn')).toEqual({ name: 'alliance', text: 'attack at dawn' });
  });

  it('accepts aliases, any case, and # / @ before names', () => {
    expect(command('/MSG @user3 hi')).toEqual({ name: 'chat', to: 'user3', text: 'hi' });
    expect(command('/dm user3 hi')).toEqual({ name: 'chat', to: 'user3', text: 'hi' });
    expect(command('/join #room4')).toEqual({ name: 'join', room: 'room4' });
    expect(command('/exit')).toEqual({ name: 'quit' });
    expect(command('/?')).toEqual({ name: 'help' });
  });

  it('parses room and user commands', () => {
    expect(command('/join room1')).toEqual({ name: 'join', room: 'room1' });
    expect(command('/leave room1')).toEqual({ name: 'leave', room: 'room1' });
    expect(command('/create lobby')).toEqual({ name: 'create', room: 'lobby' });
    expect(command('/rooms')).toEqual({ name: 'rooms' });
    expect(command('/who user9')).toEqual({ name: 'who', user: 'user9' });
  });

  it('parses optional counts', () => {
    expect(command('/popular')).toEqual({ name: 'popular' });
    expect(command('/popular 5')).toEqual({ name: 'popular', limit: 5 });
    expect(command('/history room1')).toEqual({ name: 'history', target: { kind: 'auto', name: 'room1' } });
    expect(command('/history user2 30')).toEqual({
      name: 'history',
      target: { kind: 'auto', name: 'user2' },
      limit: 30,
    });
  });

  it('lets #name and @name choose the history target explicitly', () => {
    expect(command('/history #lobby')).toEqual({ name: 'history', target: { kind: 'room', name: 'lobby' } });
    expect(command('/history @lobby 3')).toEqual({
      name: 'history',
      target: { kind: 'user', name: 'lobby' },
      limit: 3,
    });
  });

  it('answers with the usage of a command given the wrong arguments', () => {
    expect(error('/chat user2')).toBe('Usage: /chat <user> <text>');
    expect(error('/room')).toBe('Usage: /room <room> <text>');
    expect(error('/join a b')).toBe('Usage: /join <room>');
    expect(error('/world')).toBe('Usage: /world <text>');
    expect(error('/popular many')).toBe('Usage: /popular [n]');
    expect(error('/popular 0')).toBe('Usage: /popular [n]');
    expect(error('/history room1 -3')).toBe('Usage: /history <room|user> [n]');
    expect(error('/history room1 5 6')).toBe('Usage: /history <room|user> [n]');
    expect(error('/history #')).toBe('Usage: /history <room|user> [n]');
    expect(error('/rooms now')).toBe('Usage: /rooms');
  });

  it('names unknown commands and text without a command', () => {
    expect(error('/dance')).toMatch(/Unknown command \/dance/);
    expect(error('hello')).toMatch(/start with "\/"/);
  });
});
