/**
 * Input checks shared by every adapter, so SQLite and MongoDB reject the same
 * things with the same errors before anything touches the database.
 */
import { InvalidArgument, TooLarge } from '../core/errors';
import { MESSAGE_KINDS } from './types';
import type { MessageKind, StoredMessage } from './types';

export interface StoreLimits {
  /** Longest message text, in Unicode code points. */
  maxTextLength: number;
}

export const DEFAULT_MAX_TEXT_LENGTH = 2000;
/** Longest username, room or alliance name. */
export const MAX_NAME_LENGTH = 64;
/** Longest message id or conversation key. */
export const MAX_KEY_LENGTH = 256;
/** Longest password accepted; scrypt of megabytes of input is a cheap denial of service. */
export const MAX_PASSWORD_LENGTH = 1024;
/** Largest page or gap a single call returns. */
export const MAX_PAGE_LIMIT = 1000;

// Control characters in names break logs, terminals and key layouts.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
// In passwords C1 controls too: invisible, never typed on purpose, and a trailing NUL hashes like
// the password without it (scrypt's PBKDF2 step pads the HMAC key with zeros).
// eslint-disable-next-line no-control-regex
const PASSWORD_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** True when a password contains a character no password may hold. */
export function hasControlCharacters(password: string): boolean {
  return PASSWORD_CONTROL.test(password);
}

export function checkName(what: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0)
    throw new InvalidArgument(`The ${what} must not be empty.`);
  if (value.length > MAX_NAME_LENGTH) {
    throw new InvalidArgument(`The ${what} is longer than ${MAX_NAME_LENGTH} characters.`);
  }
  if (CONTROL.test(value) || value.trim() !== value) {
    throw new InvalidArgument(`The ${what} contains control characters or surrounding spaces.`);
  }
  return value;
}

export function checkOptionalName(what: string, value: unknown): string {
  if (value === undefined || value === '') return '';
  return checkName(what, value);
}

export function checkPassword(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0)
    throw new InvalidArgument('The password must not be empty.');
  if (value.length > MAX_PASSWORD_LENGTH) {
    throw new InvalidArgument(`The password is longer than ${MAX_PASSWORD_LENGTH} characters.`);
  }
  if (hasControlCharacters(value)) {
    throw new InvalidArgument(
      'The password must not contain control characters (such as NUL or newline).',
      'INVALID_PASSWORD',
    );
  }
  return value;
}

export function checkKey(what: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0)
    throw new InvalidArgument(`The ${what} must not be empty.`);
  if (value.length > MAX_KEY_LENGTH || CONTROL.test(value)) {
    throw new InvalidArgument(`The ${what} is not a valid key.`);
  }
  return value;
}

export function checkLimit(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_PAGE_LIMIT) {
    throw new InvalidArgument(`The limit must be an integer from 1 to ${MAX_PAGE_LIMIT}.`);
  }
  return value;
}

export function checkSeqFloor(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgument('The sequence number must be a non-negative integer.');
  }
  return value;
}

/** Throws unless the message is well formed; returns it unchanged. */
export function checkMessage(message: StoredMessage, limits: StoreLimits): StoredMessage {
  if (typeof message !== 'object' || message === null) throw new InvalidArgument('The message is missing.');
  checkKey('message id', message.id);
  checkKey('conversation', message.conversation);
  if (!Number.isSafeInteger(message.seq) || message.seq < 1) {
    throw new InvalidArgument('The sequence number must be a positive integer.');
  }
  if (!MESSAGE_KINDS.includes(message.kind as MessageKind)) {
    throw new InvalidArgument(`The message kind must be one of ${MESSAGE_KINDS.join(', ')}.`);
  }
  checkKey('sender', message.from);
  checkKey('recipient', message.to);
  if (typeof message.text !== 'string' || message.text.length === 0) {
    throw new InvalidArgument('The message text must not be empty.');
  }
  // .length counts UTF-16 units, which is at least the code point count, so
  // only long strings pay for the exact count.
  if (message.text.length > limits.maxTextLength && codePoints(message.text) > limits.maxTextLength) {
    throw new TooLarge(`The message is longer than ${limits.maxTextLength} characters.`);
  }
  if (!Number.isSafeInteger(message.ts) || message.ts < 0) {
    throw new InvalidArgument('The timestamp must be a non-negative integer of milliseconds.');
  }
  return message;
}

function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}
