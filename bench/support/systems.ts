import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ChatTransport } from '../load/chat-transport';
import type { LoadTransport } from '../load/clients';
import { RelayTransport } from '../load/relay-transport';
import { SocketIoTransport } from '../load/socketio-transport';
import type { ScenarioContext } from '../scenarios/context';
import { BenchCluster } from './cluster';
import type { ClusterBuild } from './cluster';
import { startRelay } from './relay';
import { BENCH_PASSWORD } from './seed';
import type { BenchServices } from './services';
import { startSocketIo } from './socketio';

export const NODE_IDS = ['n1', 'n2', 'n3'] as const;

/** What a scenario measures side by side, in this order: the cluster build(s), then the peers. */
export type SystemPlan = { kind: 'cluster'; build: ClusterBuild } | { kind: 'socketio' } | { kind: 'relay' };

export const PEER_KINDS = ['socketio', 'relay'] as const;

export function systemLabel(plan: SystemPlan): string {
  return plan.kind === 'cluster' ? plan.build.label : plan.kind === 'socketio' ? 'socket.io' : 'relay';
}

/** A system under load: where each of the three "nodes" is, and which processes do the work. */
export interface RunningSystem {
  label: string;
  kind: SystemPlan['kind'];
  transport: LoadTransport;
  /** URL of node n1/n2/n3 (the Socket.IO process of that name; the relay has one for all). */
  url(nodeId: string): string;
  processes: Array<{ name: string; pid: number }>;
  /** The cluster's leader; for the peers 'n1', so "followers" are n2 and n3 as in a fresh cluster. */
  leaderId: string;
  followers: [string, string];
  cluster?: BenchCluster;
  stop(): Promise<unknown>;
}

export interface SystemEnv {
  ctx: ScenarioContext;
  services: BenchServices;
  /** A seeded SQLite file each cluster gets a fresh copy of, so every build starts from the same data. */
  seededSqlite: string;
  sessionTimeoutMs: number;
  clusterEnv?: Record<string, string>;
}

export async function startSystem(plan: SystemPlan, env: SystemEnv): Promise<RunningSystem> {
  const { ctx, services } = env;
  const label = systemLabel(plan);
  if (plan.kind === 'cluster') {
    const sqlitePath = path.join(ctx.workDir, `chat-${randomUUID().slice(0, 8)}.db`);
    await fs.copyFile(env.seededSqlite, sqlitePath);
    const cluster = await BenchCluster.start({
      workDir: ctx.workDir,
      sqlitePath,
      redisUrl: services.redis.url,
      zkHosts: services.zk.hosts,
      nodeIds: NODE_IDS,
      sessionTimeoutMs: env.sessionTimeoutMs,
      teardown: ctx.teardown,
      build: plan.build,
      env: env.clusterEnv,
    });
    const { leaderId } = await cluster.waitForLeader();
    return {
      label,
      kind: 'cluster',
      transport: new ChatTransport(BENCH_PASSWORD),
      url: (nodeId) => cluster.node(nodeId).wsUrl,
      processes: cluster.pids(),
      leaderId,
      followers: cluster.followers(leaderId) as [string, string],
      cluster,
      stop: () => cluster.stop(),
    };
  }
  if (plan.kind === 'socketio') {
    const servers = await startSocketIo(NODE_IDS, {
      workDir: ctx.workDir,
      redisUrl: services.redis.url,
      teardown: ctx.teardown,
    });
    return {
      label,
      kind: 'socketio',
      transport: new SocketIoTransport(),
      url: (nodeId) => servers.urls.get(nodeId) ?? '',
      processes: servers.processes,
      leaderId: 'n1',
      followers: ['n2', 'n3'],
      stop: servers.stop,
    };
  }
  const relay = await startRelay(ctx.workDir, ctx.teardown);
  return {
    label,
    kind: 'relay',
    transport: new RelayTransport(),
    url: () => relay.url,
    processes: [{ name: 'relay', pid: relay.pid }],
    leaderId: 'n1',
    followers: ['n2', 'n3'],
    stop: relay.stop,
  };
}
