import { ChatClient } from '../../src/client/chat-client';
import { TEST_PASSWORD, TestCluster } from '../support/cluster';
import { conversation } from '../../src/core/names';
import { waitFor } from '../../src/core/wait-for';

describe('acknowledged means stored: idempotent sends and catch-up', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await TestCluster.start({ name: 'delivery', nodeIds: ['n1', 'n2'] });
    for (const name of ['amy', 'bo', 'cy']) await cluster.createUser(name);
    await cluster.waitForLeader();
  }, 90_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('stores a retried direct message once and answers with the original acknowledgement', async () => {
    const amy = await cluster.login('n1', 'amy');
    await cluster.login('n2', 'bo');
    const first = await amy.request({
      $case: 'sendDirect',
      value: { to: 'bo', text: 'only once', idempotencyKey: 'k-1' },
    });
    // The same key again, from a new connection on the other node (as after a reconnect).
    const amy2 = await cluster.login('n2', 'amy');
    const again = await amy2.request({
      $case: 'sendDirect',
      value: { to: 'bo', text: 'only once', idempotencyKey: 'k-1' },
    });
    expect(again).toEqual(first);
    const page = await amy2.history({ peer: 'bo' });
    expect(page.messages.filter((m) => m.text === 'only once')).toHaveLength(1);
  });

  it('stores a retried room message once, whichever node the retry enters', async () => {
    const amy = await cluster.login('n1', 'amy');
    await amy.createRoom('once');
    const ack = await amy.request({
      $case: 'sendRoom',
      value: { room: 'once', text: 'room once', idempotencyKey: 'r-1' },
    });
    const amy2 = await cluster.login('n2', 'amy');
    const again = await amy2.request({
      $case: 'sendRoom',
      value: { room: 'once', text: 'room once', idempotencyKey: 'r-1' },
    });
    expect(again).toEqual(ack);
    const page = await amy2.history({ room: 'once' });
    expect(page.messages.map((m) => m.text)).toEqual(['room once']);
  });

  it('lets a user who was offline catch up with sync at the next login', async () => {
    const bo = await cluster.login('n1', 'bo');
    await expect(bo.sendDirect('cy', 'while you were away 1')).rejects.toMatchObject({
      code: 404,
      reason: 'USER_OFFLINE',
    });
    await expect(bo.sendDirect('cy', 'while you were away 2')).rejects.toMatchObject({ code: 404 });
    const cy = await ChatClient.connect(cluster.node('n2').wsUrl);
    cluster.clients.push(cy);
    const loginOk = await cy.login('cy', TEST_PASSWORD);
    const key = conversation.direct('bo', 'cy');
    // The login says where messages arrived while cy was offline.
    expect(loginOk.missed).toEqual([{ conversation: key, afterSeq: 0 }]);
    const result = await cy.sync([{ conversation: key, afterSeq: 0 }]);
    const caughtUp = result.conversations[0];
    expect(caughtUp?.messages.map((m) => [m.seq, m.text])).toEqual([
      [1, 'while you were away 1'],
      [2, 'while you were away 2'],
    ]);
    expect(caughtUp?.complete).toBe(true);
    expect(caughtUp?.hasMore).toBe(false);
    const later = await cy.sync([{ conversation: key, afterSeq: 2 }]);
    expect(later.conversations[0]?.messages).toEqual([]);
    await expect(
      cy.sync([{ conversation: conversation.direct('amy', 'bo'), afterSeq: 0 }]),
    ).rejects.toMatchObject({ code: 403 });
    // After a clean logout, the next login reports only what arrived since.
    await cy.close();
    await waitFor(async () => (await bo.userInfo('cy')).online === false, { what: 'cy to be offline' });
    await expect(bo.sendDirect('cy', 'one more')).rejects.toMatchObject({ code: 404 });
    const cyAgain = await ChatClient.connect(cluster.node('n1').wsUrl);
    cluster.clients.push(cyAgain);
    // The position errs early by up to MISSED_SLACK_MS (a message stamped just before the logout,
    // or on a node whose clock runs ahead, is not skipped); syncing from it brings the new message.
    const missed = (await cyAgain.login('cy', TEST_PASSWORD)).missed;
    expect(missed).toHaveLength(1);
    expect(missed[0]?.conversation).toBe(key);
    expect(missed[0]?.afterSeq).toBeLessThanOrEqual(2);
    const again = await cyAgain.sync(missed);
    expect(again.conversations[0]?.messages.map((m) => m.text).pop()).toBe('one more');
  });
});
