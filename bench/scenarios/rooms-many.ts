import path from 'node:path';
import { connectUsers } from '../load/connect';
import type { ConnectedUsers } from '../load/connect';
import { TextRouter, runPhase } from '../load/phase';
import type { PhaseResult } from '../load/phase';
import type { SenderPlan } from '../load/senders';
import type { ClusterBuild } from '../support/cluster';
import { cpuUsPer } from '../support/compare';
import { fmt } from '../support/report';
import { seedStore } from '../support/seed';
import { startServices } from '../support/services';
import { NODE_IDS, startSystem } from '../support/systems';
import type { RunningSystem } from '../support/systems';
import type { ScenarioContext, ScenarioResult } from './context';
import { renderRoomsMany, roomsManyChart } from './rooms-many-report';

export interface RoomsManyOptions {
  rooms: number;
  members: number;
  /** Users over the three nodes; each is in rooms × members / users rooms. */
  users: number;
  /** Phases: messages/s offered in total over all rooms (one sender per room). */
  rates: number[];
  durationMs: number;
  messages: number;
  pacedWindow: number;
  sizeChars: number;
  sessionTimeoutMs: number;
  build: ClusterBuild;
}

export const ROOMS_MANY_DEFAULTS: Omit<RoomsManyOptions, 'build'> = {
  rooms: 100,
  members: 50,
  users: 1000,
  rates: [100, 300, 500],
  durationMs: 8_000,
  messages: 100_000,
  pacedWindow: 20,
  sizeChars: 100,
  sessionTimeoutMs: 3000,
};

/** The two ROOM_OWNERSHIP modes, measured one after the other on the same data. */
export const MODES = ['leader', 'spread'] as const;
export type Mode = (typeof MODES)[number];

export interface NodeCpu {
  nodeId: string;
  cpuMs: number;
  /** Of the three nodes' CPU in the phase. */
  share: number;
}

export interface ManyRoomsPhase {
  name: string;
  offeredPerSecond: number;
  phase: PhaseResult;
  cpuUsPerDelivery: number;
  nodes: NodeCpu[];
  busiest: NodeCpu;
}

export interface ModeRun {
  mode: Mode;
  leaderId: string;
  connectMs: number;
  phases: ManyRoomsPhase[];
}

export interface RoomPlan {
  name: string;
  members: string[];
  /** A member who sends to this room and to no other. */
  sender: string;
}

/**
 * Room r holds `members` consecutive users from r × members (wrapping), so
 * every room spans the three nodes (user i lives on node i mod 3) and each
 * user is in the same number of rooms. Its sender is the member at offset
 * ⌊r × members / users⌋, which differs for rooms that start at the same user.
 */
export function planRooms(options: Pick<RoomsManyOptions, 'rooms' | 'members' | 'users'>): RoomPlan[] {
  const users = Array.from({ length: options.users }, (_, i) => `u${i}`);
  return Array.from({ length: options.rooms }, (_, r) => {
    const start = r * options.members;
    const members = Array.from(
      { length: options.members },
      (_, j) => users[(start + j) % options.users] as string,
    );
    const offset = Math.floor(start / options.users) % options.members;
    return { name: `many-${r}`, members, sender: members[offset] as string };
  });
}

/**
 * Many rooms over three nodes, once with every room on the leader and once
 * spread over the nodes (ROOM_OWNERSHIP), same data and load: deliveries/s,
 * latency, and how the CPU divides between the nodes.
 */
export async function runRoomsMany(ctx: ScenarioContext, options: RoomsManyOptions): Promise<ScenarioResult> {
  if (options.members > options.users) throw new Error('--members must not exceed --users.');
  const rooms = planRooms(options);
  const senders = new Set(rooms.map((r) => r.sender));
  if (senders.size !== rooms.length) throw new Error('Two rooms would share a sender: raise --users.');
  const users = Array.from({ length: options.users }, (_, i) => `u${i}`);
  const services = await startServices(path.join(ctx.workDir, 'services'), ctx.teardown);
  const seededSqlite = path.join(ctx.workDir, 'seed.db');
  ctx.progress(`rooms-many: seeding ${users.length} users and ${rooms.length} rooms of ${options.members}`);
  await seedStore(seededSqlite, { users, rooms });

  const runs: ModeRun[] = [];
  for (const mode of MODES) {
    ctx.progress(`rooms-many: starting the cluster with ROOM_OWNERSHIP=${mode}`);
    const system = await startSystem(
      { kind: 'cluster', build: options.build },
      {
        ctx,
        services,
        seededSqlite,
        sessionTimeoutMs: options.sessionTimeoutMs,
        clusterEnv: { ROOM_OWNERSHIP: mode },
      },
    );
    try {
      runs.push(await drive(system, mode, users, rooms, options, ctx));
    } finally {
      await system.stop();
    }
  }
  return {
    scenario: 'rooms-many',
    table: renderRoomsMany(options, runs),
    chart: roomsManyChart(options, runs),
    data: { options: { ...options, build: options.build.label }, runs },
  };
}

async function drive(
  system: RunningSystem,
  mode: Mode,
  users: readonly string[],
  rooms: readonly RoomPlan[],
  options: RoomsManyOptions,
  ctx: ScenarioContext,
): Promise<ModeRun> {
  const router = new TextRouter();
  const groupsOf = new Map<string, string[]>();
  for (const room of rooms)
    for (const member of room.members) groupsOf.set(member, [...(groupsOf.get(member) ?? []), room.name]);
  const connected: ConnectedUsers = await connectUsers(
    system.transport,
    users.map((user, i) => ({
      user,
      placement: {
        url: system.url(NODE_IDS[i % NODE_IDS.length] as string),
        groups: groupsOf.get(user) ?? [],
      },
    })),
    { concurrency: 50, onText: router.onText },
  );
  ctx.progress(
    `rooms-many: ${mode}: ${users.length} users connected in ${fmt.seconds(connected.elapsedMs)} s`,
  );
  const phases: ManyRoomsPhase[] = [];
  try {
    for (const [n, rate] of options.rates.entries()) {
      const name = `${rate} msg/s`;
      ctx.progress(`rooms-many: ${mode}: ${name} over ${rooms.length} rooms`);
      const plans: SenderPlan[] = rooms.map((room, r) => ({
        client: connected.byUser.get(room.sender)!,
        index: (n + 1) * 10_000 + r,
        target: { kind: 'room', name: room.name },
        category: 'room',
        recipients: room.members.length,
      }));
      const phase = await runPhase(plans, router, {
        durationMs: options.durationMs,
        maxMessages: options.messages,
        window: options.pacedWindow,
        ratePerSecond: rate / rooms.length,
        stampDueTime: true,
        sizeChars: options.sizeChars,
        warmupMs: Math.min(2000, options.durationMs / 4),
        deliveryTimeoutMs: 10_000,
        processes: system.processes,
      });
      const total = phase.memory.processes.reduce((sum, p) => sum + p.cpuMs, 0);
      const nodes = phase.memory.processes.map((p) => ({
        nodeId: p.name,
        cpuMs: p.cpuMs,
        share: total > 0 ? p.cpuMs / total : 0,
      }));
      const busiest = nodes.reduce((a, b) => (b.cpuMs > a.cpuMs ? b : a));
      phases.push({
        name,
        offeredPerSecond: rate * options.members,
        phase,
        cpuUsPerDelivery: cpuUsPer(phase, phase.total.deliveries),
        nodes,
        busiest,
      });
    }
  } finally {
    await connected.closeAll();
  }
  return { mode, leaderId: system.leaderId, connectMs: connected.elapsedMs, phases };
}
