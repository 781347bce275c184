import { MessageKind } from '../../gen/chat/v1/client';
import type { ChatMessage, RoomInfo, SendAck as SendAckFrame } from '../../gen/chat/v1/client';
import type { Deliver, LeaderReply, LeaderRequest } from '../../gen/chat/v1/cluster';
import { Channel } from '../../gen/chat/v1/client';
import type { Actor, DeliverOrder, LeaderOp, LeaderResult, RoomView, SendAck } from '../chat/types';
import { ChatError, MalformedFrame, toErrorReply } from '../core/errors';
import type { StoredMessage } from '../store/types';

/** Conversions between the chat domain's types and the wire's. */

const KIND_TO_WIRE: Record<StoredMessage['kind'], MessageKind> = {
  direct: MessageKind.MESSAGE_KIND_DIRECT,
  room: MessageKind.MESSAGE_KIND_ROOM,
  world: MessageKind.MESSAGE_KIND_WORLD,
  alliance: MessageKind.MESSAGE_KIND_ALLIANCE,
};

export function messageToWire(message: StoredMessage): ChatMessage {
  return { ...message, kind: KIND_TO_WIRE[message.kind] };
}

export function messageFromWire(message: ChatMessage): StoredMessage {
  const kind = (Object.keys(KIND_TO_WIRE) as StoredMessage['kind'][]).find(
    (k) => KIND_TO_WIRE[k] === message.kind,
  );
  if (!kind) throw new MalformedFrame(`Unknown message kind ${message.kind}.`);
  const { id, conversation, seq, from, to, text, ts } = message;
  return { id, conversation, seq, kind, from, to, text, ts };
}

export function deliverToWire(order: DeliverOrder): Deliver {
  return { message: messageToWire(order.message), recipients: order.recipients, broadcast: order.broadcast };
}

export function deliverFromWire(deliver: Deliver): DeliverOrder {
  if (!deliver.message) throw new MalformedFrame('A deliver frame without a message.');
  return {
    message: messageFromWire(deliver.message),
    recipients: deliver.recipients,
    broadcast: deliver.broadcast,
  };
}

export function roomToWire(room: RoomView): RoomInfo {
  return { name: room.name, memberCount: room.memberCount, isMember: room.isMember };
}

export function ackToWire(ack: SendAck): SendAckFrame {
  return { ...ack };
}

export function leaderRequestToWire(requestId: number, actor: Actor, op: LeaderOp): LeaderRequest {
  const base = { requestId, username: actor.username, alliance: actor.alliance };
  switch (op.op) {
    case 'createRoom':
      return { ...base, op: { $case: 'createRoom', value: { room: op.room } } };
    case 'joinRoom':
      return { ...base, op: { $case: 'joinRoom', value: { room: op.room } } };
    case 'leaveRoom':
      return { ...base, op: { $case: 'leaveRoom', value: { room: op.room } } };
    case 'listRooms':
      return { ...base, op: { $case: 'listRooms', value: {} } };
    case 'sendRoom':
      return {
        ...base,
        op: { $case: 'sendRoom', value: { room: op.room, text: op.text, idempotencyKey: op.idempotencyKey } },
      };
    case 'sendChannel':
      return {
        ...base,
        op: {
          $case: 'sendChannel',
          value: {
            channel: op.channel === 'world' ? Channel.CHANNEL_WORLD : Channel.CHANNEL_ALLIANCE,
            text: op.text,
            idempotencyKey: op.idempotencyKey,
          },
        },
      };
  }
}

export function leaderRequestFromWire(request: LeaderRequest): { actor: Actor; op: LeaderOp } {
  const actor = { username: request.username, alliance: request.alliance };
  const op = request.op;
  switch (op?.$case) {
    case 'createRoom':
    case 'joinRoom':
    case 'leaveRoom':
      return { actor, op: { op: op.$case, room: op.value.room } };
    case 'listRooms':
      return { actor, op: { op: 'listRooms' } };
    case 'sendRoom':
      return {
        actor,
        op: {
          op: 'sendRoom',
          room: op.value.room,
          text: op.value.text,
          idempotencyKey: op.value.idempotencyKey,
        },
      };
    case 'sendChannel':
      return {
        actor,
        op: {
          op: 'sendChannel',
          channel: channelFromWire(op.value.channel),
          text: op.value.text,
          idempotencyKey: op.value.idempotencyKey,
        },
      };
    default:
      throw new MalformedFrame('A leader request without a known operation.');
  }
}

export function channelFromWire(channel: Channel): 'world' | 'alliance' {
  if (channel === Channel.CHANNEL_WORLD) return 'world';
  if (channel === Channel.CHANNEL_ALLIANCE) return 'alliance';
  throw new ChatError(400, 'UNKNOWN_CHANNEL', 'Choose the world or the alliance channel.');
}

export function leaderResultToWire(requestId: number, result: LeaderResult): LeaderReply {
  switch (result.kind) {
    case 'room':
      return { requestId, result: { $case: 'room', value: roomToWire(result.room) } };
    case 'roomJoined':
      return {
        requestId,
        result: {
          $case: 'roomJoined',
          value: { room: roomToWire(result.room), recent: result.recent.map(messageToWire) },
        },
      };
    case 'roomList':
      return { requestId, result: { $case: 'roomList', value: { rooms: result.rooms.map(roomToWire) } } };
    case 'sendAck':
      return { requestId, result: { $case: 'sendAck', value: ackToWire(result.ack) } };
  }
}

export function leaderErrorToWire(requestId: number, err: unknown): LeaderReply {
  return { requestId, result: { $case: 'error', value: toErrorReply(err) } };
}

/** A reply from the leader: the result, or the leader's ChatError thrown here. */
export function leaderReplyFromWire(reply: LeaderReply): LeaderResult {
  const result = reply.result;
  switch (result?.$case) {
    case 'error':
      throw new ChatError(result.value.code, result.value.reason, result.value.message);
    case 'room':
      return { kind: 'room', room: result.value };
    case 'roomJoined':
      return {
        kind: 'roomJoined',
        room: result.value.room ?? { name: '', memberCount: 0, isMember: false },
        recent: result.value.recent.map(messageFromWire),
      };
    case 'roomList':
      return { kind: 'roomList', rooms: result.value.rooms };
    case 'sendAck':
      return { kind: 'sendAck', ack: result.value };
    default:
      throw new MalformedFrame('A leader reply without a result.');
  }
}
