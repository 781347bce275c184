import { MessageKind } from '../../../gen/chat/v1/client';
import type { ChatMessage, SendAck } from '../../../gen/chat/v1/client';

/** What we sent: a direct message, a room message or a channel message. */
export interface OwnSend {
  kind: 'direct' | 'room' | 'world' | 'alliance';
  /** The recipient, the room, or the channel. */
  to: string;
  text: string;
}

const KINDS: Record<OwnSend['kind'], MessageKind> = {
  direct: MessageKind.MESSAGE_KIND_DIRECT,
  room: MessageKind.MESSAGE_KIND_ROOM,
  world: MessageKind.MESSAGE_KIND_WORLD,
  alliance: MessageKind.MESSAGE_KIND_ALLIANCE,
};

/** Our own message as the acknowledgement describes it, to show it like any other. */
export function ownMessage(ack: SendAck, sent: OwnSend, from: string): ChatMessage {
  const to =
    sent.kind === 'alliance' && ack.conversation.startsWith('alliance:')
      ? ack.conversation.slice('alliance:'.length)
      : sent.to;
  return {
    id: ack.id,
    kind: KINDS[sent.kind],
    conversation: ack.conversation,
    seq: ack.seq,
    from,
    to,
    text: sent.text,
    ts: ack.ts,
  };
}
