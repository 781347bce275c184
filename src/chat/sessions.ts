import { randomUUID } from 'node:crypto';
import type { Logger } from '../core/logger';
import { Unauthenticated } from '../core/errors';
import { resumeTokenUser } from '../core/resume-token';
import type { MessageStore, UserRecord, UserStore } from '../store/types';
import type { ClusterPort } from './cluster-port';
import type { LocalSessions } from './local-sessions';
import type { ChatEvents, GlobalSession, LoginAttempts, ResumeTokens, SessionDirectory } from './ports';
import type { LocalSession, SessionPeer } from './types';

export interface LoginInput {
  username: string;
  password: string;
  resumeToken: string;
}

export interface LoginResult {
  user: UserRecord;
  session: LocalSession;
  resumeToken: string;
  resumeTokenExpiresAt: number;
  /** Direct conversations with messages received while offline, and where to sync them from. */
  missed: Array<{ conversation: string; afterSeq: number }>;
}

/** How many conversations a login reports as missed; the client syncs each. */
export const MISSED_LIMIT = 500;

/**
 * Messages are looked for from this long before the last logout: a message
 * stamped on another node whose clock runs ahead, or stamped before the logout
 * and stored after it, is still found. The client de-duplicates what it had.
 */
export const MISSED_SLACK_MS = 10_000;

export interface SessionServiceDeps {
  users: UserStore;
  messages: Pick<MessageStore, 'missedDirect'>;
  attempts: LoginAttempts;
  tokens: ResumeTokens;
  directory: SessionDirectory;
  local: LocalSessions;
  cluster: ClusterPort;
  resumeTokenTtlS: number;
  logger: Logger;
  events?: ChatEvents;
  now?: () => number;
}

const BAD_CREDENTIALS = 'Unknown user or wrong password.';

/**
 * Login, resume and logout. A login writes the global session; the session it
 * replaces, wherever it lives, is kicked. Every login gets a fresh resume
 * token, which replaces the user's previous one (so the kicked session's token
 * stops working too); a resume uses its token up. Logout revokes the token;
 * a connection that is merely lost keeps it, so the client can resume on
 * another node.
 */
export class SessionService {
  private readonly now: () => number;

  constructor(private readonly deps: SessionServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  async login(input: LoginInput, address: string, peer: SessionPeer): Promise<LoginResult> {
    const user = input.resumeToken
      ? await this.resume(input, address)
      : await this.checkPassword(input, address);
    const { directory, local, cluster, tokens } = this.deps;
    const session: LocalSession = {
      username: user.username,
      alliance: user.alliance,
      sid: randomUUID(),
      loginAt: this.now(),
      peer,
    };

    const replacedHere = local.add(session);
    replacedHere?.peer.kick('You logged in somewhere else.');
    let replaced: GlobalSession | null = null;
    let issued: { token: string; expiresAt: number };
    let missed: LoginResult['missed'];
    try {
      const claim = await directory.claim(user.username, {
        nodeId: cluster.nodeId,
        loginAt: session.loginAt,
        sid: session.sid,
      });
      replaced = claim.replaced;
      // Announced with the recorded time: every node's presence orders this login after the one it replaced.
      session.loginAt = claim.loginAt;
      // Announced first: the replaced session's node accepts the kick from the node the user is on now.
      cluster.announceSession(session, true);
      // Kicked even when this node does not see the other as live yet (its view may lag):
      // the kick waits for the link, and is dropped only if the node turns out to be gone.
      if (replaced && replaced.nodeId !== cluster.nodeId) {
        cluster.kick(replaced.nodeId, user.username, replaced.sid, 'You logged in somewhere else.');
      }
      this.presence('userOnline', session);
      const [token, lastSeen] = await Promise.all([
        tokens.issue(user.username, session.sid, this.deps.resumeTokenTtlS),
        directory.lastSeen(user.username),
      ]);
      issued = token;
      // Unknown (first login, or the last session's node crashed): everything since the account exists.
      missed = await this.deps.messages.missedDirect(
        user.username,
        lastSeen === null ? user.createdAt - 1 : lastSeen - MISSED_SLACK_MS,
        MISSED_LIMIT,
      );
    } catch (err) {
      // A login that fails half-way leaves nothing behind: no local session for snapshots and
      // session restore to publish again, no global one pointing here.
      await this.abandon(session);
      throw err;
    }
    this.deps.logger.info(
      {
        event: 'login',
        user: user.username,
        sid: session.sid,
        resumed: input.resumeToken !== '',
        replacedNode: replaced?.nodeId,
      },
      'user logged in',
    );
    return { user, session, resumeToken: issued.token, resumeTokenExpiresAt: issued.expiresAt, missed };
  }

  private async abandon(session: LocalSession): Promise<void> {
    if (!this.deps.local.remove(session.username, session.sid)) return;
    this.deps.cluster.announceSession(session, false);
    try {
      await this.deps.directory.release(session.username, session.sid, session.loginAt);
    } catch (err) {
      this.deps.logger.warn(
        { event: 'login_cleanup_failed', user: session.username, err },
        'could not release the global session of a failed login',
      );
    }
  }

  /**
   * The user logged out (the Logout command): the session ends and its resume
   * token is revoked, unless a newer session's token has replaced it.
   */
  async logout(username: string, sid: string): Promise<void> {
    const [revoked] = await Promise.all([this.deps.tokens.revoke(username, sid), this.end(username, sid)]);
    this.deps.logger.info({ event: 'logout', user: username, sid, revoked }, 'user logged out');
  }

  /**
   * The connection closed without a Logout: drop the local session, and the
   * global one if it is still ours. The resume token stays: the client may
   * only have lost its connection, or its node.
   */
  async disconnected(username: string, sid: string): Promise<void> {
    if (await this.end(username, sid))
      this.deps.logger.info({ event: 'disconnect', user: username, sid }, 'user disconnected');
  }

  /** True when the session was still here to end. */
  private async end(username: string, sid: string): Promise<boolean> {
    const removed = this.deps.local.remove(username, sid);
    if (!removed) return false;
    this.deps.cluster.announceSession(removed, false);
    this.presence('userOffline', removed);
    await this.deps.directory.release(username, sid, this.now());
    return true;
  }

  /** Another node logged this user in: close our session if it is the one named. */
  kickLocal(username: string, sid: string, reason: string): boolean {
    const session = this.deps.local.get(username);
    if (!session || session.sid !== sid) return false;
    this.deps.local.remove(username, sid);
    this.deps.cluster.announceSession(session, false);
    this.presence('userOffline', session);
    session.peer.kick(reason);
    this.deps.logger.info({ event: 'kicked', user: username, sid }, 'session replaced by a newer login');
    return true;
  }

  private presence(type: 'userOnline' | 'userOffline', session: LocalSession): void {
    const { username, alliance, loginAt } = session;
    this.deps.events?.({
      type,
      username,
      alliance,
      loginAt,
      nodeId: this.deps.cluster.nodeId,
      at: this.now(),
    });
  }

  private async checkPassword(input: LoginInput, address: string): Promise<UserRecord> {
    const { attempts, users } = this.deps;
    await attempts.check(input.username, address);
    const user = await users.verifyPassword(input.username, input.password);
    if (user) {
      await attempts.recordSuccess?.(input.username, address);
      return user;
    }
    await attempts.recordFailure(input.username, address);
    this.deps.logger.info({ event: 'login_failed', user: input.username, address }, 'failed login');
    throw new Unauthenticated(BAD_CREDENTIALS, 'BAD_CREDENTIALS');
  }

  /**
   * Uses the resume token up (the login that follows issues the next one). A
   * failed resume counts as a failed login of the account the token names
   * (or the request names, for a malformed token), with the same backoff.
   */
  private async resume(input: LoginInput, address: string): Promise<UserRecord> {
    const { attempts, tokens, users } = this.deps;
    const named = resumeTokenUser(input.resumeToken);
    const account = input.username || named || '';
    await attempts.check(account, address);
    // A token names its user: it cannot log in somebody else, and is not used up trying.
    const session = named === account ? await tokens.consume(input.resumeToken) : null;
    const user = session ? await users.find(session.username) : null;
    if (session && user) {
      this.deps.logger.debug({ event: 'resume', user: user.username, fromSid: session.sid }, 'token used');
      return user;
    }
    await attempts.recordFailure(account, address);
    this.deps.logger.info({ event: 'resume_failed', user: account, address }, 'failed resume');
    throw new Unauthenticated(
      'The resume token is unknown, expired, revoked or used already; log in with your password.',
      'BAD_RESUME_TOKEN',
    );
  }
}
