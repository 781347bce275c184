import { Conflict, Unavailable } from '../../core/errors';
import type { Logger } from '../../core/logger';
import type { Clock, NodeDescriptor } from './types';
import { isNodeExists } from './zk-session';
import type { ZkSession } from './zk-session';

export interface RegistrationOptions {
  clock: Clock;
  logger: Logger;
  /** Sessions this coordinator held before: their leftovers are deleted at once. */
  formerSessionIds: ReadonlySet<string>;
  /**
   * How long to wait for a registration held by an unknown session to vanish.
   * A crashed earlier process with the same id disappears within its session
   * timeout; a registration that outlives this wait belongs to a live process.
   */
  waitForLeftoverMs: number;
  /** Whether the caller still wants the registration (stop() aborts the wait). */
  isActive: () => boolean;
}

/** Thrown when another live process holds this node id. */
export class DuplicateNodeId extends Conflict {
  constructor(nodeId: string, owner: string, waitedMs: number) {
    super(
      `Node id "${nodeId}" is already registered in ZooKeeper by another live session (0x${owner}) ` +
        `that did not go away within ${waitedMs} ms; two processes with one id would corrupt routing, ` +
        `so give each node its own id.`,
      'DUPLICATE_NODE_ID',
    );
  }
}

/** Creates the ephemeral `/<root>/nodes/<id>` znode, handling leftovers of earlier sessions. */
export async function registerNode(
  session: ZkSession,
  path: string,
  self: NodeDescriptor,
  options: RegistrationOptions,
): Promise<void> {
  const { clock, logger } = options;
  const data = Buffer.from(JSON.stringify(self));
  const deadline = clock.now() + options.waitForLeftoverMs;
  // Each pass either creates the node, removes a leftover, or waits for a change; bounded by the deadline.
  for (let attempt = 0; attempt < 10_000; attempt += 1) {
    if (!options.isActive()) throw new Unavailable('Registration aborted: the coordinator is stopping.');
    try {
      await session.createEphemeral(path, data);
      return;
    } catch (err) {
      if (!isNodeExists(err)) throw err;
    }
    const stat = await session.exists(path);
    if (!stat) continue;
    const owner = stat.ephemeralOwner.toString('hex');
    if (owner === session.sessionId()) {
      // Our own create went through but its answer was lost (connection loss).
      return;
    }
    if (/^0+$/.test(owner)) {
      throw new Conflict(
        `ZooKeeper path ${path} exists as a persistent znode; delete it so node "${self.nodeId}" can register.`,
        'DUPLICATE_NODE_ID',
      );
    }
    if (options.formerSessionIds.has(owner)) {
      logger.info({ path, owner }, 'removing registration left by an earlier session of this node');
      await session.remove(path, stat.version);
      continue;
    }
    const left = deadline - clock.now();
    if (left <= 0) throw new DuplicateNodeId(self.nodeId, owner, options.waitForLeftoverMs);
    logger.warn(
      { path, owner, waitMs: left },
      'node id is registered by another session; waiting for it to vanish (crashed process) or time out',
    );
    await waitForDeletion(session, path, Math.min(left, 1000), clock);
  }
  throw new Unavailable(`Gave up registering ${path}: too many attempts.`);
}

/** Resolves when the node is deleted, or after `maxMs`, whichever is first. */
async function waitForDeletion(session: ZkSession, path: string, maxMs: number, clock: Clock): Promise<void> {
  let timer: unknown = null;
  let wake: () => void = () => undefined;
  const woken = new Promise<void>((resolve) => {
    wake = resolve;
    timer = clock.setTimeout(resolve, maxMs);
  });
  const stat = await session.exists(path, () => wake());
  if (stat) await woken;
  clock.clearTimeout(timer);
}
