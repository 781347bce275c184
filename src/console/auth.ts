import { createHmac, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import type { TLSSocket } from 'node:tls';
import { ADMIN_OU } from '../cluster/tls/identity';

/** Name of the cookie the login form sets. */
export const SESSION_COOKIE = 'chat_console';

/**
 * Who may use the console: a request with the token (Authorization: Bearer,
 * or the cookie the login form sets), or, over HTTPS, a client certificate
 * of the cluster CA with OU=admin. The cookie holds an HMAC of the token,
 * not the token itself.
 */
export class ConsoleAuth {
  private readonly cookieValue: string | undefined;

  constructor(
    private readonly token: string | undefined,
    private readonly tls: boolean,
  ) {
    this.cookieValue = token
      ? createHmac('sha256', token).update('chat-console-session').digest('hex')
      : undefined;
  }

  allows(req: http.IncomingMessage): boolean {
    if (this.hasAdminCertificate(req)) return true;
    const header = req.headers.authorization;
    if (header?.startsWith('Bearer ') && this.isToken(header.slice('Bearer '.length))) return true;
    const cookie = parseCookies(req.headers.cookie)[SESSION_COOKIE];
    return cookie !== undefined && this.cookieValue !== undefined && same(cookie, this.cookieValue);
  }

  isToken(candidate: string): boolean {
    return this.token !== undefined && same(candidate, this.token);
  }

  /** The Set-Cookie header after a successful login. */
  sessionCookie(): string {
    const secure = this.tls ? '; Secure' : '';
    return `${SESSION_COOKIE}=${this.cookieValue ?? ''}; HttpOnly; SameSite=Strict; Path=/${secure}`;
  }

  clearedCookie(): string {
    return `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;
  }

  private hasAdminCertificate(req: http.IncomingMessage): boolean {
    if (!this.tls) return false;
    const socket = req.socket as TLSSocket;
    if (!socket.authorized) return false;
    const subject = socket.getPeerCertificate()?.subject as unknown as
      Record<string, string | string[]> | undefined;
    const unit = subject?.['OU'];
    return (Array.isArray(unit) ? unit[0] : unit) === ADMIN_OU;
  }
}

/** Constant-time comparison of two strings of any length. */
function same(a: string, b: string): boolean {
  const x = createHmac('sha256', 'compare').update(a).digest();
  const y = createHmac('sha256', 'compare').update(b).digest();
  return timingSafeEqual(x, y);
}

function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) cookies[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return cookies;
}
