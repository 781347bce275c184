import { Conflict } from '../core/errors';
import type { NewMessage, StoredMessage } from './types';

export function seqTaken(message: StoredMessage): Conflict {
  return new Conflict(
    `Sequence number ${message.seq} of conversation "${message.conversation}" belongs to another message.`,
    'SEQ_TAKEN',
  );
}

/** The message as it is stored and returned: the send's idempotency is the store's own business. */
export function withoutIdempotency(message: NewMessage): Omit<StoredMessage, 'seq'> {
  const { idempotency: _idempotency, ...fields } = message;
  return fields;
}
