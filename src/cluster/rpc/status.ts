import { status } from '@grpc/grpc-js';
import type { StatusObject } from '@grpc/grpc-js';
import {
  ChatError,
  Conflict,
  Forbidden,
  InvalidArgument,
  MalformedFrame,
  NotFound,
  RateLimited,
  TooLarge,
  Unauthenticated,
  Unavailable,
} from '../../core/errors';
import type { Logger } from '../../core/logger';

export type GrpcStatus = Pick<StatusObject, 'code' | 'details'>;

const GENERIC_DETAILS = 'Internal error; the node logged the details.';

/**
 * The one place where errors become gRPC statuses on the internal port.
 * Known ChatErrors keep their sentence; anything else is hidden behind a
 * generic message and logged with its stack.
 */
export function toGrpcStatus(err: unknown, logger: Logger, method?: string): GrpcStatus {
  if (err instanceof ChatError) {
    const code = chatErrorCode(err);
    if (code !== undefined) return { code, details: err.message };
  }
  logger.error({ err, method }, 'rpc handler failed');
  return { code: status.INTERNAL, details: GENERIC_DETAILS };
}

function chatErrorCode(err: ChatError): status | undefined {
  if (err instanceof NotFound) return status.NOT_FOUND;
  if (err instanceof Forbidden) return status.PERMISSION_DENIED;
  if (err instanceof InvalidArgument || err instanceof MalformedFrame) return status.INVALID_ARGUMENT;
  if (err instanceof Unavailable) return status.UNAVAILABLE;
  if (err instanceof Unauthenticated) return status.UNAUTHENTICATED;
  if (err instanceof Conflict) return status.ALREADY_EXISTS;
  if (err instanceof RateLimited || err instanceof TooLarge) return status.RESOURCE_EXHAUSTED;
  return undefined;
}

/** An Error that grpc-js turns into this status when emitted on a server stream. */
export function statusError(code: status, details: string): Error & GrpcStatus {
  return Object.assign(new Error(details), { code, details });
}
