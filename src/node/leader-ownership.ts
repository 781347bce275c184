import type { Coordinator } from '../cluster/coordination/types';
import type { EpochFence } from '../cluster/epoch-fence';
import { Unavailable } from '../core/errors';
import type { ChatError } from '../core/errors';
import type { FanOutVerdict, NodeOwnership, OwnerRoute, OwnershipStatus } from './ownership';

/**
 * Every room and channel on the leader (ROOM_OWNERSHIP=leader, the original
 * design): the leader's epoch fences them, as it fences the leader's other duties.
 */
export class LeaderOwnership implements NodeOwnership {
  readonly mode = 'leader';
  private released = false;
  private changed: () => Promise<void> = () => Promise.resolve();
  private readonly onLeadership = (): void => void this.changed();

  constructor(private readonly deps: { coordinator: Coordinator; fence: EpochFence }) {}

  start(changed: () => Promise<void>): void {
    this.changed = changed;
    this.deps.coordinator.on('leadership', this.onLeadership);
  }

  serves(): boolean {
    return !this.released && this.deps.coordinator.isLeader();
  }

  acquire(): Promise<void> {
    if (this.serves()) return Promise.resolve();
    return Promise.reject(notLeader());
  }

  moved(): ChatError {
    return new Unavailable('Leadership moved while this request was handled; try again.', 'LEADER_CHANGED');
  }

  route(): OwnerRoute | undefined {
    const { coordinator } = this.deps;
    if (coordinator.isLeader()) return { local: true };
    const view = coordinator.leader();
    if (!view || view.self) return undefined;
    return { local: false, nodeId: view.nodeId, epoch: view.epoch };
  }

  unreachable(): ChatError {
    return new Unavailable(
      'The cluster has no reachable leader right now; try again in a moment.',
      'NO_LEADER',
    );
  }

  epoch(): number {
    return this.deps.coordinator.leadership().epoch;
  }

  admit(frameEpoch: number): ChatError | undefined {
    const { leading, epoch } = this.deps.coordinator.leadership();
    if (!leading) return notLeader();
    if (frameEpoch !== epoch)
      return new Unavailable(
        `Leader epoch changed (request for ${frameEpoch}, now ${epoch}); try again.`,
        'STALE_EPOCH',
      );
    return undefined;
  }

  checkFanOut(from: string, epoch: number): FanOutVerdict {
    if (this.deps.fence.isStale(epoch)) return 'stale';
    return this.deps.coordinator.leader()?.nodeId === from ? 'ok' : 'refused';
  }

  announced(): void {
    // Views are not announced with rooms on the leader.
  }

  describe(): OwnershipStatus {
    return { mode: 'leader', version: 0, waitingFor: [] };
  }

  release(): Promise<void> {
    this.released = true;
    return this.changed();
  }

  stop(): void {
    this.deps.coordinator.off('leadership', this.onLeadership);
  }
}

function notLeader(): ChatError {
  return new Unavailable('This node is not the leader right now; try again in a moment.', 'NOT_LEADER');
}
