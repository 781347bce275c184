import { Conflict } from '../core/errors';
import type { StoredMessage } from './types';

export function seqTaken(message: StoredMessage): Conflict {
  return new Conflict(
    `Sequence number ${message.seq} of conversation "${message.conversation}" belongs to another message.`,
    'SEQ_TAKEN',
  );
}
