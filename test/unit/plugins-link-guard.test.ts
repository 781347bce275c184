import { toErrorReply } from '../../src/core/errors';
import { HookRunner, PluginRejection } from '../../src/plugins';
import type { MessageDraft, SenderInfo } from '../../src/plugins';
import linkGuard, {
  containsLink,
  createLinkGuard,
  parseLinkGuardConfig,
} from '../../src/plugins/examples/link-guard';
import { silentLogger } from '../../src/core/logger';

const now = Date.UTC(2025, 0, 1, 12, 0, 0);
const minutes = (n: number): number => n * 60_000;
const draft = (text: string): MessageDraft => ({
  kind: 'world',
  conversation: 'world',
  from: 'newbie',
  to: 'world',
  text,
});
const user = (ageMinutes: number): SenderInfo => ({
  username: 'newbie',
  alliance: '',
  createdAt: now - minutes(ageMinutes),
});

describe('containsLink', () => {
  it.each([
    'see https://example.com/x',
    'HTTP://EXAMPLE.COM',
    'go to www.example.org now',
    'free gold at cheapgold.xyz',
    'visit shop.example.co.uk/deal',
    'join discord.gg/abc',
    'my-site.io',
    'ftp://files.example.net',
    'full-width dot: example．com',
    'ideographic dot: example。com',
  ])('finds a link in %j', (text) => {
    expect(containsLink(text)).toBe(true);
  });

  it.each([
    'hello there',
    'e.g. this, i.e. that',
    'version 3.14 is out',
    'mail me at someone@example.com',
    'node.js and vue.js',
    'The end.Then we went home',
    'ratio 1.5:2',
    '',
  ])('finds no link in %j', (text) => {
    expect(containsLink(text)).toBe(false);
  });
});

describe('link-guard plugin', () => {
  const guard = createLinkGuard({ minAccountAgeMinutes: 60, now: () => now });

  it('rejects links from young accounts with 403 LINK_NOT_ALLOWED and a clear sentence', async () => {
    const err = await Promise.resolve(guard.beforeMessage?.(draft('buy at www.gold.example'), user(5))).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PluginRejection);
    expect(toErrorReply(err)).toEqual({
      code: 403,
      reason: 'LINK_NOT_ALLOWED',
      message:
        'Links are allowed from accounts older than 60 minutes; yours is 5 minutes old. Send the message without the link.',
    });
  });

  it('lets young accounts send text without links, and old accounts send links', async () => {
    await expect(
      Promise.resolve(guard.beforeMessage?.(draft('hello all'), user(1))),
    ).resolves.toBeUndefined();
    await expect(
      Promise.resolve(guard.beforeMessage?.(draft('https://example.com'), user(60))),
    ).resolves.toBeUndefined();
  });

  it('refuses through the HookRunner as the client would see it', async () => {
    const runner = new HookRunner([createLinkGuard({ minAccountAgeMinutes: 10, now: () => now })]);
    await expect(runner.beforeMessage(draft('x.com'), user(9))).rejects.toMatchObject({
      code: 403,
      reason: 'LINK_NOT_ALLOWED',
    });
    await expect(runner.beforeMessage(draft('x.com'), user(10))).resolves.toEqual(draft('x.com'));
  });

  it('reads its config section, defaulting to 60 minutes, and refuses a bad one', () => {
    expect(parseLinkGuardConfig(undefined)).toEqual({});
    expect(parseLinkGuardConfig({ minAccountAgeMinutes: 5 })).toEqual({ minAccountAgeMinutes: 5 });
    expect(() => parseLinkGuardConfig({ minAccountAgeMinutes: -1 })).toThrow(/minAccountAgeMinutes/);
    expect(() => parseLinkGuardConfig({ minAgeMinutes: 5 })).toThrow(/invalid link-guard config/);
    const plugin = linkGuard({ logger: silentLogger(), config: undefined });
    expect(plugin.name).toBe('link-guard');
    expect(plugin.priority).toBe(50);
  });
});
