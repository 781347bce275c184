import { Event } from 'node-zookeeper-client';
import { Unavailable } from '../../core/errors';
import type { Logger } from '../../core/logger';
import type { ZkPaths } from '../../core/names';
import { SerialTask } from './serial-task';
import type { Clock } from './types';
import type { ZkSession } from './zk-session';

export interface Candidate {
  name: string;
  seq: number;
}

/**
 * A leader's epoch is its candidate's sequence number plus one: ZooKeeper
 * numbers the first candidate 0, and epoch 0 means "no leader" to the links.
 */
export function epochOf(seq: number): number {
  return seq + 1;
}

/** Election children sorted by sequence number; names that are not candidates are skipped. */
export function sortCandidates(names: readonly string[]): Candidate[] {
  const out: Candidate[] = [];
  for (const name of names) {
    const match = /^n-(\d+)$/.exec(name);
    if (match?.[1] !== undefined) out.push({ name, seq: Number(match[1]) });
  }
  return out.sort((a, b) => a.seq - b.seq);
}

export interface ElectionOptions {
  clock: Clock;
  logger: Logger;
  nodeId: string;
  retryDelayMs: number;
  isActive: () => boolean;
  /** This candidate is the lowest: elected with its sequence number as epoch. */
  onElected: (epoch: number, confirmedAt: number) => void;
  /** The lowest candidate, as seen by this node (null: no candidates). */
  onView: (view: { nodeId: string; epoch: number } | null) => void;
  /** This session's candidate znode is gone (deleted by someone else). */
  onCandidateLost: () => void;
}

/**
 * One session's part in the election: an ephemeral sequential candidate,
 * lowest sequence leads, each candidate watches only its predecessor.
 */
export class Election {
  private candidate: Candidate | null = null;
  private elected = false;
  private readonly check: SerialTask;
  private readonly view: SerialTask;
  private readonly onPredecessorEvent = (event: Event): void => {
    // Deleted: re-check, the predecessor may not have been the leader (a
    // follower that left) and then we simply watch the next one down.
    if (event.getType() === Event.NODE_DELETED) this.check.kick();
  };
  /*
   * Every node also watches the children of the election znode, but only to
   * keep its *view* of the leader (nodeId + epoch) current. A notification
   * costs each node one getChildren and one getData; it never makes a node
   * create, delete or re-evaluate its own candidacy, so the leadership decision
   * still rests on the single predecessor watch and no re-election herd forms.
   * Followers need this view to link to the leader, and a node's own
   * predecessor is usually not the leader.
   */
  private readonly onChildrenEvent = (): void => this.view.kick();

  constructor(
    private readonly session: ZkSession,
    private readonly paths: ZkPaths,
    private readonly options: ElectionOptions,
  ) {
    const common = {
      clock: options.clock,
      retryDelayMs: options.retryDelayMs,
      isActive: options.isActive,
    };
    this.check = new SerialTask(() => this.runCheck(), {
      ...common,
      onError: (err) => options.logger.warn({ err }, 'election check failed; retrying'),
    });
    this.view = new SerialTask(() => this.readView(), {
      ...common,
      onError: (err) => options.logger.warn({ err }, 'reading the election view failed; retrying'),
    });
  }

  /** Epoch this session's candidate would lead with. */
  epoch(): number | null {
    return this.candidate ? epochOf(this.candidate.seq) : null;
  }

  candidatePath(): string | null {
    return this.candidate ? `${this.paths.election()}/${this.candidate.name}` : null;
  }

  /** Creates the candidate znode, then checks the result and reads the view once. */
  async enter(): Promise<void> {
    const path = await this.session.createEphemeralSequential(
      this.paths.candidatePrefix(),
      Buffer.from(this.options.nodeId),
    );
    const name = path.slice(path.lastIndexOf('/') + 1);
    const [parsed] = sortCandidates([name]);
    if (!parsed) throw new Unavailable(`ZooKeeper returned an unexpected candidate path ${path}.`);
    this.candidate = parsed;
    this.options.logger.info({ candidate: name, seq: parsed.seq }, 'entered leader election');
    await Promise.all([this.check.trigger(), this.view.trigger()]);
  }

  /** After a reconnect: catch up on anything a lost watch may have missed. */
  kick(): void {
    if (!this.candidate) return;
    this.check.kick();
    this.view.kick();
  }

  cancel(): void {
    this.check.cancel();
    this.view.cancel();
  }

  private async runCheck(): Promise<void> {
    const me = this.candidate;
    if (!me || this.elected) return;
    // Bounded: each pass either decides or finds a predecessor that already vanished.
    for (let pass = 0; pass < 1000; pass += 1) {
      const sentAt = this.options.clock.now();
      const all = sortCandidates(await this.session.getChildren(this.paths.election()));
      const index = all.findIndex((c) => c.name === me.name);
      if (index < 0) {
        this.options.onCandidateLost();
        return;
      }
      if (index === 0) {
        this.elected = true;
        this.options.onElected(epochOf(me.seq), sentAt);
        return;
      }
      const predecessor = all[index - 1] as Candidate;
      const stat = await this.session.exists(
        `${this.paths.election()}/${predecessor.name}`,
        this.onPredecessorEvent,
      );
      if (stat) {
        this.options.logger.debug({ predecessor: predecessor.name }, 'watching election predecessor');
        return;
      }
    }
    throw new Unavailable('Election check did not settle after 1000 passes.');
  }

  private async readView(): Promise<void> {
    for (let pass = 0; pass < 1000; pass += 1) {
      const all = sortCandidates(await this.session.getChildren(this.paths.election(), this.onChildrenEvent));
      const lowest = all[0];
      if (!lowest) {
        this.options.onView(null);
        return;
      }
      const data = await this.session.getData(`${this.paths.election()}/${lowest.name}`);
      if (data !== null) {
        this.options.onView({ nodeId: data.toString('utf8'), epoch: epochOf(lowest.seq) });
        return;
      }
      // The lowest candidate left between the two reads: read the list again.
    }
    throw new Unavailable('Reading the election view did not settle after 1000 passes.');
  }
}
