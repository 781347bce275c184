import WebSocket from 'ws';
import type { ServerFrame } from '../../gen/chat/v1/client';
import { ChatClientError } from '../../src/client/chat-client';
import { decodeServerFrameJson } from '../../src/protocol/codec';
import { CloseCode, SUBPROTOCOL_JSON } from '../../src/protocol/close-codes';
import { TEST_PASSWORD, TestCluster } from '../support/cluster';
import { waitFor } from '../../src/core/wait-for';

/**
 * Issue 14 against real node processes: the failed-login backoff per account
 * and address (finding 7), failed resumes in it (3), control characters in
 * passwords (8), field types of the JSON subprotocol (6) and the connection
 * limits (5).
 *
 * n1 and n2 share Redis: the backoff holds on both. Addresses are loopback
 * aliases (127.0.0.x), each a different "client address".
 */
describe('edge security on real nodes', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await TestCluster.start({
      name: 'edge-security',
      nodeIds: ['n1', 'n2'],
      env: {
        LOGIN_FREE_FAILURES: '3',
        LOGIN_BACKOFF_BASE_MS: '1500',
        LOGIN_MAX_FAILURES_PER_USER: '50',
        LOGIN_MAX_FAILURES_PER_ADDRESS: '10',
        WS_LOGIN_TIMEOUT_MS: '3000',
        WS_MAX_CONNECTIONS_PER_ADDRESS: '4',
      },
    });
    for (const name of ['alice', 'bob', 'dave', 'gina', 'hank', 'ivan', 'user63'])
      await cluster.createUser(name);
    await cluster.waitForLeader();
  }, 90_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  const from = (last: number): { localAddress: string } => ({ localAddress: `127.0.0.${last}` });

  /** One login on a fresh connection from 127.0.0.<last>, closed after: 'ok' or the error. */
  const attempt = async (node: string, last: number, user: string, password: string) => {
    const c = await cluster.connect(node, from(last));
    try {
      await c.login(user, password);
      return 'ok' as const;
    } catch (err) {
      if (err instanceof ChatClientError) return err;
      throw err;
    } finally {
      await c.close();
    }
  };
  const reasonOf = (r: 'ok' | ChatClientError): string => (r === 'ok' ? 'ok' : r.reason);
  /** Waits until the pair's backoff has passed: the next attempt (with `password`) is checked again. */
  const afterBackoff = (last: number, user: string, password: string) =>
    waitFor(
      async () => {
        const r = await attempt('n1', last, user, password);
        return reasonOf(r) === 'LOGIN_BACKOFF' ? undefined : r;
      },
      { what: 'the backoff to pass', timeoutMs: 8000, intervalMs: 250 },
    );

  describe('failed logins (finding 7)', () => {
    it('backs off one account from one address with "retry after N s"; the owner elsewhere logs in', async () => {
      for (let i = 0; i < 3; i++)
        expect(reasonOf(await attempt('n1', 5, 'alice', `guess-${i}`))).toBe('BAD_CREDENTIALS');
      // The right password too: while the pair waits, nothing is checked.
      const waiting = await attempt('n1', 5, 'alice', TEST_PASSWORD);
      if (waiting === 'ok') throw new Error('logged in during the backoff');
      expect([waiting.code, waiting.reason]).toEqual([429, 'LOGIN_BACKOFF']);
      expect(waiting.retryAfterMs).toBeGreaterThan(0);
      expect(waiting.retryAfterMs).toBeLessThanOrEqual(1500);
      expect(waiting.message).toMatch(/retry after [12] s\.$/);
      // Shared through Redis: the same on the other node, from the same address.
      expect(reasonOf(await attempt('n2', 5, 'alice', TEST_PASSWORD))).toBe('LOGIN_BACKOFF');
      // The account is not locked: its owner at another address gets in at once.
      expect(await attempt('n2', 6, 'alice', TEST_PASSWORD)).toBe('ok');
      // Once the delay has passed, the right password works from that address too, and clears the count.
      expect(await afterBackoff(5, 'alice', TEST_PASSWORD)).toBe('ok');
      expect(reasonOf(await attempt('n1', 5, 'alice', 'x'))).toBe('BAD_CREDENTIALS');
      expect(reasonOf(await attempt('n1', 5, 'alice', 'y'))).toBe('BAD_CREDENTIALS');
    });

    it('doubles the wait with every further failure', async () => {
      for (let i = 0; i < 3; i++) await attempt('n1', 8, 'bob', `guess-${i}`);
      const first = await attempt('n1', 8, 'bob', 'x');
      expect(first !== 'ok' && first.retryAfterMs).toBeLessThanOrEqual(1500);
      expect(reasonOf(await afterBackoff(8, 'bob', 'wrong again'))).toBe('BAD_CREDENTIALS');
      const second = await attempt('n1', 8, 'bob', TEST_PASSWORD);
      if (second === 'ok') throw new Error('logged in during the backoff');
      expect(second.retryAfterMs).toBeGreaterThan(1500);
      expect(second.retryAfterMs).toBeLessThanOrEqual(3000);
    });

    it('does not lock everyone behind an address that failed many times (a NAT)', async () => {
      for (let i = 0; i < 12; i++) {
        // A different (unknown) name each time: only the address total grows.
        expect(reasonOf(await attempt('n1', 7, `ghost-${i}`, 'guess'))).toBe('BAD_CREDENTIALS');
      }
      // Other users behind the same address still log in with their passwords.
      expect(await attempt('n2', 7, 'dave', TEST_PASSWORD)).toBe('ok');
      expect(await attempt('n1', 7, 'hank', TEST_PASSWORD)).toBe('ok');
      // But from that address every account now waits after a single failure.
      expect(reasonOf(await attempt('n1', 7, 'gina', 'guess'))).toBe('BAD_CREDENTIALS');
      expect(reasonOf(await attempt('n1', 7, 'gina', 'guess-2'))).toBe('LOGIN_BACKOFF');
    });
  });

  it('counts failed resumes as failed logins of the account the token names (finding 3)', async () => {
    const owner = await cluster.connect('n2', from(12));
    const { resumeToken: token } = await owner.login('ivan', TEST_PASSWORD);
    await owner.close();
    /** One resume on a fresh connection from 127.0.0.11, without a username: the token names ivan. */
    const resume = async (t: string): Promise<'ok' | ChatClientError> => {
      const c = await cluster.connect('n1', from(11));
      try {
        await c.resume(t);
        return 'ok';
      } catch (err) {
        if (err instanceof ChatClientError) return err;
        throw err;
      } finally {
        await c.close();
      }
    };
    for (let i = 0; i < 3; i++) {
      const forged = `ivan.${String(i).repeat(43)}`;
      expect(reasonOf(await resume(forged))).toBe('BAD_RESUME_TOKEN');
    }
    // The pair now waits, for resumes and passwords alike; the real token is not used up by the refusal.
    expect(reasonOf(await resume(token))).toBe('LOGIN_BACKOFF');
    expect(reasonOf(await attempt('n2', 11, 'ivan', TEST_PASSWORD))).toBe('LOGIN_BACKOFF');
    const after = await waitFor(
      async () => {
        const r = await resume(token);
        return reasonOf(r) === 'LOGIN_BACKOFF' ? undefined : r;
      },
      { what: 'the backoff to pass', timeoutMs: 8000, intervalMs: 250 },
    );
    expect(after).toBe('ok');
  });

  it('refuses a password with a trailing NUL (finding 8), in both subprotocols', async () => {
    for (const json of [false, true]) {
      const c = await cluster.connect('n1', { json, ...from(9) });
      const err = await errorOf(c.login('hank', `${TEST_PASSWORD}\u0000`));
      expect([err.code, err.reason]).toEqual([400, 'INVALID_PASSWORD']);
      await expect(c.login('hank', TEST_PASSWORD)).resolves.toBeDefined();
    }
  });

  it('checks the types of JSON fields before anything reaches Redis (finding 6)', async () => {
    const raw = await JsonSocket.open(cluster.node('n2').wsUrl, from(10).localAddress);
    try {
      raw.send(`{"id":1,"login":{"username":["user63"],"password":"${TEST_PASSWORD}"}}`);
      expect(errorOf(await raw.reply(1))).toMatchObject({ code: 400, reason: 'INVALID_FIELD' });
      raw.send(`{"id":2,"login":{"username":"user63","password":"${TEST_PASSWORD}"}}`);
      expect((await raw.reply(2)).event?.$case).toBe('loginOk');
      for (const [id, limit] of [
        [3, '2.5'],
        [4, '-1'],
        [5, '"1e3"'],
      ] as const) {
        raw.send(`{"id":${id},"getPopular":{"limit":${limit}}}`);
        expect(errorOf(await raw.reply(id))).toMatchObject({ code: 400, reason: 'INVALID_FIELD' });
      }
      raw.send('{"id":6,"getPopular":{"limit":51}}');
      expect(errorOf(await raw.reply(6))).toMatchObject({ code: 400, reason: 'INVALID_LIMIT' });
      raw.send('{"id":7,"getPopular":{"limit":3}}');
      expect((await raw.reply(7)).event?.$case).toBe('popular');
    } finally {
      raw.close();
    }
    // Nothing unexpected was logged (an unchecked limit used to reach Redis and log a 500 with a stack).
    expect(cluster.node('n2').logTail.filter((l) => /command-failed|"stack"/.test(l))).toEqual([]);
  });

  describe('connection limits (finding 5)', () => {
    it('closes a connection that never logs in with 4005 after WS_LOGIN_TIMEOUT_MS', async () => {
      const idle = await cluster.connect('n1', from(11));
      await expect(idle.ping()).resolves.toBeDefined();
      const closed = await idle.waitClosed();
      expect(closed.code).toBe(CloseCode.LOGIN_TIMEOUT);
    });

    it('refuses the fifth connection from one address with HTTP 429', async () => {
      const url = cluster.node('n2').wsUrl;
      for (let i = 0; i < 4; i++) await cluster.login('n2', ['alice', 'bob', 'dave', 'gina'][i]!, from(12));
      const status = await new Promise<number>((resolve, reject) => {
        const socket = new WebSocket(url, [SUBPROTOCOL_JSON], from(12));
        socket.once('open', () => {
          socket.terminate();
          resolve(101);
        });
        socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        socket.once('error', reject);
      });
      expect(status).toBe(429);
      await expect(cluster.login('n2', 'hank', from(13))).resolves.toBeDefined();
    });
  });
});

async function errorOf(p: Promise<unknown>): Promise<ChatClientError>;
function errorOf(frame: ServerFrame): { code: number; reason: string; message: string };
function errorOf(
  input: Promise<unknown> | ServerFrame,
): Promise<ChatClientError> | { code: number; reason: string; message: string } {
  if (!(input instanceof Promise)) {
    if (input.event?.$case !== 'error') throw new Error(`expected an error, got ${input.event?.$case}`);
    return input.event.value;
  }
  return input.then(
    () => {
      throw new Error('expected the request to fail');
    },
    (err: unknown) => {
      if (err instanceof ChatClientError) return err;
      throw err;
    },
  );
}

/** A bare JSON-subprotocol WebSocket that sends text as it is. */
class JsonSocket {
  private readonly frames: ServerFrame[] = [];

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => this.frames.push(decodeServerFrameJson(String(data))));
    socket.on('error', () => undefined);
  }

  static async open(url: string, localAddress: string): Promise<JsonSocket> {
    const socket = new WebSocket(url, [SUBPROTOCOL_JSON], { localAddress });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new JsonSocket(socket);
  }

  send(text: string): void {
    this.socket.send(text);
  }

  reply(id: number): Promise<ServerFrame> {
    return waitFor(() => this.frames.find((f) => f.replyTo === id), { what: `the reply to request ${id}` });
  }

  close(): void {
    this.socket.terminate();
  }
}
