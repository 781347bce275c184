import { z } from 'zod';
import { PluginRejection } from '../rejection';
import type { ChatPlugin, MessageDraft, PluginContext, SenderInfo } from '../types';

/**
 * Example plugin: accounts younger than `minAccountAgeMinutes` may not post
 * links, the usual shape of spam from freshly made accounts. Load it with
 * PLUGINS=./dist/src/plugins/examples/link-guard.js and configure it in
 * PLUGINS_CONFIG under "link-guard" (docs/hooks.md).
 *
 * It is a guard against casual spam, not a filter a determined sender cannot
 * get around ("example dot com" passes).
 */

export interface LinkGuardOptions {
  /** Default 60. */
  minAccountAgeMinutes?: number;
  /** Clock, for tests. */
  now?: () => number;
  priority?: number;
}

const configSchema = z
  .object({
    minAccountAgeMinutes: z.number().min(0).optional(),
    priority: z.number().int().optional(),
  })
  .strict();

const TLDS = [
  'com', 'net', 'org', 'io', 'gg', 'co', 'me', 'to', 'tv', 'ly', 'xyz', 'info', 'biz', 'app', 'dev',
  'link', 'site', 'online', 'shop', 'store', 'club', 'top', 'live', 'vip', 'pro', 'cc', 'ws', 'ru',
  'cn', 'uk', 'de', 'us', 'eu',
]; // prettier-ignore

/** A scheme, `www.`, or a bare host name ending in a common TLD (not an e-mail address). */
const LINK_PATTERN = new RegExp(
  [
    String.raw`\b[a-z][a-z0-9+.-]*:\/\/\S`,
    String.raw`\bwww\.\S`,
    String.raw`(?:^|[^\w.@-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:${TLDS.join('|')})(?![\w-])`,
  ].join('|'),
  'i',
);

/** True when `text` contains something that reads as a link. */
export function containsLink(text: string): boolean {
  // Full-width and ideographic dots would otherwise hide a domain from the pattern.
  const normalized = text.normalize('NFKC').replace(/[\u3002\uff61]/g, '.');
  return LINK_PATTERN.test(normalized);
}

export function createLinkGuard(options: LinkGuardOptions = {}): ChatPlugin {
  const minAgeMinutes = options.minAccountAgeMinutes ?? 60;
  const minAgeMs = minAgeMinutes * 60_000;
  const now = options.now ?? Date.now;
  return {
    name: 'link-guard',
    priority: options.priority ?? 50,
    async beforeMessage(draft: MessageDraft, sender: SenderInfo): Promise<void> {
      const ageMs = now() - sender.createdAt;
      // Old enough accounts never pay for the pattern.
      if (ageMs >= minAgeMs || !containsLink(draft.text)) return;
      const ageMinutes = Math.max(0, Math.floor(ageMs / 60_000));
      throw new PluginRejection(
        403,
        'LINK_NOT_ALLOWED',
        `Links are allowed from accounts older than ${minAgeMinutes} minutes; ` +
          `yours is ${ageMinutes} minute${ageMinutes === 1 ? '' : 's'} old. Send the message without the link.`,
      );
    },
  };
}

/** Checks the plugin's config section; an invalid one stops start-up with the reason. */
export function parseLinkGuardConfig(config: unknown): LinkGuardOptions {
  const parsed = configSchema.safeParse(config ?? {});
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join('.') || '(section)'}: ${i.message}`).join('; ');
    throw new Error(`invalid link-guard config: ${why}`);
  }
  return parsed.data;
}

/** The factory the plugin loader calls. */
export default function linkGuard(ctx: PluginContext): ChatPlugin {
  const options = parseLinkGuardConfig(ctx.config);
  ctx.logger.info({ minAccountAgeMinutes: options.minAccountAgeMinutes ?? 60 }, 'link guard configured');
  return createLinkGuard(options);
}
