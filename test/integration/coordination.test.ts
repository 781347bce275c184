import zookeeper from 'node-zookeeper-client';
import type { Client } from 'node-zookeeper-client';
import { ClusterCoordinator, DuplicateNodeId, LeaderDuties } from '../../src/cluster/coordination';
import type { ClusterCoordinatorOptions, LeaderView, ZkClientFactory } from '../../src/cluster/coordination';
import { createLogger } from '../../src/core/logger';
import type { Logger } from '../../src/core/logger';
import { ZkPaths } from '../../src/core/names';
import type { TestScope } from '../support';
import {
  connectZk,
  startOwnZooKeeper,
  uniqueName,
  uniqueZkRoot,
  useScope,
  waitFor,
  zkHosts,
} from '../support';

const SESSION_TIMEOUT_MS = 2000;
/** Several session timeouts: expiry, a new session and a new election fit comfortably. */
const DEADLINE_MS = 15_000;

const logger: Logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent', pretty: false });

interface TestNode {
  id: string;
  coordinator: ClusterCoordinator;
  /** Every ZooKeeper client the coordinator built, newest last. */
  clients: Client[];
}

function makeNode(
  scope: TestScope,
  root: string,
  id: string,
  extra: Partial<ClusterCoordinatorOptions> = {},
): TestNode {
  const clients: Client[] = [];
  const clientFactory: ZkClientFactory = (hosts, options) => {
    const client = zookeeper.createClient(hosts, options);
    clients.push(client);
    return client;
  };
  const coordinator = new ClusterCoordinator({
    zkHosts: zkHosts(),
    root,
    sessionTimeoutMs: SESSION_TIMEOUT_MS,
    self: { nodeId: id, wsUrl: `ws://127.0.0.1:1/${id}`, rpcAddress: '127.0.0.1:1', startedAt: Date.now() },
    logger,
    clientFactory,
    retryDelayMs: 200,
    ...extra,
  });
  scope.defer(() => coordinator.stop(), `stop coordinator ${id}`);
  return { id, coordinator, clients };
}

async function startNodes(scope: TestScope, root: string, count: number, extra = {}): Promise<TestNode[]> {
  const nodes = Array.from({ length: count }, (_, i) =>
    makeNode(scope, root, uniqueName(`node-${i}`), extra),
  );
  await Promise.all(nodes.map((n) => n.coordinator.start()));
  return nodes;
}

/** The common leader view when exactly one node leads and every node agrees on leader and members. */
function agreement(nodes: TestNode[]): LeaderView | null {
  const leaders = nodes.filter((n) => n.coordinator.isLeader());
  if (leaders.length !== 1) return null;
  const expected = nodes.map((n) => n.id).sort();
  const views = nodes.map((n) => n.coordinator.leader());
  const first = views[0];
  if (!first || first.nodeId !== leaders[0]?.id) return null;
  for (const [i, node] of nodes.entries()) {
    const view = views[i];
    if (view?.nodeId !== first.nodeId || view.epoch !== first.epoch) return null;
    if (view.self !== (node === leaders[0])) return null;
    const members = node.coordinator.members().map((m) => m.nodeId);
    if (JSON.stringify(members) !== JSON.stringify(expected)) return null;
  }
  return first;
}

function agreed(nodes: TestNode[], what: string): Promise<LeaderView> {
  return waitFor(() => agreement(nodes), { what, timeoutMs: DEADLINE_MS });
}

function leaderOf(nodes: TestNode[], view: LeaderView): TestNode {
  const node = nodes.find((n) => n.id === view.nodeId);
  if (!node) throw new Error(`leader ${view.nodeId} is not one of the test nodes`);
  return node;
}

describe('ClusterCoordinator against a real ZooKeeper', () => {
  const scope = useScope();

  it('elects exactly one leader that every node agrees on, with full membership', async () => {
    const root = uniqueZkRoot('coord-three');
    const nodes = await startNodes(scope, root, 3);
    const view = await agreed(nodes, 'three nodes to agree on one leader');
    const leader = leaderOf(nodes, view);
    expect(view.node?.nodeId).toBe(leader.id);
    expect(view.node?.wsUrl).toBe(`ws://127.0.0.1:1/${leader.id}`);
    expect(view.epoch).toBeGreaterThanOrEqual(0);
  });

  it('hands over to a node with a higher epoch when the leader crashes', async () => {
    const root = uniqueZkRoot('coord-crash');
    const nodes = await startNodes(scope, root, 3);
    const before = await agreed(nodes, 'initial agreement');
    const crashed = leaderOf(nodes, before);
    // Close the session under the coordinator's feet: no znode is deleted by our code.
    crashed.clients.at(-1)?.close();
    const rest = nodes.filter((n) => n !== crashed);
    const after = await agreed(rest, 'the two survivors to agree on a new leader without the crashed one');
    expect(after.nodeId).not.toBe(crashed.id);
    expect(after.epoch).toBeGreaterThan(before.epoch);
    // The crashed coordinator cannot reach ZooKeeper any more: its own timer makes it step down.
    await waitFor(() => !crashed.coordinator.isLeader(), {
      what: 'the crashed leader to step down by timer',
    });
  });

  it('rejoins with a new session and a new candidate after its session expires', async () => {
    const root = uniqueZkRoot('coord-expiry');
    const nodes = await startNodes(scope, root, 3);
    const before = await agreed(nodes, 'initial agreement');
    const victim = leaderOf(nodes, before);
    const leadership: boolean[] = [];
    victim.coordinator.on('leadership', (change) => leadership.push(change.leading));
    await expireSession(scope, victim.clients.at(-1) as Client, () => victim.clients.length >= 2);
    const after = await agreed(nodes, 'all three to agree again after the expired node rejoined');
    expect(after.epoch).toBeGreaterThan(before.epoch);
    expect(leadership[0]).toBe(false);
    // The rejoined node has a fresh candidate, so it is now the last in line.
    expect(after.nodeId).not.toBe(victim.id);
  });

  it('drops a stopped follower from every membership view', async () => {
    const root = uniqueZkRoot('coord-follower');
    const nodes = await startNodes(scope, root, 3);
    const view = await agreed(nodes, 'initial agreement');
    const follower = nodes.find((n) => n.id !== view.nodeId) as TestNode;
    await follower.coordinator.stop();
    const rest = nodes.filter((n) => n !== follower);
    const after = await agreed(rest, 'the remaining nodes to drop the follower');
    expect(after).toMatchObject({ nodeId: view.nodeId, epoch: view.epoch });
  });

  it('hands over at once when the leader stops cleanly', async () => {
    const root = uniqueZkRoot('coord-clean-stop');
    const nodes = await startNodes(scope, root, 3);
    const before = await agreed(nodes, 'initial agreement');
    const leader = leaderOf(nodes, before);
    const stepDowns: string[] = [];
    leader.coordinator.on('leadership', (c) => stepDowns.push(`${c.leading}:${c.epoch}`));
    await leader.coordinator.stop();
    expect(stepDowns).toEqual([`false:${before.epoch}`]);
    expect(leader.coordinator.isLeader()).toBe(false);
    const rest = nodes.filter((n) => n !== leader);
    const after = await agreed(rest, 'a successor after a clean stop');
    expect(after.epoch).toBeGreaterThan(before.epoch);
    await leader.coordinator.stop(); // idempotent
  });

  it('does not keep leading when joining failed right after it was elected', async () => {
    const root = uniqueZkRoot('failed-open');
    // X's first session is elected, then the parallel read of the leader view fails.
    let failed: () => void = () => undefined;
    const failure = new Promise<void>((resolve) => (failed = resolve));
    let faults = 1;
    const x = makeNode(scope, root, uniqueName('x'), {
      retryDelayMs: 1000,
      clientFactory: (hosts, options) => {
        const client = zookeeper.createClient(hosts, options);
        const getData = client.getData.bind(client) as (...args: unknown[]) => void;
        (client as unknown as { getData: (...args: unknown[]) => void }).getData = (...args: unknown[]) => {
          const path = args[0] as string;
          const callback = args[args.length - 1] as (err: Error | null) => void;
          if (faults > 0 && path.includes('/election/')) {
            faults--;
            callback(Object.assign(new Error('injected connection loss'), { code: -4 }));
            failed();
            return;
          }
          getData(...args);
        };
        return client;
      },
    });
    const started = x.coordinator.start();
    await failure;
    // While X waits to try again, Y becomes the lowest candidate.
    const y = makeNode(scope, root, uniqueName('y'));
    await y.coordinator.start();
    await started;
    const view = await agreed([x, y], 'Y leading alone after X rejoined');
    expect(view.nodeId).toBe(y.id);
    expect(x.coordinator.isLeader()).toBe(false);
    expect(x.coordinator.leadership().leading).toBe(false);
  });

  it('rejects a second live process with the same node id', async () => {
    const root = uniqueZkRoot('coord-duplicate');
    const [first] = await startNodes(scope, root, 1);
    const twin = makeNode(scope, root, (first as TestNode).id, { waitForLeftoverMs: 1500 });
    await expect(twin.coordinator.start()).rejects.toBeInstanceOf(DuplicateNodeId);
    await expect(twin.coordinator.start()).rejects.toThrow(/already registered/);
    // The first one is untouched.
    await agreed([first as TestNode], 'the original node to still lead alone');
  });

  it('waits for the registration of a crashed earlier process with the same id to vanish', async () => {
    const root = uniqueZkRoot('coord-leftover');
    const paths = new ZkPaths(root);
    const id = uniqueName('restarted');
    const old = await connectZk(scope, { sessionTimeoutMs: SESSION_TIMEOUT_MS });
    await zkCall<string>((cb) => old.mkdirp(paths.nodes(), cb));
    await zkCall<string>((cb) =>
      old.create(paths.node(id), Buffer.from('{}'), zookeeper.CreateMode.EPHEMERAL, cb),
    );
    const node = makeNode(scope, root, id, { waitForLeftoverMs: DEADLINE_MS });
    const starting = node.coordinator.start();
    // The earlier process's session ends while the new one waits.
    setTimeout(() => old.close(), 300);
    await starting;
    await agreed([node], 'the restarted node to lead');
    expect(node.coordinator.members()[0]?.wsUrl).toBe(`ws://127.0.0.1:1/${id}`);
  });

  it('starts and stops leader duties exactly once per leadership', async () => {
    const root = uniqueZkRoot('coord-duties');
    const nodes = await startNodes(scope, root, 3);
    const journal = new Map<string, string[]>();
    const duties = new Map<string, LeaderDuties>();
    for (const node of nodes) {
      const entries: string[] = [];
      journal.set(node.id, entries);
      const d = new LeaderDuties(logger);
      d.register({
        name: 'journal',
        start: async (epoch) => {
          entries.push(`start:${epoch}`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        },
        stop: () => {
          entries.push('stop');
        },
      });
      // The coordinators may lead already: following picks up the current state.
      d.follow(node.coordinator);
      duties.set(node.id, d);
      scope.defer(() => d.stopAll(), `stop duties of ${node.id}`);
    }
    const first = await agreed(nodes, 'initial agreement');
    await duties.get(first.nodeId)?.idle();
    const firstLeader = leaderOf(nodes, first);
    await firstLeader.coordinator.stop();
    const rest = nodes.filter((n) => n !== firstLeader);
    const second = await agreed(rest, 'a second leader');
    await waitFor(() => journal.get(second.nodeId)?.length === 1, {
      what: 'the second leader to start its duty',
    });
    await Promise.all([...duties.values()].map((d) => d.idle()));
    expect(journal.get(first.nodeId)).toEqual([`start:${first.epoch}`, 'stop']);
    expect(journal.get(second.nodeId)).toEqual([`start:${second.epoch}`]);
    const third = rest.find((n) => n.id !== second.nodeId) as TestNode;
    expect(journal.get(third.id)).toEqual([]);
  });
});

describe('ClusterCoordinator with a ZooKeeper server of its own', () => {
  const scope = useScope();

  it('rejoins without restart after the ZooKeeper server was stopped and started again', async () => {
    const zk = await startOwnZooKeeper(scope);
    const root = uniqueZkRoot('coord-zk-restart');
    const nodes = await startNodes(scope, root, 3, { zkHosts: zk.hosts });
    const before = await agreed(nodes, 'initial agreement');
    await zk.stop();
    // Fencing: with no server answering, the leader steps down by its own timer.
    await waitFor(() => nodes.every((n) => !n.coordinator.isLeader()), {
      what: 'no node to act as leader while ZooKeeper is down',
      timeoutMs: DEADLINE_MS,
    });
    await zk.restart();
    const after = await agreed(nodes, 'all nodes to agree again after the server came back');
    expect(after.epoch).toBeGreaterThanOrEqual(before.epoch);
  });

  it('steps the leader down while the server is silent, and leads again after', async () => {
    const zk = await startOwnZooKeeper(scope);
    const root = uniqueZkRoot('coord-zk-pause');
    const nodes = await startNodes(scope, root, 2, { zkHosts: zk.hosts });
    const before = await agreed(nodes, 'initial agreement');
    const leader = leaderOf(nodes, before);
    const reasons: string[] = [];
    leader.coordinator.on('leadership', (c) => {
      if (!c.leading) reasons.push(c.reason);
    });
    // SIGSTOP: sockets stay open and nothing answers, so the client never reports a disconnect.
    zk.pause();
    let resumed = false;
    const resume = (): void => {
      if (!resumed) zk.resume();
      resumed = true;
    };
    scope.defer(resume, 'resume zookeeper');
    // isLeader() turns false at the deadline itself; the step-down event follows from the timer.
    await waitFor(() => !leader.coordinator.isLeader() && reasons.length > 0, {
      what: 'the leader to step down by its own timer while ZooKeeper is silent',
      timeoutMs: DEADLINE_MS,
    });
    expect(reasons[0]).toMatch(/no answer from ZooKeeper/);
    resume();
    await agreed(nodes, 'one leader again after ZooKeeper answered');
  });
});

/**
 * Expires a session the way ZooKeeper's own tests do: a second client with its
 * id and password closes it. The victim's client may reconnect (and take the
 * session back) between the twin's connect and its close, so a few rounds are allowed.
 */
async function expireSession(scope: TestScope, client: Client, expired: () => boolean): Promise<void> {
  const sessionId = client.getSessionId();
  const sessionPassword = client.getSessionPassword();
  for (let round = 1; round <= 5; round += 1) {
    // sessionId/sessionPassword are supported by the library but missing from its typings.
    const options = { sessionTimeout: SESSION_TIMEOUT_MS, spinDelay: 100, sessionId, sessionPassword };
    const twin = zookeeper.createClient(zkHosts(), options as Partial<zookeeper.Option>);
    scope.defer(() => twin.close(), 'close twin client');
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('twin client did not connect')), DEADLINE_MS);
      twin.once('connected', () => {
        clearTimeout(timer);
        twin.close();
        resolve();
      });
      twin.connect();
    });
    try {
      await waitFor(expired, {
        what: 'the coordinator to notice its expired session',
        timeoutMs: 3 * SESSION_TIMEOUT_MS,
      });
      return;
    } catch (err) {
      if (round === 5) throw err;
    }
  }
}

function zkCall<T>(
  run: (cb: (err: Error | zookeeper.Exception | null, value: T) => void) => void,
): Promise<T> {
  return new Promise((resolve, reject) => run((err, value) => (err ? reject(err) : resolve(value))));
}
