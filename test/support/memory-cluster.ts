import path from 'node:path';
import { ChatClient } from '../../src/client/chat-client';
import type { ChatClientOptions } from '../../src/client/chat-client';
import { composeMemoryNode, sharedMemoryState } from '../../src/bin/compose-memory';
import type { MemoryNode, SharedMemoryState } from '../../src/bin/compose-memory';
import { MemoryEnsemble } from '../../src/cluster/memory/ensemble';
import { MemoryLinkBus } from '../../src/cluster/memory/link-bus';
import { loadNodeConfig } from '../../src/config/node';
import type { Clock } from '../../src/core/clock';
import { silentLogger } from '../../src/core/logger';
import { waitFor } from '../../src/core/wait-for';

const REPO = path.resolve(__dirname, '..', '..');
export const MEMORY_PASSWORD = 'pw-memory-1';

export interface MemoryClusterOptions {
  nodeIds?: string[];
  /** Extra node settings, as environment variables (e.g. RATE_LIMIT_BURST). */
  env?: Record<string, string>;
  clock?: Clock;
}

/**
 * A whole cluster in the test process: ChatNodes on the in-memory adapters
 * (MemoryEnsemble for ZooKeeper, MemoryLinkBus for the gRPC links, shared
 * in-memory Redis ports and store), clients on in-process sockets speaking
 * the real protocol through the same ChatClient the other tests use.
 * Nothing listens on a port; everything waits on events, not time.
 */
export class MemoryCluster {
  readonly ensemble = new MemoryEnsemble();
  readonly bus = new MemoryLinkBus();
  readonly shared: SharedMemoryState;
  private readonly nodes = new Map<string, MemoryNode>();
  private readonly clients: ChatClient[] = [];

  private constructor(private readonly options: MemoryClusterOptions) {
    this.shared = sharedMemoryState(
      { ensemble: this.ensemble, bus: this.bus, clock: options.clock },
      this.config('n0').login,
    );
  }

  static async start(options: MemoryClusterOptions = {}): Promise<MemoryCluster> {
    const cluster = new MemoryCluster(options);
    for (const id of options.nodeIds ?? ['n1', 'n2', 'n3']) await cluster.startNode(id);
    return cluster;
  }

  config(nodeId: string): ReturnType<typeof loadNodeConfig> {
    return loadNodeConfig({
      NODE_ID: nodeId,
      DIRTY_WORDS_PATH: path.join(REPO, 'resources', 'dirty-words.txt'),
      SCRYPT_N: '1024',
      ZK_SESSION_TIMEOUT_MS: '3000',
      LOG_LEVEL: 'silent',
      ...this.options.env,
    });
  }

  async startNode(nodeId: string): Promise<MemoryNode> {
    const composed = composeMemoryNode(this.config(nodeId), this.shared, silentLogger());
    this.nodes.set(nodeId, composed);
    await composed.node.start();
    return composed;
  }

  /** Stops a node cleanly: its clients are closed, it leaves the membership. */
  async stopNode(nodeId: string): Promise<void> {
    const composed = this.node(nodeId);
    await composed.node.stop();
    await composed.transport.close();
    this.nodes.delete(nodeId);
  }

  node(nodeId: string): MemoryNode {
    const composed = this.nodes.get(nodeId);
    if (!composed) throw new Error(`no node ${nodeId} in this cluster`);
    return composed;
  }

  nodeIds(): string[] {
    return [...this.nodes.keys()];
  }

  async createUser(username: string, alliance = ''): Promise<void> {
    await this.shared.store.users.create({ username, password: MEMORY_PASSWORD, alliance });
  }

  /** A connected client on `nodeId` (not logged in). */
  connect(nodeId: string, options: ChatClientOptions = {}): ChatClient {
    const { client } = this.node(nodeId).edge.connect({ json: options.json });
    const chat = ChatClient.over(client, `memory://${nodeId}`, options);
    this.clients.push(chat);
    return chat;
  }

  async login(nodeId: string, username: string, options: ChatClientOptions = {}): Promise<ChatClient> {
    const client = this.connect(nodeId, options);
    await client.login(username, MEMORY_PASSWORD);
    return client;
  }

  /** Resolves when every node names the same leader and it leads; returns it. */
  async waitForLeader(
    what = 'one leader every node agrees on',
  ): Promise<{ leaderId: string; epoch: number }> {
    return waitFor(
      () => {
        const views = [...this.nodes.values()].map((n) => n.coordinator.leader());
        const first = views[0];
        if (!first || views.some((v) => v?.nodeId !== first.nodeId || v.epoch !== first.epoch))
          return undefined;
        const leader = this.nodes.get(first.nodeId);
        if (!leader?.coordinator.isLeader()) return undefined;
        // Every node knows every other and its links are up.
        const ids = this.nodeIds();
        for (const n of this.nodes.values())
          for (const peer of ids)
            if (peer !== n.coordinator.self.nodeId && !n.transport.isUp(peer)) return undefined;
        return { leaderId: first.nodeId, epoch: first.epoch };
      },
      { what, timeoutMs: 5000, intervalMs: 5 },
    );
  }

  /** The ids of nodes that are not the leader. */
  async followers(): Promise<string[]> {
    const { leaderId } = await this.waitForLeader();
    return this.nodeIds().filter((id) => id !== leaderId);
  }

  async stop(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close().catch(() => undefined)));
    for (const id of [...this.nodes.keys()]) await this.stopNode(id);
    await this.shared.store.close();
  }
}
