import type { RoomOwnership } from '../chat/ownership';
import type { ChatError } from '../core/errors';

/** Where an operation on a key runs: here, or on a peer (at the epoch this node routed by). */
export type OwnerRoute = { local: true } | { local: false; nodeId: string; epoch: number };

export interface OwnershipStatus {
  mode: 'leader' | 'spread';
  /** Spread: the membership version rooms run at; 0 with rooms on the leader. */
  version: number;
  /** Spread: members whose announcement of that version has not come yet. */
  waitingFor: string[];
}

/** What a receiver makes of a room or channel fan-out. */
export type FanOutVerdict = 'ok' | 'stale' | 'refused';

/**
 * Which node runs each room and channel, and the fencing that goes with it.
 * Two ways (ROOM_OWNERSHIP): every key on the leader (LeaderOwnership), or
 * each key on its owner among the members (SpreadOwnership).
 */
export interface NodeOwnership extends RoomOwnership {
  readonly mode: 'leader' | 'spread';
  /**
   * Subscribes to the coordinator; `changed` runs whenever the keys this node
   * runs may have changed and resolves when what was running in the keys it
   * gave up has finished.
   */
  start(changed: () => Promise<void>): void;
  /** Where `key` runs now; undefined when no node this node can name runs it. */
  route(key: string): OwnerRoute | undefined;
  /** The 503 for a key whose node cannot be reached. */
  unreachable(key: string): ChatError;
  /** The epoch stamped on this node's fan-outs. */
  epoch(): number;
  /** A peer's request stamped with leader epoch `frameEpoch`: the refusal, if it is not for this node. */
  admit(frameEpoch: number): ChatError | undefined;
  /** Whether a fan-out of `key()` from `from`, stamped `epoch`, comes from the node that runs the key. */
  checkFanOut(from: string, epoch: number, key: () => string): FanOutVerdict;
  /** `from` announced that it applied membership version `version`. */
  announced(from: string, version: number): void;
  /** For operators: the mode, the ownership version and who this node waits for (NodeStatus). */
  describe(): OwnershipStatus;
  /** A clean stop: this node runs nothing from now on; resolves when what was running has finished. */
  release(): Promise<void>;
  stop(): void;
}
