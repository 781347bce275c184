import { ScalarType } from '@bufbuild/protobuf';
import type { DescEnum, DescField, DescMessage } from '@bufbuild/protobuf';
import { ClientFrameSchema } from '../../gen/es/chat/v1/client_pb';
import { InvalidArgument } from '../core/errors';

/**
 * The JSON subprotocol's type check, driven by the proto descriptors
 * (generated from proto/chat/v1/client.proto into gen/es): every known field
 * must have its proto3-JSON type before the frame is read. ts-proto's
 * fromJSON coerces instead (`String(["user63"])` is "user63", `Number("1.5")`
 * is 1.5), so without this a wrong type turns into a plausible value. The
 * error names the field, never its value (it may be a password).
 */
export class InvalidField extends InvalidArgument {
  constructor(
    message: string,
    /** The frame's id when it could be read, so the reply answers that request. */
    readonly requestId: number,
  ) {
    super(message, 'INVALID_FIELD');
  }
}

const INT32_RANGE: Readonly<Record<number, readonly [number, number]>> = {
  [ScalarType.INT32]: [-(2 ** 31), 2 ** 31 - 1],
  [ScalarType.SINT32]: [-(2 ** 31), 2 ** 31 - 1],
  [ScalarType.SFIXED32]: [-(2 ** 31), 2 ** 31 - 1],
  [ScalarType.UINT32]: [0, 2 ** 32 - 1],
  [ScalarType.FIXED32]: [0, 2 ** 32 - 1],
};
const UNSIGNED_64 = new Set<number>([ScalarType.UINT64, ScalarType.FIXED64]);
const SIGNED_64 = new Set<number>([ScalarType.INT64, ScalarType.SINT64, ScalarType.SFIXED64]);

/** Throws InvalidField unless `json` (a parsed JSON object) fits chat.v1.ClientFrame. */
export function checkClientFrameJson(json: Record<string, unknown>): void {
  const id = json.id;
  const requestId = typeof id === 'number' && Number.isInteger(id) && id > 0 && id < 2 ** 32 ? id : 0;
  const problem = checkMessage(ClientFrameSchema, json, '');
  if (problem !== undefined) throw new InvalidField(problem, requestId);
}

/** The first problem found, as a sentence, or undefined. Unknown keys are left to the decoder. */
function checkMessage(desc: DescMessage, json: unknown, path: string): string | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return `${path || 'The frame'} must be a JSON object.`;
  }
  const object = json as Record<string, unknown>;
  const oneofsSet = new Map<string, string>();
  for (const field of desc.fields) {
    const key = field.jsonName in object ? field.jsonName : field.name in object ? field.name : undefined;
    if (key === undefined) continue;
    const value = object[key];
    // proto3 JSON: null means the default value.
    if (value === null) continue;
    const where = path ? `${path}.${field.jsonName}` : field.jsonName;
    if (field.oneof !== undefined) {
      const other = oneofsSet.get(field.oneof.name);
      if (other !== undefined)
        return `${other} and ${where} cannot both be set (one of ${field.oneof.name}).`;
      oneofsSet.set(field.oneof.name, where);
    }
    const problem = checkField(field, value, where);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function checkField(field: DescField, value: unknown, where: string): string | undefined {
  switch (field.fieldKind) {
    case 'scalar':
      return checkScalar(field.scalar, value, where);
    case 'enum':
      return checkEnum(field.enum, value, where);
    case 'message':
      return checkMessage(field.message, value, where);
    case 'list': {
      if (!Array.isArray(value)) return `${where} must be a JSON array.`;
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        const at = `${where}[${i}]`;
        const problem =
          field.listKind === 'scalar'
            ? checkScalar(field.scalar, item, at)
            : field.listKind === 'enum'
              ? checkEnum(field.enum, item, at)
              : checkMessage(field.message, item, at);
        if (problem !== undefined) return problem;
      }
      return undefined;
    }
    case 'map':
      // The client protocol has no maps; a future one is checked by its decoder.
      return undefined;
  }
}

function checkScalar(type: ScalarType, value: unknown, where: string): string | undefined {
  switch (type) {
    case ScalarType.STRING:
      return typeof value === 'string' ? undefined : `${where} must be a string.`;
    case ScalarType.BOOL:
      return typeof value === 'boolean' ? undefined : `${where} must be true or false.`;
    case ScalarType.BYTES:
      return typeof value === 'string' && /^[A-Za-z0-9+/_-]*={0,2}$/.test(value)
        ? undefined
        : `${where} must be a base64 string.`;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return typeof value === 'number' && Number.isFinite(value) ? undefined : `${where} must be a number.`;
    default:
      return checkInteger(type, value, where);
  }
}

/** proto3 JSON writes integers as numbers or as decimal strings; either must be whole and in range. */
function checkInteger(type: ScalarType, value: unknown, where: string): string | undefined {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^-?\d{1,20}$/.test(value)
        ? Number(value)
        : NaN;
  const range = INT32_RANGE[type];
  if (range !== undefined) {
    return Number.isInteger(n) && n >= range[0] && n <= range[1]
      ? undefined
      : `${where} must be a whole number from ${range[0]} to ${range[1]}.`;
  }
  // 64-bit fields become JS numbers here (forceLong=number): beyond 2^53 they would silently round.
  const min = UNSIGNED_64.has(type) ? 0 : SIGNED_64.has(type) ? -Number.MAX_SAFE_INTEGER : 0;
  return Number.isSafeInteger(n) && n >= min
    ? undefined
    : `${where} must be a whole number from ${min} to ${Number.MAX_SAFE_INTEGER}.`;
}

function checkEnum(desc: DescEnum, value: unknown, where: string): string | undefined {
  if (typeof value === 'string' && desc.values.some((v) => v.name === value)) return undefined;
  if (typeof value === 'number' && desc.values.some((v) => v.number === value)) return undefined;
  return `${where} must be one of ${desc.values.map((v) => v.name).join(', ')}.`;
}
