import { performance } from 'node:perf_hooks';
import type { ChatMessage } from '../../gen/chat/v1/client';
import { ResilientClient, rotatingLocator } from '../../src/client/recovery';
import { waitFor } from '../../src/core/wait-for';
// The same loopback proxy the fault suite cuts a node from ZooKeeper with.
import { TcpProxy } from '../../test/support/tcp-proxy';
import { failureReason } from '../load/clients';
import type { BenchCluster } from '../support/cluster';
import { BENCH_PASSWORD } from '../support/seed';
import { sleep } from '../support/wait';

/** The faults measured beside the leader kills. */
export const FAULT_KINDS = ['follower-zk-cut', 'follower-reload', 'leader-reload'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRun {
  kind: FaultKind;
  target: string;
  /**
   * The fault (for the ZooKeeper cut: its end, when the node can be whole
   * again) → the first room message sent after it shown to a user of the
   * affected node.
   */
  firstDeliveryMs: number | undefined;
  /** Longest time between the sends of two consecutive messages that reached the affected users, after the fault. */
  longestGapMs: number;
  acked: number;
  /** (receiver, acknowledged message) pairs never shown, after the receivers had time to catch up. */
  missing: number;
  errors: Record<string, number>;
}

const SEND_EVERY_MS = 50;
const RECEIVERS_PER_NODE = 3;
const SETTLE_MS = 5000;

/** One TCP proxy to ZooKeeper per node, so one node alone can be cut off from it. */
export async function zooKeeperProxies(
  zkHosts: string,
  nodeIds: readonly string[],
): Promise<Map<string, TcpProxy>> {
  const [host, port] = zkHosts.split(',')[0]?.split(':') ?? [];
  const proxies = new Map<string, TcpProxy>();
  for (const id of nodeIds) {
    proxies.set(id, await TcpProxy.start({ targetHost: host ?? '127.0.0.1', targetPort: Number(port) }));
  }
  return proxies;
}

interface Receiver {
  client: ResilientClient;
  startNode: string;
  shown: Map<string, number>;
}

/**
 * One fault under a stream of room messages (one every 50 ms from a user of
 * a node the fault spares) to receivers on every node, all of them
 * ResilientClients, the recovery the client library ships: how long until a
 * user of the affected node is shown a message sent after the fault, and
 * what no receiver ever got.
 */
export async function measureFault(
  cluster: BenchCluster,
  proxies: Map<string, TcpProxy>,
  kind: FaultKind,
  room: string,
  userOf: (node: number, member: number) => string,
  sessionTimeoutMs: number,
): Promise<FaultRun> {
  const { leaderId } = await cluster.waitForLeader(60_000);
  const nodeIds = [...cluster.nodes.keys()].sort();
  const target = kind === 'leader-reload' ? leaderId : (cluster.followers(leaderId)[0] as string);
  const senderNode = nodeIds.find((id) => id !== target && id !== leaderId) ?? leaderId;
  const nodes = () => [...cluster.nodes.values()].map((n) => ({ nodeId: n.nodeId, url: n.wsUrl }));
  const open = async (
    user: string,
    nodeId: string,
    shown?: Map<string, number>,
  ): Promise<ResilientClient> => {
    const client = new ResilientClient({
      locate: rotatingLocator(
        nodes,
        Math.max(
          0,
          nodes().findIndex((n) => n.nodeId === nodeId),
        ),
      ),
      clientOptions: { requestTimeoutMs: 6000, connectTimeoutMs: 2000, inboxSize: 1 },
      listener: shown ? { message: (m: ChatMessage) => void shown.set(m.id, performance.now()) } : {},
      backoff: { initialMs: 100, maxMs: 1000 },
    });
    await client.login(user, BENCH_PASSWORD);
    await client.loginCatchUp();
    return client;
  };
  const receivers: Receiver[] = [];
  const clients: ResilientClient[] = [];
  try {
    for (const [n, nodeId] of nodeIds.entries()) {
      for (let m = 1; m <= RECEIVERS_PER_NODE; m++) {
        const shown = new Map<string, number>();
        const client = await open(userOf(n, m), nodeId, shown);
        clients.push(client);
        receivers.push({ client, startNode: nodeId, shown });
      }
    }
    const sender = await open(userOf(nodeIds.indexOf(senderNode), 0), senderNode);
    clients.push(sender);
    const affected = receivers.filter((r) => r.startNode === target);

    const sentAt = new Map<string, number>();
    const errors: Record<string, number> = {};
    let sending = true;
    const senderLoop = (async (): Promise<void> => {
      // Bounded by `sending` and by the send deadline of each message.
      for (let i = 0; sending && i < 5000; i++) {
        const started = performance.now();
        try {
          const ack = await sender.sendRoom(room, `fault ${kind} ${i}`);
          sentAt.set(ack.id, started);
        } catch (err) {
          const reason = failureReason(err);
          errors[reason] = (errors[reason] ?? 0) + 1;
        }
        const wait = started + SEND_EVERY_MS - performance.now();
        if (wait > 0) await sleep(wait);
      }
    })();
    await sleep(1000);
    const faultAt = performance.now();
    const measureFrom = await applyFault(cluster, proxies, kind, target, sessionTimeoutMs);
    await cluster.waitForLeader(60_000);
    const firstAfter = (): number | undefined => {
      let first: number | undefined;
      for (const r of affected) {
        for (const [id, at] of r.shown) {
          if ((sentAt.get(id) ?? -Infinity) < measureFrom) continue;
          if (first === undefined || at < first) first = at;
        }
      }
      return first;
    };
    await waitFor(firstAfter, {
      what: `a delivery to a user of ${target}`,
      timeoutMs: 30_000,
      intervalMs: 20,
    }).catch(() => undefined);
    await sleep(1000);
    sending = false;
    await senderLoop;
    const unseen = (): number =>
      receivers.reduce((sum, r) => sum + [...sentAt.keys()].filter((id) => !r.shown.has(id)).length, 0);
    await waitFor(() => (unseen() === 0 ? true : undefined), {
      what: 'every receiver to catch up',
      timeoutMs: SETTLE_MS,
      intervalMs: 50,
    }).catch(() => undefined);
    const first = firstAfter();
    const reached = [...sentAt]
      .filter(([id, at]) => at >= faultAt && affected.some((r) => r.shown.has(id)))
      .map(([, at]) => at)
      .sort((a, b) => a - b);
    const lastSent = Math.max(faultAt, ...sentAt.values());
    let longestGapMs = 0;
    let previous = faultAt;
    for (const at of [...reached, lastSent]) {
      longestGapMs = Math.max(longestGapMs, at - previous);
      previous = at;
    }
    return {
      kind,
      target,
      firstDeliveryMs: first === undefined ? undefined : first - measureFrom,
      longestGapMs,
      acked: sentAt.size,
      missing: unseen(),
      errors,
    };
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}

/** Applies the fault; resolves with the time the first-delivery measure starts from. */
async function applyFault(
  cluster: BenchCluster,
  proxies: Map<string, TcpProxy>,
  kind: FaultKind,
  target: string,
  sessionTimeoutMs: number,
): Promise<number> {
  const startedAt = performance.now();
  if (kind === 'follower-zk-cut') {
    const proxy = proxies.get(target);
    if (!proxy) throw new Error(`no ZooKeeper proxy for ${target}`);
    // 1.5 x the session timeout: ZooKeeper expires the session while the gRPC links stay up.
    proxy.blackhole();
    await sleep(1.5 * sessionTimeoutMs);
    proxy.heal();
    return performance.now();
  }
  // pm2 reload: SIGINT, and the node starts again as soon as it has drained and exited.
  await cluster.interrupt(target);
  await cluster.startNode(target);
  return startedAt;
}
