import pc from 'picocolors';
import { MessageKind } from '../../gen/chat/v1/client';
import type { ChatMessage } from '../../gen/chat/v1/client';
import { ChatClientError } from '../../src/client/chat-client';
import { duration, relativeTime } from '../../src/client/terminal/relative-time';
import { clean, Renderer } from '../../src/client/terminal/render';

const NOW = 1_700_000_000_000;
const plain = new Renderer(pc.createColors(false));
const ctx = { me: 'user1', now: NOW };

function msg(overrides: Partial<ChatMessage>): ChatMessage {
  return {
    id: 'id-1',
    kind: MessageKind.MESSAGE_KIND_DIRECT,
    conversation: 'dm:user1|user3',
    seq: 1,
    from: 'user3',
    to: 'user1',
    text: 'hi',
    ts: NOW,
    ...overrides,
  };
}

describe('relative time', () => {
  it('says now for fresh and slightly future timestamps', () => {
    expect(relativeTime(NOW, NOW)).toBe('now');
    expect(relativeTime(NOW - 1400, NOW)).toBe('now');
    expect(relativeTime(NOW + 3000, NOW)).toBe('now');
  });

  it('counts seconds, minutes, hours and days', () => {
    expect(relativeTime(NOW - 12_000, NOW)).toBe('12s ago');
    expect(relativeTime(NOW - 59_999, NOW)).toBe('59s ago');
    expect(relativeTime(NOW - 60_000, NOW)).toBe('1m ago');
    expect(relativeTime(NOW - 3_599_000, NOW)).toBe('59m ago');
    expect(relativeTime(NOW - 2 * 3_600_000, NOW)).toBe('2h ago');
    expect(relativeTime(NOW - 3 * 86_400_000, NOW)).toBe('3d ago');
  });

  it('formats durations', () => {
    expect(duration(45_000)).toBe('45s');
    expect(duration(5 * 60_000)).toBe('5m');
    expect(duration(3 * 3_600_000 + 12 * 60_000)).toBe('3h 12m');
    expect(duration(2 * 86_400_000)).toBe('2d');
  });
});

describe('message rendering', () => {
  it('shows direct messages to and from you', () => {
    expect(plain.message(msg({}), ctx)).toBe('[now] user3 → you: hi');
    expect(plain.message(msg({ from: 'user1', to: 'user3', ts: NOW - 12_000 }), ctx)).toBe(
      '[12s ago] you → user3: hi',
    );
  });

  it('shows rooms with # and channels in brackets', () => {
    const room = msg({
      kind: MessageKind.MESSAGE_KIND_ROOM,
      to: 'room1',
      from: 'user7',
      text: 'hello',
      ts: NOW - 12_000,
    });
    expect(plain.message(room, ctx)).toBe('[12s ago] #room1 user7: hello');
    expect(plain.message({ ...room, from: 'user1' }, ctx)).toBe('[12s ago] #room1 you: hello');
    const world = msg({
      kind: MessageKind.MESSAGE_KIND_WORLD,
      to: 'world',
      from: 'user7',
      text: 'gg',
      ts: NOW,
    });
    expect(plain.message(world, ctx)).toBe('[now] [world] user7: gg');
    const alliance = msg({
      kind: MessageKind.MESSAGE_KIND_ALLIANCE,
      to: 'wolves',
      from: 'user5',
      text: 'go',
    });
    expect(plain.message(alliance, ctx)).toBe('[now] [alliance:wolves] user5: go');
  });

  it('colours only when asked to', () => {
    const colored = new Renderer(pc.createColors(true));
    expect(colored.message(msg({}), ctx)).toContain('\u001b[');
    expect(plain.message(msg({}), ctx)).not.toContain('\u001b[');
  });

  it('neutralises control characters in text from other users', () => {
    const evil = msg({ text: 'a\u001b[2Jb\nc\u202ed', from: 'x\u0007y' });
    const line = plain.message(evil, ctx);
    // eslint-disable-next-line no-control-regex -- checking that no control character is left
    expect(line).not.toMatch(/[\u0000-\u001f\u202e]/);
    expect(line).toBe('[now] x\ufffdy → you: a\ufffd[2Jb c\ufffdd');
    expect(clean('tab\there')).toBe('tab here');
  });

  it('prints server errors with their code and reason', () => {
    const err = new ChatClientError(404, 'USER_OFFLINE', 'user2 is not online.');
    expect(plain.error(err)).toBe('error 404 USER_OFFLINE: user2 is not online.');
    expect(plain.error(new ChatClientError(0, 'TIMEOUT', 'No reply.'))).toBe('error TIMEOUT: No reply.');
  });

  it('lists rooms and prints history oldest first', () => {
    const lines = plain.rooms([
      { name: 'room1', memberCount: 10, isMember: true },
      { name: 'lobby', memberCount: 1, isMember: false },
    ]);
    expect(lines[0]).toBe('2 rooms:');
    expect(lines[1]).toMatch(/#room1\s+10 members\s+joined/);
    expect(lines[2]).toMatch(/#lobby\s+1 member\s*$/);
    const page = {
      conversation: 'dm:user1|user3',
      messages: [msg({ id: 'b', text: 'second', seq: 2 }), msg({ id: 'a', text: 'first', seq: 1 })],
      nextCursor: '',
    };
    expect(plain.history('user3', page, ctx)).toEqual([
      'history of user3, oldest first:',
      '[now] user3 → you: first',
      '[now] user3 → you: second',
    ]);
  });
});
