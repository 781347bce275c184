import { MessageKind } from '../../gen/chat/v1/client';
import type { ChatMessage, RoomInfo, SendAck as SendAckFrame } from '../../gen/chat/v1/client';
import type { Deliver, LeaderReply, LeaderRequest } from '../../gen/chat/v1/cluster';
import { Channel } from '../../gen/chat/v1/client';
import type {
  Actor,
  DeliverOrder,
  LeaderCall,
  LeaderOpName,
  LeaderResultOf,
  PushCodec,
  RoomView,
  SendAck,
} from '../chat/types';
import { ChatError, MalformedFrame, toWireError } from '../core/errors';
import type { StoredMessage } from '../store/types';

/** Conversions between the chat domain's types and the wire's. */

const KIND_TO_WIRE: Record<StoredMessage['kind'], MessageKind> = {
  direct: MessageKind.MESSAGE_KIND_DIRECT,
  room: MessageKind.MESSAGE_KIND_ROOM,
  world: MessageKind.MESSAGE_KIND_WORLD,
  alliance: MessageKind.MESSAGE_KIND_ALLIANCE,
};

export function messageToWire(message: StoredMessage): ChatMessage {
  const { id, conversation, seq, from, to, text, ts } = message;
  return { id, kind: KIND_TO_WIRE[message.kind], conversation, seq, from, to, text, ts };
}

export function messageFromWire(message: ChatMessage): StoredMessage {
  const kind = (Object.keys(KIND_TO_WIRE) as StoredMessage['kind'][]).find(
    (k) => KIND_TO_WIRE[k] === message.kind,
  );
  if (!kind) throw new MalformedFrame(`Unknown message kind ${message.kind}.`);
  const { id, conversation, seq, from, to, text, ts } = message;
  return { id, conversation, seq, kind, from, to, text, ts };
}

/**
 * A delivery for another node: the push travels as the bytes clients receive.
 * `ownerEpoch` stamps a room or channel fan-out; `confirmId` asks for a
 * DeliverConfirm (direct messages over the sender's own link).
 */
export function deliverToWire(
  order: DeliverOrder,
  stamp: { ownerEpoch?: number; confirmId?: number } = {},
): Deliver {
  return {
    ownerEpoch: stamp.ownerEpoch ?? 0,
    confirmId: stamp.confirmId ?? 0,
    recipients: [...order.recipients],
    broadcast: order.broadcast,
    // A view, not a copy: the push was encoded once and is only read from here on.
    push: Buffer.from(order.push.bytes.buffer, order.push.bytes.byteOffset, order.push.bytes.byteLength),
    alliance: order.alliance,
    hops: 0,
  };
}

export function deliverFromWire(deliver: Deliver, codec: PushCodec): DeliverOrder {
  if (deliver.push.length === 0) throw new MalformedFrame('A deliver frame without a push.');
  return {
    push: codec.fromBytes(deliver.push),
    recipients: deliver.recipients,
    broadcast: deliver.broadcast,
    alliance: deliver.alliance,
  };
}

export function roomToWire(room: RoomView): RoomInfo {
  return { name: room.name, memberCount: room.memberCount, isMember: room.isMember };
}

export function ackToWire(ack: SendAck): SendAckFrame {
  return { ...ack };
}

/** `viewVersion`: the membership version the sender routed by (rooms spread; 0 otherwise). */
export function leaderRequestToWire(
  requestId: number,
  actor: Actor,
  call: LeaderCall,
  viewVersion = 0,
): LeaderRequest {
  const base = { requestId, username: actor.username, alliance: actor.alliance, viewVersion };
  switch (call.op) {
    case 'createRoom':
      return { ...base, op: { $case: 'createRoom', value: { room: call.room } } };
    case 'joinRoom':
      return { ...base, op: { $case: 'joinRoom', value: { room: call.room } } };
    case 'leaveRoom':
      return { ...base, op: { $case: 'leaveRoom', value: { room: call.room } } };
    case 'listRooms':
      return { ...base, op: { $case: 'listRooms', value: {} } };
    case 'sendRoom':
      return {
        ...base,
        op: {
          $case: 'sendRoom',
          value: { room: call.room, text: call.text, idempotencyKey: call.idempotencyKey },
        },
      };
    case 'sendChannel':
      return {
        ...base,
        op: {
          $case: 'sendChannel',
          value: {
            channel: call.channel === 'world' ? Channel.CHANNEL_WORLD : Channel.CHANNEL_ALLIANCE,
            text: call.text,
            idempotencyKey: call.idempotencyKey,
          },
        },
      };
  }
}

export function leaderRequestFromWire(request: LeaderRequest): { actor: Actor; call: LeaderCall } {
  const actor = { username: request.username, alliance: request.alliance };
  const op = request.op;
  switch (op?.$case) {
    case 'createRoom':
    case 'joinRoom':
    case 'leaveRoom':
      return { actor, call: { op: op.$case, room: op.value.room } };
    case 'listRooms':
      return { actor, call: { op: 'listRooms' } };
    case 'sendRoom':
      return {
        actor,
        call: {
          op: 'sendRoom',
          room: op.value.room,
          text: op.value.text,
          idempotencyKey: op.value.idempotencyKey,
        },
      };
    case 'sendChannel':
      return {
        actor,
        call: {
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

type ReplyResult = NonNullable<LeaderReply['result']>;

/** The reply case that carries each operation's result. */
const REPLY_CASE = {
  createRoom: 'room',
  joinRoom: 'roomJoined',
  leaveRoom: 'room',
  listRooms: 'roomList',
  sendRoom: 'sendAck',
  sendChannel: 'sendAck',
} as const satisfies Record<LeaderOpName, ReplyResult['$case']>;

export function leaderResultToWire<K extends LeaderOpName>(
  requestId: number,
  op: K,
  result: LeaderResultOf<K>,
): LeaderReply {
  const r = { op, result } as LeaderResultPair;
  switch (r.op) {
    case 'createRoom':
    case 'leaveRoom':
      return { requestId, result: { $case: 'room', value: roomToWire(r.result) } };
    case 'joinRoom':
      return {
        requestId,
        result: {
          $case: 'roomJoined',
          value: { room: roomToWire(r.result.room), recent: r.result.recent.map(messageToWire) },
        },
      };
    case 'listRooms':
      return { requestId, result: { $case: 'roomList', value: { rooms: r.result.map(roomToWire) } } };
    case 'sendRoom':
    case 'sendChannel':
      return { requestId, result: { $case: 'sendAck', value: ackToWire(r.result) } };
  }
}

type LeaderResultPair = { [K in LeaderOpName]: { op: K; result: LeaderResultOf<K> } }[LeaderOpName];

export function leaderErrorToWire(requestId: number, err: unknown): LeaderReply {
  return { requestId, result: { $case: 'error', value: toWireError(err) } };
}

/**
 * The result of operation `op` from the leader's reply, or the leader's
 * ChatError thrown here. A reply of another kind than `op` answers with is a
 * malformed frame.
 */
export function leaderReplyFromWire<K extends LeaderOpName>(op: K, reply: LeaderReply): LeaderResultOf<K> {
  const result = reply.result;
  if (result?.$case === 'error')
    throw new ChatError(result.value.code, result.value.reason, result.value.message);
  if (!result || result.$case !== REPLY_CASE[op])
    throw new MalformedFrame(`The leader answered ${op} with ${result?.$case ?? 'nothing'}.`);
  // The case check above ties each result kind to its operation.
  return resultValue(result) as LeaderResultOf<K>;
}

function resultValue(result: Exclude<ReplyResult, { $case: 'error' }>): LeaderResultOf<LeaderOpName> {
  switch (result.$case) {
    case 'room':
      return result.value;
    case 'roomJoined':
      return {
        room: result.value.room ?? { name: '', memberCount: 0, isMember: false },
        recent: result.value.recent.map(messageFromWire),
      };
    case 'roomList':
      return result.value.rooms;
    case 'sendAck':
      return result.value;
  }
}
