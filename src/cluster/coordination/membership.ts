import type { Logger } from '../../core/logger';
import type { ZkPaths } from '../../core/names';
import { SerialTask } from './serial-task';
import type { Clock, MembershipView, NodeDescriptor } from './types';
import type { ZkSession } from './zk-session';

/** Parses a registration znode; null for data that is not a node descriptor. */
export function parseDescriptor(data: Buffer): NodeDescriptor | null {
  try {
    const value = JSON.parse(data.toString('utf8')) as Partial<NodeDescriptor>;
    if (
      typeof value.nodeId === 'string' &&
      typeof value.wsUrl === 'string' &&
      typeof value.rpcAddress === 'string' &&
      typeof value.startedAt === 'number'
    ) {
      return {
        nodeId: value.nodeId,
        wsUrl: value.wsUrl,
        rpcAddress: value.rpcAddress,
        startedAt: value.startedAt,
      };
    }
  } catch {
    // fall through: reported by the caller
  }
  return null;
}

const NO_VIEW: MembershipView = { version: 0, nodeIds: [] };

/**
 * The membership view a coordinator reports and the session it was read in:
 * a view read in an ended session is not current.
 */
export class ViewRecord<Run> {
  private view: MembershipView = NO_VIEW;
  private run: Run | null = null;

  constructor(private readonly onChange: (view: MembershipView) => void) {}

  get current(): MembershipView {
    return this.view;
  }

  readIn(run: Run): boolean {
    return this.run === run;
  }

  set(view: MembershipView, run: Run | null): void {
    this.run = run;
    const same =
      view.version === this.view.version &&
      view.nodeIds.length === this.view.nodeIds.length &&
      view.nodeIds.every((id, i) => id === this.view.nodeIds[i]);
    if (same) return;
    this.view = view;
    this.onChange(view);
  }

  /** The session ended: no view until the next one reads the membership. */
  clear(): void {
    this.set(NO_VIEW, null);
  }
}

/**
 * Watches `/<root>/nodes` for one session and reports the full membership on
 * every change. Data is re-read each time: a node that restarted between two
 * notifications keeps its name but has new data.
 */
export class MembershipWatch {
  private readonly task: SerialTask;
  private readonly watcher = (): void => this.task.kick();

  constructor(
    private readonly session: ZkSession,
    private readonly paths: ZkPaths,
    private readonly options: {
      clock: Clock;
      logger: Logger;
      retryDelayMs: number;
      isActive: () => boolean;
      onMembers: (members: NodeDescriptor[], view: MembershipView) => void;
    },
  ) {
    this.task = new SerialTask(() => this.read(), {
      clock: options.clock,
      retryDelayMs: options.retryDelayMs,
      isActive: options.isActive,
      onError: (err) => options.logger.warn({ err }, 'reading cluster membership failed; retrying'),
    });
  }

  /** Reads once and keeps watching; rejects if the first read fails. */
  refresh(): Promise<void> {
    return this.task.trigger();
  }

  /** Re-read without waiting, e.g. after a reconnect. */
  kick(): void {
    this.task.kick();
  }

  cancel(): void {
    this.task.cancel();
  }

  private async read(): Promise<void> {
    const { children: names, stat } = await this.session.getChildrenWithStat(
      this.paths.nodes(),
      this.watcher,
    );
    const datas = await Promise.all(names.map((name) => this.session.getData(this.paths.node(name))));
    const members: NodeDescriptor[] = [];
    for (const [i, name] of names.entries()) {
      const data = datas[i];
      // Left between the reads: the watch brings the next list at once. This one is not reported,
      // so that every node that reports a version names the same members for it.
      if (data === null || data === undefined) return;
      const node = parseDescriptor(data);
      if (node) members.push(node);
      else this.options.logger.warn({ name }, 'ignoring a registration znode with invalid data');
    }
    members.sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
    const view = { version: stat.cversion, nodeIds: members.map((m) => m.nodeId) };
    if (this.options.isActive()) this.options.onMembers(members, view);
  }
}
