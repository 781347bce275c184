import fs from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import { findFreePort } from '../../src/devservices/free-port';
import { CloseCode } from '../../src/protocol/close-codes';
import { TestCluster } from '../support/cluster';

/**
 * The few browser globals the page-side predicates use: the tests compile
 * without the DOM's types. (Predicates are functions, not strings: the
 * console's Content-Security-Policy forbids eval, rightly.)
 */
interface Row {
  dataset: Record<string, string | undefined>;
}
interface PageWindow {
  document: {
    querySelectorAll(selector: string): ArrayLike<Row>;
    getElementById(id: string): { textContent: string | null } | null;
  };
}

const TOKEN = 'console-test-token-0123456789';
/** The Debian package `chromium` (scripts/install-services.sh); never a downloaded browser. */
const CHROMIUM = '/usr/bin/chromium';

/**
 * The web console in headless Chromium against three real nodes: the page
 * logs in with the token, shows the three nodes and the leader, live rates,
 * kicks a user, and follows a node that stops.
 */
describe('admin console in a browser', () => {
  let cluster: TestCluster;
  let context: BrowserContext;
  let profile: string;
  let page: Page;
  let leaderId: string;
  let asker: string;
  const consoleUrl = new Map<string, string>();

  const rows = (): Promise<string[]> =>
    page
      .locator('#nodes tr')
      .evaluateAll((trs) => trs.map((tr) => (tr as unknown as Row).dataset['node'] ?? ''));

  beforeAll(async () => {
    cluster = await TestCluster.start({ name: 'operator-console', nodeIds: [], env: { ADMIN_TOKEN: TOKEN } });
    for (const name of ['cleo', 'cody', 'cora']) await cluster.createUser(name);
    const [first, ...rest] = ['n1', 'n2', 'n3'];
    const start = async (id: string): Promise<void> => {
      const port = await findFreePort();
      await cluster.startNode(id, { ADMIN_PORT: String(port) });
      consoleUrl.set(id, `http://127.0.0.1:${port}/`);
    };
    await start(first as string);
    await Promise.all(rest.map(start));
    ({ leaderId } = await cluster.waitForLeader());
    asker = [...cluster.nodes.keys()].filter((id) => id !== leaderId).sort()[0] as string;
    profile = await fs.mkdtemp(path.join(os.tmpdir(), 'chat-console-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    context.setDefaultTimeout(15_000);
    page = await context.newPage();
  });
  afterAll(async () => {
    await context?.close();
    await cluster?.stop();
    if (profile) await fs.rm(profile, { recursive: true, force: true });
  });

  it('refuses the API without the token, and a wrong token at the login form', async () => {
    const url = consoleUrl.get(asker) as string;
    expect((await fetch(`${url}api/cluster`)).status).toBe(401);
    const kick = await fetch(`${url}api/kick`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'cleo' }),
    });
    expect(kick.status).toBe(401);
    const withToken = await fetch(`${url}api/cluster`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(withToken.status).toBe(200);

    await page.goto(url);
    await page.fill('#token', 'not-the-token-at-all');
    await page.click('#login');
    await page.waitForSelector('text=That is not the admin token.');
  });

  it('logs in and shows the three nodes and the leader', async () => {
    await page.fill('#token', TOKEN);
    await page.click('#login');
    await page.waitForFunction(
      () => (globalThis as unknown as PageWindow).document.querySelectorAll('#nodes tr').length === 3,
    );
    expect((await rows()).sort()).toEqual(['n1', 'n2', 'n3']);
    expect(await page.textContent('#leader')).toBe(leaderId);
    expect(await page.getAttribute(`#nodes tr[data-node="${leaderId}"]`, 'data-role')).toBe('leader');
    expect(await page.textContent('#answered-by')).toBe(`as seen by ${asker}`);
  });

  it('shows live message and connection rates', async () => {
    const cleo = await cluster.login(leaderId, 'cleo');
    await cluster.login(asker, 'cody');
    let sent = 0;
    const sending = setInterval(() => {
      sent++;
      void cleo.sendDirect('cody', `rate ${sent}`).catch(() => undefined);
    }, 100);
    try {
      await page.waitForFunction(
        () =>
          Number((globalThis as unknown as PageWindow).document.getElementById('message-rate')?.textContent) >
          0,
      );
    } finally {
      clearInterval(sending);
    }
    expect(Number(await page.textContent('#connections'))).toBeGreaterThanOrEqual(2);
  });

  it('kicks a user on another node', async () => {
    const other = [...cluster.nodes.keys()].find((id) => id !== asker && id !== leaderId) as string;
    const cora = await cluster.login(other, 'cora');
    await page.fill('#kick-user', 'cora');
    await page.click('#kick-form button');
    await page.waitForSelector(`text=Kicked cora on ${other}.`);
    expect((await cora.waitClosed()).code).toBe(CloseCode.KICKED);
  });

  it('follows a node that stops', async () => {
    const stopped = [...cluster.nodes.keys()].find((id) => id !== asker && id !== leaderId) as string;
    await cluster.stopNode(stopped);
    await page.waitForFunction((gone) => {
      const trs = (globalThis as unknown as PageWindow).document.querySelectorAll('#nodes tr');
      const nodes = Array.from(trs, (tr) => tr.dataset['node']);
      return nodes.length === 2 && !nodes.includes(gone);
    }, stopped);
    expect((await rows()).sort()).toEqual([asker, leaderId].sort());
    expect(await page.textContent('#leader')).toBe(leaderId);
  });

  it('over HTTPS (ADMIN_TLS), opens to the admin certificate and the token, not to a node certificate', async () => {
    const port = await findFreePort();
    await cluster.startNode('n4', { ADMIN_PORT: String(port), ADMIN_TLS: 'true' });
    const file = (name: string): Promise<Buffer> => fs.readFile(path.join(cluster.certsDir, name));
    const ca = await file('ca.crt');
    const get = (options: { cert?: Buffer; key?: Buffer; token?: string }): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = https.request(
          {
            host: '127.0.0.1',
            port,
            path: '/api/cluster',
            servername: 'localhost',
            ca,
            cert: options.cert,
            key: options.key,
            headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
    expect(await get({ cert: await file('admin.crt'), key: await file('admin.key') })).toBe(200);
    expect(await get({ token: TOKEN })).toBe(200);
    expect(await get({})).toBe(401);
    expect(await get({ cert: await file('n1.crt'), key: await file('n1.key') })).toBe(401);
  });
});
