import { NAME_PATTERN } from '../config/node';
import { InvalidArgument, TooLarge, Unauthenticated } from '../core/errors';
import { Channel } from '../../gen/chat/v1/client';
import type { ClientFrame } from '../../gen/chat/v1/client';
import type { CommandInterceptor, CommandName } from './context';

/**
 * The WebSocket limits that need a decoded command, as interceptors, one
 * concern each: the auth gate, then input validation. The frame budget (rate
 * limit and strikes) runs before decoding, in the pipeline (abuse-guard.ts).
 */

export interface AuthGateOptions {
  /** Commands allowed before login; defaults to login and ping. */
  open?: readonly CommandName[];
}

/** (b) Only `open` commands before authentication. */
export function authGate(options: AuthGateOptions = {}): CommandInterceptor {
  const open: ReadonlySet<string> = new Set(options.open ?? ['login', 'ping']);
  // Not async: a promise per interceptor per command adds up. runChain turns the throw into a rejection.
  return (ctx, next) => {
    if (ctx.conn.user === undefined && !open.has(ctx.command)) {
      throw new Unauthenticated(`Log in before sending ${ctx.command}.`);
    }
    return next(ctx);
  };
}

export interface ValidationOptions {
  /** Longest chat text, in code points. */
  maxTextLength: number;
  /** Largest getPopular.limit (0 means the server's default). */
  maxPopularLimit: number;
  /** Largest getHistory.limit and sync.limit (0 means the server's default). */
  maxHistoryLimit: number;
  /** Most conversations in one sync; defaults to 100. */
  maxSyncPositions?: number;
  /** Defaults to NAME_PATTERN. */
  namePattern?: RegExp;
}

/** Opaque strings (passwords, tokens, cursors, keys) are bounded too: the frame limit alone is generous. */
const MAX_SECRET_LENGTH = 1024;
const MAX_KEY_LENGTH = 128;
const MAX_CONVERSATION_LENGTH = 128;

// C0 and C1 controls and DEL. In a password a trailing NUL is invisible and, through HMAC key
// padding inside scrypt, hashes like the password without it; nobody types these on purpose.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** (c) Names, texts and limits of every command, before any handler sees them. */
export function validation(options: ValidationOptions): CommandInterceptor {
  const check = makeValidator(options);
  return (ctx, next) => {
    check(ctx.frame.cmd);
    return next(ctx);
  };
}

/** The validation of `validation()`, as a plain function (throws a ChatError). */
export function makeValidator(options: ValidationOptions): (cmd: ClientFrame['cmd']) => void {
  const pattern = options.namePattern ?? NAME_PATTERN;
  const maxSync = options.maxSyncPositions ?? 100;
  const name = (field: string, value: string): void => {
    if (!pattern.test(value)) {
      throw new InvalidArgument(
        `${field} must be a name of 1-32 letters, digits, "_" or "-".`,
        'INVALID_NAME',
      );
    }
  };
  const text = (field: string, value: string): void => {
    if (value.trim().length === 0) throw new InvalidArgument(`${field} must not be empty.`, 'EMPTY_TEXT');
    const length = codePointCount(value, options.maxTextLength + 1);
    if (length > options.maxTextLength) {
      throw new TooLarge(`${field} is longer than ${options.maxTextLength} characters.`, 'TEXT_TOO_LONG');
    }
  };
  const bounded = (field: string, value: string, max: number): void => {
    if (value.length > max) throw new InvalidArgument(`${field} is longer than ${max} characters.`);
    if (CONTROL.test(value))
      throw new InvalidArgument(`${field} must not contain control characters.`, 'INVALID_FIELD');
  };
  // Binary frames cannot carry a fractional or negative uint32, JSON frames are type-checked
  // before this; the check stays so that no other decoder can pass one to Redis.
  const limit = (field: string, value: number, max: number): void => {
    if (!Number.isInteger(value) || value < 0 || value > max) {
      throw new InvalidArgument(
        `${field} must be a whole number from 0 (the default) to ${max}.`,
        'INVALID_LIMIT',
      );
    }
  };
  const password = (value: string): void => {
    if (value.length > MAX_SECRET_LENGTH)
      throw new InvalidArgument(`login.password is longer than ${MAX_SECRET_LENGTH} characters.`);
    if (CONTROL.test(value)) {
      throw new InvalidArgument(
        'login.password must not contain control characters (such as NUL or newline).',
        'INVALID_PASSWORD',
      );
    }
  };

  return (cmd) => {
    switch (cmd?.$case) {
      case 'login':
        // A resume login may leave the name empty: the token names the user.
        if (cmd.value.username !== '' || cmd.value.resumeToken === '')
          name('login.username', cmd.value.username);
        password(cmd.value.password);
        bounded('login.resumeToken', cmd.value.resumeToken, MAX_SECRET_LENGTH);
        return;
      case 'sendDirect':
        name('sendDirect.to', cmd.value.to);
        text('sendDirect.text', cmd.value.text);
        bounded('sendDirect.idempotencyKey', cmd.value.idempotencyKey, MAX_KEY_LENGTH);
        return;
      case 'sendRoom':
        name('sendRoom.room', cmd.value.room);
        text('sendRoom.text', cmd.value.text);
        bounded('sendRoom.idempotencyKey', cmd.value.idempotencyKey, MAX_KEY_LENGTH);
        return;
      case 'sendChannel':
        if (cmd.value.channel !== Channel.CHANNEL_WORLD && cmd.value.channel !== Channel.CHANNEL_ALLIANCE) {
          throw new InvalidArgument('sendChannel.channel must be WORLD or ALLIANCE.', 'INVALID_CHANNEL');
        }
        text('sendChannel.text', cmd.value.text);
        bounded('sendChannel.idempotencyKey', cmd.value.idempotencyKey, MAX_KEY_LENGTH);
        return;
      case 'createRoom':
      case 'joinRoom':
      case 'leaveRoom':
        name(`${cmd.$case}.room`, cmd.value.room);
        return;
      case 'getUserInfo':
        name('getUserInfo.username', cmd.value.username);
        return;
      case 'getPopular':
        limit('getPopular.limit', cmd.value.limit, options.maxPopularLimit);
        return;
      case 'getHistory': {
        const target = cmd.value.target;
        if (target === undefined) throw new InvalidArgument('getHistory needs a room or a peer.');
        name(`getHistory.${target.$case}`, target.value);
        limit('getHistory.limit', cmd.value.limit, options.maxHistoryLimit);
        bounded('getHistory.cursor', cmd.value.cursor, MAX_SECRET_LENGTH);
        return;
      }
      case 'sync':
        if (cmd.value.positions.length > maxSync) {
          throw new InvalidArgument(`sync covers at most ${maxSync} conversations at once.`);
        }
        for (const p of cmd.value.positions) {
          bounded('sync.conversation', p.conversation, MAX_CONVERSATION_LENGTH);
          if (!Number.isSafeInteger(p.afterSeq) || p.afterSeq < 0) {
            throw new InvalidArgument('sync.afterSeq must be a whole number of at least 0.', 'INVALID_FIELD');
          }
        }
        limit('sync.limit', cmd.value.limit, options.maxHistoryLimit);
        return;
      case 'ping':
      case 'listRooms':
      case 'logout':
      case undefined:
        return;
    }
  };
}

/** Counts code points, stopping once `stopAt` is reached (texts can be long; the limit is small). */
export function codePointCount(s: string, stopAt: number): number {
  let n = 0;
  for (const _ of s) {
    if (++n >= stopAt) break;
  }
  return n;
}

export interface EdgeLimits extends ValidationOptions, AuthGateOptions {}

/** The edge interceptors in the order they run. */
export function edgeInterceptors(limits: EdgeLimits): CommandInterceptor[] {
  return [authGate(limits), validation(limits)];
}
