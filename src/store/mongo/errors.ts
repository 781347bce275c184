import {
  MongoClientClosedError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoOperationTimeoutError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';
import { Unavailable } from '../../core/errors';

export function isDuplicateKey(err: unknown): boolean {
  return err instanceof MongoServerError && err.code === 11000;
}

/**
 * Runs a driver call. An unreachable or closed deployment becomes Unavailable,
 * which callers may retry; anything else passes through unchanged.
 */
export async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (
      err instanceof MongoNetworkError ||
      err instanceof MongoServerSelectionError ||
      err instanceof MongoOperationTimeoutError ||
      err instanceof MongoTopologyClosedError ||
      err instanceof MongoClientClosedError ||
      err instanceof MongoNotConnectedError
    ) {
      const down = new Unavailable('The database cannot be reached; try again shortly.');
      down.cause = err;
      throw down;
    }
    throw err;
  }
}
