import { ServerFrame } from '../../gen/chat/v1/client';
import type { OutgoingPush, PushCodec } from '../chat/types';
import type { StoredMessage } from '../store/types';
import { MalformedFrame } from '../core/errors';
import { encodeServerFrame, encodeServerFrameJson } from './codec';
import { messageFromWire, messageToWire } from './mappers';

/**
 * Pushes as the wire carries them: a ServerFrame with reply_to 0 and the
 * ChatMessage, encoded once. The JSON text and the decoded message are made
 * only if a JSON client or a plugin asks for them, once per push.
 */
class EncodedPush implements OutgoingPush {
  private jsonText: string | undefined;
  private memos: Map<string, unknown> | undefined;

  constructor(
    readonly bytes: Uint8Array,
    private decoded: StoredMessage | undefined,
  ) {}

  json(): string {
    this.jsonText ??= encodeServerFrameJson({
      replyTo: 0,
      event: { $case: 'message', value: messageToWire(this.message()) },
    });
    return this.jsonText;
  }

  memo<T>(key: string, make: () => T): T {
    this.memos ??= new Map();
    if (!this.memos.has(key)) this.memos.set(key, make());
    return this.memos.get(key) as T;
  }

  message(): StoredMessage {
    if (this.decoded) return this.decoded;
    const frame = ServerFrame.decode(this.bytes);
    if (frame.event?.$case !== 'message') throw new MalformedFrame('A push that carries no chat message.');
    this.decoded = messageFromWire(frame.event.value);
    return this.decoded;
  }
}

export const pushCodec: PushCodec = {
  fromMessage(message) {
    const bytes = encodeServerFrame({
      replyTo: 0,
      event: { $case: 'message', value: messageToWire(message) },
    });
    return new EncodedPush(bytes, message);
  },
  fromBytes(bytes) {
    return new EncodedPush(bytes, undefined);
  },
};
