import type { RedisClient } from '../../src/redis/connect';
import type { Kicked } from '../../gen/chat/v1/client';
import { ChatClientError } from '../../src/client/chat-client';
import type { ChatClient } from '../../src/client/chat-client';
import { RedisKeys } from '../../src/core/names';
import { hashResumeSecret } from '../../src/core/resume-token';
import { encodeClientFrame } from '../../src/protocol/codec';
import { CloseCode } from '../../src/protocol/close-codes';
import { TEST_PASSWORD, TestCluster } from '../support/cluster';
import { keysMatching, redisFor } from '../support/services';
import { RawClient } from '../support/raw-client';
import { waitFor } from '../../src/core/wait-for';

/**
 * Sessions on real node processes: replacement by a newer login (same node or
 * another), crashed nodes, user info, resume tokens and logout, and the
 * bad-input suite against the node's real wiring. (The failed-login backoff:
 * edge-security.test.ts.)
 *
 * n1 and n2 are the cluster (n1 starts first and normally leads); n3 runs with
 * small WebSocket limits for the bad-input cases; n4 is there to be killed.
 */
describe('sessions', () => {
  let cluster: TestCluster;
  let redis: RedisClient;
  let keys: RedisKeys;
  let leader: string;
  let follower: string;

  beforeAll(async () => {
    cluster = await TestCluster.start({
      name: 'sessions',
      nodeIds: ['n1', 'n2'],
    });
    await Promise.all([
      cluster.startNode('n3', {
        MAX_TEXT_LENGTH: '20',
        WS_MAX_FRAME_BYTES: '1024',
        RATE_LIMIT_PER_SEC: '2',
        RATE_LIMIT_BURST: '15',
        RATE_LIMIT_MAX_STRIKES: '10',
      }),
      cluster.startNode('n4'),
    ]);
    redis = redisFor(cluster.env);
    keys = new RedisKeys(cluster.env.REDIS_PREFIX as string);
    const users = [
      'alice',
      'bob',
      'carol',
      'dave',
      'erin',
      'frank',
      'gina',
      'hank',
      'kim',
      'lee',
      'by1',
      'by2',
    ];
    for (const name of users) await cluster.createUser(name);
    await cluster.createUser('ivy', 'red');
    ({ leaderId: leader } = await cluster.waitForLeader());
    follower = ['n1', 'n2'].find((id) => id !== leader) as string;
  }, 90_000);

  afterAll(async () => {
    redis?.disconnect();
    await cluster?.stop();
  });

  describe('a newer login replaces the older one', () => {
    const cases: Array<[string, () => [string, string]]> = [
      ['leader, then follower', () => [leader, follower]],
      ['follower, then leader', () => [follower, leader]],
      ['follower, then another follower', () => [follower, 'n4']],
      ['the same follower', () => [follower, follower]],
      ['the same leader', () => [leader, leader]],
    ];
    it.each(cases)('%s', async (_label, nodes) => {
      const [first, second] = nodes();
      const user = 'alice';
      const sender = await cluster.login(second === 'n4' ? leader : 'n4', 'bob');
      const old = await cluster.login(first, user);
      const kicks: Kicked[] = [];
      old.on('kicked', (k) => kicks.push(k));

      const fresh = await cluster.login(second, user);
      const closed = await waitFor(() => old.closeStatus, { what: `the ${first} connection to close` });
      expect(closed.code).toBe(CloseCode.REPLACED);
      expect(kicks).toHaveLength(1);
      expect(kicks[0]?.reason).toMatch(/logged in somewhere else/);

      await expect(fresh.ping()).resolves.toBeDefined();
      const text = `to the new one ${first}->${second}`;
      const ack = await sender.sendDirect(user, text);
      expect((await fresh.waitForMessage((m) => m.text === text)).id).toBe(ack.id);
      expect(old.received().some((m) => m.text === text)).toBe(false);
      const info = await sender.userInfo(user);
      expect([info.online, info.nodeId]).toEqual([true, second]);

      await fresh.close();
      await sender.close();
      await waitFor(async () => !(await redis.hexists(keys.sessions(), user)), {
        what: `${user}'s global session to go`,
      });
    });
  });

  it('reports users of a SIGKILLed node offline although Redis still holds their sessions; they resume elsewhere', async () => {
    const tokens = new Map<string, string>();
    for (const user of ['gina', 'hank']) {
      const c = await cluster.connect('n4');
      tokens.set(user, (await c.login(user, TEST_PASSWORD)).resumeToken);
    }
    const asker = await cluster.login(follower, 'carol');
    await cluster.kill('n4');
    await waitFor(async () => (await cluster.info(follower)).nodes.every((n) => n.nodeId !== 'n4'), {
      what: 'n4 to leave the membership',
      timeoutMs: 15_000,
    });
    for (const user of ['gina', 'hank']) {
      const stale = JSON.parse((await redis.hget(keys.sessions(), user)) ?? '{}') as { nodeId?: string };
      expect(stale.nodeId).toBe('n4');
      const info = await asker.userInfo(user);
      expect([info.online, info.nodeId, info.loginAt]).toEqual([false, '', 0]);
      await expect(asker.sendDirect(user, 'hello?')).rejects.toMatchObject({
        code: 404,
        reason: 'USER_OFFLINE',
      });
    }
    // A lost connection (here: a dead node) keeps the token: the client resumes on a live node.
    for (const user of ['gina', 'hank']) {
      const resumed = await cluster.connect(follower);
      const ok = await resumed.resume(tokens.get(user) ?? '', user);
      expect([ok.user?.username, ok.nodeId]).toEqual([user, follower]);
      const ack = await asker.sendDirect(user, `back, ${user}?`);
      expect((await resumed.waitForMessage((m) => m.text === `back, ${user}?`)).id).toBe(ack.id);
    }
  });

  it('answers userInfo with node, login time, online duration and alliance; 404 for nobody', async () => {
    const before = Date.now();
    await cluster.login(follower, 'ivy');
    const asker = await cluster.login(leader, 'dave');
    const info = await asker.userInfo('ivy');
    expect(info).toMatchObject({ username: 'ivy', alliance: 'red', online: true, nodeId: follower });
    expect(info.loginAt).toBeGreaterThanOrEqual(before - 1000);
    const later = await waitFor(
      async () => {
        const again = await asker.userInfo('ivy');
        return again.onlineMs > 0 ? again : undefined;
      },
      { what: "ivy's online duration to grow" },
    );
    expect(later.loginAt).toBe(info.loginAt);
    await expect(asker.userInfo('nobody-at-all')).rejects.toMatchObject({
      code: 404,
      reason: 'UNKNOWN_USER',
    });
  });

  describe('resume tokens end with sessions (issue 14, finding 3)', () => {
    const secretOf = (token: string): string => token.slice(token.lastIndexOf('.') + 1);
    const refused = { code: 401, reason: 'BAD_RESUME_TOKEN' };

    it('resumes on another node once: the token is used up, and LoginOk carries the next one', async () => {
      const first = await cluster.connect(leader);
      const { resumeToken: token } = await first.login('erin', TEST_PASSWORD);
      expect(token).toMatch(/^erin\.[A-Za-z0-9_-]{43}$/);
      // Closing without Logout is a lost connection: the token stays.
      await first.close();

      const resumed = await cluster.connect(follower);
      const loginOk = await resumed.resume(token);
      expect([loginOk.user?.username, loginOk.nodeId]).toEqual(['erin', follower]);
      expect(loginOk.resumeToken).toMatch(/^erin\.[A-Za-z0-9_-]{43}$/);
      expect(loginOk.resumeToken).not.toBe(token);
      const peer = await cluster.login(leader, 'frank');
      await peer.sendDirect('erin', 'resumed?');
      await resumed.waitForMessage((m) => m.text === 'resumed?' && m.from === 'frank');

      // Used twice: refused, and the session it made stays.
      const replay = await cluster.connect(leader);
      expect(await errorOf(replay.resume(token, 'erin'))).toMatchObject(refused);
      await expect(resumed.ping()).resolves.toBeDefined();

      const garbage = await cluster.connect(follower);
      for (const bad of ['not a token!', 'A'.repeat(32), `erin.${'A'.repeat(43)}`]) {
        expect(await errorOf(garbage.resume(bad))).toMatchObject(refused);
      }
      // A token names its user: it cannot log in somebody else, and is not used up trying.
      expect(await errorOf(garbage.resume(loginOk.resumeToken, 'frank'))).toMatchObject(refused);
      const next = await cluster.connect(leader);
      expect((await next.resume(loginOk.resumeToken, 'erin')).user?.username).toBe('erin');
    });

    it('Logout replies, closes with 1000, takes the user offline and revokes the token', async () => {
      const asker = await cluster.login(leader, 'lee');
      const c = await cluster.connect(follower);
      const { resumeToken: token } = await c.login('dave', TEST_PASSWORD);
      expect((await asker.userInfo('dave')).online).toBe(true);
      await c.logout();
      expect((await c.waitClosed()).code).toBe(CloseCode.NORMAL);
      expect(await redis.hexists(keys.sessions(), 'dave')).toBe(0);
      expect((await asker.userInfo('dave')).online).toBe(false);
      const later = await cluster.connect(leader);
      expect(await errorOf(later.resume(token, 'dave'))).toMatchObject(refused);
      // Logout needs a login.
      const anonymous = await cluster.connect(leader);
      expect(await errorOf(anonymous.logout())).toMatchObject({ code: 401, reason: 'UNAUTHENTICATED' });
    });

    it("a newer login revokes the replaced session's token: of a dozen logins only the newest token works", async () => {
      const tokens: string[] = [];
      for (let i = 0; i < 12; i++) {
        const c = await cluster.connect(i % 2 === 0 ? leader : follower);
        tokens.push((await c.login('kim', TEST_PASSWORD)).resumeToken);
      }
      const probe = await cluster.connect(follower);
      // Three, not eleven: each refusal counts as a failed login of kim from here (free up to five).
      for (const old of [tokens[0], tokens[5], tokens[10]]) {
        expect(await errorOf(probe.resume(old ?? '', 'kim'))).toMatchObject(refused);
      }
      expect((await probe.resume(tokens[11] ?? '', 'kim')).user?.username).toBe('kim');
    });

    it('Redis holds a hash of the secret, never the token', async () => {
      const c = await cluster.connect(follower);
      const { resumeToken: token } = await c.login('carol', TEST_PASSWORD);
      const stored: string[] = [];
      // Every master of a Redis Cluster, and the hash-tagged keys ({<prefix>sessions}) too.
      const all = [
        ...(await keysMatching(redis, `${keys.prefix}*`)),
        ...(await keysMatching(redis, `{${keys.prefix}*`)),
      ];
      for (const key of all) {
        const type = await redis.type(key);
        const value =
          type === 'string'
            ? await redis.get(key)
            : type === 'hash'
              ? JSON.stringify(await redis.hgetall(key))
              : type === 'list'
                ? JSON.stringify(await redis.lrange(key, 0, -1))
                : '';
        stored.push(`${key} ${value ?? ''}`);
      }
      const text = stored.join('\n');
      expect(text).not.toContain(secretOf(token));
      expect(text).toContain(hashResumeSecret(secretOf(token)));
    });
  });

  it('gives the same error for a wrong password and an unknown user', async () => {
    const c = await cluster.connect(follower);
    const wrong = await errorOf(c.login('frank', 'not-the-password'));
    const unknown = await errorOf(c.login('no-such-user', 'whatever-password'));
    expect([wrong.code, wrong.reason]).toEqual([401, 'BAD_CREDENTIALS']);
    expect([unknown.code, unknown.reason, unknown.message]).toEqual([401, 'BAD_CREDENTIALS', wrong.message]);
  });

  describe('bad input against a real node (n3: text ≤ 20, frames ≤ 1024 B, 2/s burst 15)', () => {
    let by1: ChatClient;
    let by2: ChatClient;
    let round = 0;

    /** The bystanders on n3 keep exchanging direct messages whatever happens next to them. */
    const expectHealthy = async (): Promise<void> => {
      round++;
      for (const [from, to, receiver] of [
        [by1, 'by2', by2],
        [by2, 'by1', by1],
      ] as const) {
        const text = `ok ${round}`;
        const ack = await from.sendDirect(to, text);
        const got = await receiver.waitForMessage((m) => m.text === text && m.to === to);
        expect(got.id).toBe(ack.id);
      }
    };

    beforeAll(async () => {
      by1 = await cluster.login('n3', 'by1');
      by2 = await cluster.login('n3', 'by2');
      await expectHealthy();
    });

    it('garbage bytes and a truncated frame: 400 MALFORMED_FRAME, connection kept', async () => {
      const c = await cluster.login('n3', 'bob');
      const errors: ChatClientError[] = [];
      c.on('serverError', (e) => errors.push(e));
      c.sendRaw(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02]));
      const full = encodeClientFrame({
        id: 3,
        cmd: { $case: 'sendDirect', value: { to: 'by1', text: 'hello there', idempotencyKey: '' } },
      });
      c.sendRaw(full.subarray(0, full.length - 4));
      await waitFor(() => errors.length === 2, { what: 'two MALFORMED_FRAME errors' });
      expect(errors.map((e) => `${e.code} ${e.reason}`)).toEqual([
        '400 MALFORMED_FRAME',
        '400 MALFORMED_FRAME',
      ]);
      await expect(c.ping()).resolves.toBeDefined();
      await expectHealthy();
    });

    it('an oversized frame closes that connection with 1009', async () => {
      const c = await cluster.login('n3', 'bob');
      c.sendRaw(Buffer.alloc(1025, 1));
      expect((await c.waitClosed()).code).toBe(CloseCode.MESSAGE_TOO_BIG);
      await expectHealthy();
    });

    it('an unknown command: 400 UNKNOWN_COMMAND with its request id', async () => {
      const raw = await RawClient.open(cluster.node('n3').wsUrl);
      try {
        raw.send({
          id: 1,
          cmd: { $case: 'login', value: { username: 'bob', password: TEST_PASSWORD, resumeToken: '' } },
        });
        expect((await raw.reply(1)).event?.$case).toBe('loginOk');
        // id = 7 (field 1, varint), then field 99 as an empty length-delimited message.
        raw.send(Buffer.from([0x08, 0x07, 0x9a, 0x06, 0x00]));
        const reply = await raw.reply(7);
        expect(reply.event).toMatchObject({
          $case: 'error',
          value: { code: 400, reason: 'UNKNOWN_COMMAND' },
        });
      } finally {
        raw.close();
      }
      await expectHealthy();
    });

    it('a chat before login: 401 UNAUTHENTICATED', async () => {
      const c = await cluster.connect('n3');
      const err = await errorOf(c.sendDirect('by1', 'hi'));
      expect([err.code, err.reason]).toEqual([401, 'UNAUTHENTICATED']);
      expect(by1.received().some((m) => m.text === 'hi')).toBe(false);
      await expectHealthy();
    });

    it('a too-long text: 413 TEXT_TOO_LONG; invalid names: 400 INVALID_NAME', async () => {
      const c = await cluster.login('n3', 'bob');
      const long = await errorOf(c.sendDirect('by1', 'x'.repeat(21)));
      expect([long.code, long.reason]).toEqual([413, 'TEXT_TOO_LONG']);
      await expectHealthy();
      const badTo = await errorOf(c.sendDirect('by one', 'hi'));
      expect([badTo.code, badTo.reason]).toEqual([400, 'INVALID_NAME']);
      const badRoom = await errorOf(c.joinRoom('../etc'));
      expect([badRoom.code, badRoom.reason]).toEqual([400, 'INVALID_NAME']);
      const badLogin = await errorOf((await cluster.connect('n3')).login('no spaces please', 'pw'));
      expect([badLogin.code, badLogin.reason]).toEqual([400, 'INVALID_NAME']);
      await expectHealthy();
    });

    it('a flood: 429 RATE_LIMITED, then close 4001 RATE_ABUSE', async () => {
      const c = await cluster.connect('n3');
      const results = await Promise.allSettled(Array.from({ length: 40 }, () => c.ping()));
      const reasons = results.map((r) =>
        r.status === 'fulfilled' ? 'ok' : r.reason instanceof ChatClientError ? r.reason.reason : 'other',
      );
      expect(reasons.filter((r) => r === 'ok').length).toBeGreaterThanOrEqual(15);
      expect(reasons).toContain('RATE_LIMITED');
      expect((await c.waitClosed()).code).toBe(CloseCode.RATE_ABUSE);
      await expectHealthy();
    });
  });
});

async function errorOf(p: Promise<unknown>): Promise<ChatClientError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ChatClientError) return err;
    throw err;
  }
  throw new Error('expected the request to fail');
}
