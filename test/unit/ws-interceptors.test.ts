import { Channel } from '../../gen/chat/v1/client';
import type { ClientFrame } from '../../gen/chat/v1/client';
import { runChain } from '../../src/core/dispatcher';
import { ChatError } from '../../src/core/errors';
import { silentLogger } from '../../src/core/logger';
import { CloseCode } from '../../src/protocol/close-codes';
import type { ClientConnection } from '../../src/ws/connection';
import type { CommandContext, CommandInterceptor, CommandResult } from '../../src/ws/context';
import { encodeClientFrame } from '../../src/protocol/codec';
import { AbuseGuard, peekRequestId } from '../../src/ws/abuse-guard';
import { authGate, codePointCount, edgeInterceptors, validation } from '../../src/ws/interceptors';

interface FakeConn {
  user: ClientConnection['user'];
  errors: Array<{ replyTo: number; err: unknown }>;
  closes: Array<{ code: number; reason: string }>;
}

function fakeConn(user?: ClientConnection['user']): FakeConn & ClientConnection {
  const fake: FakeConn & Partial<ClientConnection> = {
    user,
    errors: [],
    closes: [],
    error(replyTo: number, err: unknown) {
      fake.errors.push({ replyTo, err });
      return true;
    },
    close(code: number, reason: string) {
      fake.closes.push({ code, reason });
    },
  };
  // The interceptors only touch user, error and close.
  return fake as FakeConn & ClientConnection;
}

const logger = silentLogger();

function ctxFor(conn: ClientConnection, cmd: ClientFrame['cmd'], id = 1): CommandContext {
  return {
    conn,
    frame: { id, cmd },
    command: cmd?.$case ?? '(unknown)',
    requestId: id,
    log: logger,
    release: () => undefined,
  };
}

const ok = async (): Promise<CommandResult> => ({ $case: 'pong', value: { clientTs: 0, serverTs: 0 } });

async function run(interceptor: CommandInterceptor, ctx: CommandContext): Promise<CommandResult> {
  return runChain([interceptor], ok, ctx);
}

async function rejection(p: Promise<unknown>): Promise<ChatError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ChatError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

const user = { username: 'alice', alliance: 'red', sid: 's1', createdAt: 0 };
const ping: ClientFrame['cmd'] = { $case: 'ping', value: { clientTs: 1 } };

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 0;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('AbuseGuard', () => {
  it('lets a burst through, then refuses with a strike', () => {
    const c = clock();
    const guard = new AbuseGuard({ ratePerSecond: 1, burst: 3, maxStrikes: 10, now: c.now });
    for (let i = 0; i < 3; i++) expect(guard.admit()).toEqual({ ok: true });
    expect(guard.admit()).toEqual({ ok: false, close: undefined });
    expect(guard.strikeCount()).toBe(1);
    c.advance(1000);
    expect(guard.admit()).toEqual({ ok: true });
  });

  it('closes with RATE_ABUSE after more than maxStrikes refusals, POLICY_VIOLATION when a bad frame tips it', () => {
    const c = clock();
    const flood = new AbuseGuard({ ratePerSecond: 1, burst: 1, maxStrikes: 3, now: c.now });
    flood.admit();
    for (let i = 0; i < 3; i++) expect(flood.admit()).toEqual({ ok: false, close: undefined });
    expect(flood.admit()).toEqual({ ok: false, close: CloseCode.RATE_ABUSE });

    const garbage = new AbuseGuard({ ratePerSecond: 1000, burst: 1000, maxStrikes: 2, now: c.now });
    expect(garbage.strike('malformed').close).toBeUndefined();
    expect(garbage.strike('pending').close).toBeUndefined();
    expect(garbage.strike('malformed').close).toBe(CloseCode.POLICY_VIOLATION);
  });

  it('forgets strikes older than the window', () => {
    const c = clock();
    const guard = new AbuseGuard({
      ratePerSecond: 0.001,
      burst: 1,
      maxStrikes: 2,
      strikeWindowMs: 1000,
      now: c.now,
    });
    guard.admit();
    for (let round = 0; round < 5; round++) {
      expect(guard.admit().ok).toBe(false);
      expect(guard.admit()).toEqual({ ok: false, close: undefined });
      c.advance(1500);
    }
  });
});

describe('peekRequestId', () => {
  it('reads the id of a frame without decoding the rest', () => {
    const bytes = Buffer.from(encodeClientFrame({ id: 300, cmd: { $case: 'ping', value: { clientTs: 1 } } }));
    expect(peekRequestId(bytes, true)).toBe(300);
    expect(peekRequestId(Buffer.from('{"id":42,"ping":{}}'), false)).toBe(42);
    expect(peekRequestId(Buffer.from([0xff, 0x01]), true)).toBe(0);
    expect(peekRequestId(Buffer.from('{"ping":{},"id":5}'), false)).toBe(0);
  });
});

describe('authGate', () => {
  const gate = authGate();
  it('allows login and ping before authentication', async () => {
    const conn = fakeConn();
    await expect(run(gate, ctxFor(conn, ping))).resolves.toBeDefined();
    const login: ClientFrame['cmd'] = {
      $case: 'login',
      value: { username: 'a', password: 'b', resumeToken: '' },
    };
    await expect(run(gate, ctxFor(conn, login))).resolves.toBeDefined();
  });

  it('answers 401 UNAUTHENTICATED to anything else', async () => {
    const cmd: ClientFrame['cmd'] = { $case: 'listRooms', value: {} };
    const err = await rejection(run(gate, ctxFor(fakeConn(), cmd)));
    expect([err.code, err.reason]).toEqual([401, 'UNAUTHENTICATED']);
    await expect(run(gate, ctxFor(fakeConn(user), cmd))).resolves.toBeDefined();
  });
});

describe('validation', () => {
  const validate = validation({ maxTextLength: 5, maxPopularLimit: 50, maxHistoryLimit: 100 });
  const check = async (cmd: ClientFrame['cmd']): Promise<string> => {
    try {
      await run(validate, ctxFor(fakeConn(user), cmd));
      return 'ok';
    } catch (err) {
      return err instanceof ChatError ? `${err.code} ${err.reason}` : 'other';
    }
  };
  const direct = (to: string, text: string): ClientFrame['cmd'] => ({
    $case: 'sendDirect',
    value: { to, text, idempotencyKey: '' },
  });

  it('accepts valid commands', async () => {
    expect(await check(direct('bob_2', 'hi'))).toBe('ok');
    expect(await check({ $case: 'listRooms', value: {} })).toBe('ok');
    expect(await check({ $case: 'getPopular', value: { limit: 50 } })).toBe('ok');
  });

  it.each([
    ['login.username', { $case: 'login', value: { username: 'bad name', password: 'x', resumeToken: '' } }],
    ['empty login.username', { $case: 'login', value: { username: '', password: 'x', resumeToken: '' } }],
    ['sendDirect.to', direct('a/b', 'hi')],
    ['sendRoom.room', { $case: 'sendRoom', value: { room: 'x'.repeat(33), text: 'hi', idempotencyKey: '' } }],
    ['createRoom.room', { $case: 'createRoom', value: { room: '' } }],
    ['joinRoom.room', { $case: 'joinRoom', value: { room: 'é' } }],
    ['leaveRoom.room', { $case: 'leaveRoom', value: { room: 'a b' } }],
    ['getUserInfo.username', { $case: 'getUserInfo', value: { username: '<script>' } }],
    [
      'getHistory.room',
      { $case: 'getHistory', value: { target: { $case: 'room', value: '..' }, limit: 1, cursor: '' } },
    ],
    [
      'getHistory.peer',
      { $case: 'getHistory', value: { target: { $case: 'peer', value: 'a:b' }, limit: 1, cursor: '' } },
    ],
  ] as Array<[string, ClientFrame['cmd']]>)(
    'rejects an invalid %s with 400 INVALID_NAME',
    async (_field, cmd) => {
      expect(await check(cmd)).toBe('400 INVALID_NAME');
    },
  );

  it('lets a resume login leave the username empty', async () => {
    expect(await check({ $case: 'login', value: { username: '', password: '', resumeToken: 't0k3n' } })).toBe(
      'ok',
    );
  });

  it('bounds texts in code points: 413 TEXT_TOO_LONG, 400 EMPTY_TEXT', async () => {
    // Five astral characters are ten UTF-16 units but five characters.
    expect(await check(direct('bob', '😀😀😀😀😀'))).toBe('ok');
    expect(await check(direct('bob', '😀😀😀😀😀😀'))).toBe('413 TEXT_TOO_LONG');
    expect(await check(direct('bob', ''))).toBe('400 EMPTY_TEXT');
    expect(await check(direct('bob', '  \n '))).toBe('400 EMPTY_TEXT');
    expect(await check({ $case: 'sendRoom', value: { room: 'r', text: '123456', idempotencyKey: '' } })).toBe(
      '413 TEXT_TOO_LONG',
    );
    const channel = (text: string): ClientFrame['cmd'] => ({
      $case: 'sendChannel',
      value: { channel: Channel.CHANNEL_WORLD, text, idempotencyKey: '' },
    });
    expect(await check(channel('123456'))).toBe('413 TEXT_TOO_LONG');
    expect(await check(channel(''))).toBe('400 EMPTY_TEXT');
  });

  it('rejects an unspecified channel', async () => {
    const cmd: ClientFrame['cmd'] = {
      $case: 'sendChannel',
      value: { channel: Channel.CHANNEL_UNSPECIFIED, text: 'hi', idempotencyKey: '' },
    };
    expect(await check(cmd)).toBe('400 INVALID_CHANNEL');
  });

  it('bounds limits', async () => {
    expect(await check({ $case: 'getPopular', value: { limit: 51 } })).toBe('400 INVALID_LIMIT');
    const history = (limit: number): ClientFrame['cmd'] => ({
      $case: 'getHistory',
      value: { target: { $case: 'room', value: 'lobby' }, limit, cursor: '' },
    });
    expect(await check(history(100))).toBe('ok');
    expect(await check(history(101))).toBe('400 INVALID_LIMIT');
    expect(await check({ $case: 'sync', value: { positions: [], limit: 101 } })).toBe('400 INVALID_LIMIT');
    expect(await check({ $case: 'getHistory', value: { target: undefined, limit: 1, cursor: '' } })).toBe(
      '400 INVALID_ARGUMENT',
    );
  });
});

describe('edgeInterceptors', () => {
  it('authenticates before validating', async () => {
    const chain = edgeInterceptors({ maxTextLength: 5, maxPopularLimit: 10, maxHistoryLimit: 10 });
    const bad: ClientFrame['cmd'] = {
      $case: 'sendDirect',
      value: { to: 'bad name', text: '', idempotencyKey: '' },
    };
    expect((await rejection(runChain(chain, ok, ctxFor(fakeConn(), bad)))).reason).toBe('UNAUTHENTICATED');
    expect((await rejection(runChain(chain, ok, ctxFor(fakeConn(user), bad)))).reason).toBe('INVALID_NAME');
  });
});

describe('codePointCount', () => {
  it('counts code points and stops early', () => {
    expect(codePointCount('a😀b', 100)).toBe(3);
    expect(codePointCount('x'.repeat(10_000), 7)).toBe(7);
  });
});
