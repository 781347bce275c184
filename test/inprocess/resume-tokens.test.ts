/**
 * Resume tokens through the real protocol on three ChatNodes in this process
 * (in-memory ports): rotation on use, revocation by Logout and by a newer
 * login, and a resume after the user's node went away. The same against real
 * servers: test/integration/sessions.test.ts.
 */
import { CloseCode } from '../../src/protocol/close-codes';
import { MEMORY_PASSWORD, MemoryCluster } from '../support/memory-cluster';

const refused = { code: 401, reason: 'BAD_RESUME_TOKEN' };

describe('resume tokens in a one-process cluster', () => {
  let cluster: MemoryCluster;
  let f1: string;
  let f2: string;

  beforeEach(async () => {
    cluster = await MemoryCluster.start();
    [f1, f2] = (await cluster.followers()) as [string, string];
    for (const name of ['amy', 'bo']) await cluster.createUser(name);
  });
  afterEach(() => cluster.stop());

  it('a resume uses the token up and hands out the next one', async () => {
    const first = cluster.connect(f1);
    const { resumeToken: token } = await first.login('amy', MEMORY_PASSWORD);
    await first.close();
    const second = cluster.connect(f2);
    const next = (await second.resume(token)).resumeToken;
    expect(next).not.toBe(token);
    await expect(cluster.connect(f1).resume(token)).rejects.toMatchObject(refused);
    expect((await cluster.connect(f1).resume(next)).user?.username).toBe('amy');
  });

  it('Logout revokes the token, takes the user offline and closes with 1000 after the reply', async () => {
    const bo = await cluster.login(f2, 'bo');
    const amy = cluster.connect(f1);
    const { resumeToken: token } = await amy.login('amy', MEMORY_PASSWORD);
    await amy.logout();
    expect(await amy.waitClosed()).toMatchObject({ code: CloseCode.NORMAL });
    expect((await bo.userInfo('amy')).online).toBe(false);
    await expect(cluster.connect(f2).resume(token)).rejects.toMatchObject(refused);
  });

  it('a newer login revokes the token of the session it replaced', async () => {
    const old = cluster.connect(f1);
    const { resumeToken: token } = await old.login('amy', MEMORY_PASSWORD);
    await cluster.login(f2, 'amy');
    expect(await old.waitClosed()).toMatchObject({ code: CloseCode.REPLACED });
    await expect(cluster.connect(f1).resume(token)).rejects.toMatchObject(refused);
  });

  it('keeps the token when the node goes away, so the client resumes on another one', async () => {
    const amy = cluster.connect(f1);
    const { resumeToken: token } = await amy.login('amy', MEMORY_PASSWORD);
    await cluster.stopNode(f1);
    expect((await amy.waitClosed()).code).not.toBe(CloseCode.NORMAL);
    const again = cluster.connect(f2);
    expect((await again.resume(token, 'amy')).nodeId).toBe(f2);
  });
});
