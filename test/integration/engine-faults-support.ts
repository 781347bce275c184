/**
 * What the engine kill scenarios (faults-redis-cluster, faults-redis-sentinel,
 * faults-zk-ensemble) check beside the delivery checker: that the Redis-backed
 * state still works after a failover, and that leadership epochs only grow.
 */
import type { Kicked } from '../../gen/chat/v1/client';
import { RedisKeys, conversation } from '../../src/core/names';
import { CloseCode } from '../../src/protocol/close-codes';
import { connectRedis, waitFor } from '../support';
import type { TestScope } from '../support';
import type { RoleSample, Scenario } from '../support/fault-scenario';

/**
 * Sessions, recent history and hot words work on the Redis the scenario's
 * nodes use now (after a failover): a second login of one user on another
 * node kicks the first (the session swap script), a room message lands in
 * the room's recent list, and its words reach the leaderboard.
 */
export async function expectRedisStateWorks(scope: TestScope, s: Scenario, label: string): Promise<void> {
  const keys = new RedisKeys(s.cluster.env.REDIS_PREFIX as string);
  const redis = await connectRedis(scope, { env: s.cluster.env });
  const [first, second] = [...s.cluster.nodes.keys()];
  const user = `probe-${label}`;
  await s.cluster.createUser(user);

  const old = await s.cluster.login(first as string, user);
  const kicks: Kicked[] = [];
  old.on('kicked', (k) => kicks.push(k));
  const fresh = await s.cluster.login(second as string, user);
  const closed = await waitFor(() => old.closeStatus, { what: `${user}'s first connection to be replaced` });
  expect(closed.code).toBe(CloseCode.REPLACED);
  expect(kicks).toHaveLength(1);
  const session = JSON.parse((await redis.hget(keys.sessions(), user)) ?? '{}') as { nodeId?: string };
  expect(session.nodeId).toBe(second);

  const room = `probe-${label}`;
  await fresh.createRoom(room);
  const word = `failover${label.replace(/[^a-z]/gi, '')}`;
  const ack = await fresh.sendRoom(room, `${word} ${word} after ${label}`);
  // The recent list is pushed behind the store, within RECENT_FLUSH_MS of the ack.
  await waitFor(
    async () => {
      const recent = await redis.lrange(keys.history(conversation.room(room)), 0, -1);
      return recent.some((raw) => (JSON.parse(raw) as { id: string }).id === ack.id) || undefined;
    },
    { what: `the message in ${room}'s recent list`, timeoutMs: 5000 },
  );
  const top = await waitFor(
    async () => {
      const words = await fresh.popular(50);
      return words.some((w) => w.word === word) ? words : undefined;
    },
    { what: `"${word}" on the leaderboard`, timeoutMs: 10_000 },
  );
  expect(top.find((w) => w.word === word)?.count).toBe(2);
  await fresh.close();
}

/**
 * Starts listening for each node's `shared_state_back` log event (the node
 * putting its sessions, load and server list back after Redis may have lost
 * them); `waitForAll` waits until every node of the scenario has logged one.
 */
export function watchSharedStateRecovery(s: Scenario): { waitForAll(what: string): Promise<void> } {
  const recovered = new Set<string>();
  for (const node of s.cluster.nodes.values())
    node.onLine((line) => {
      if (line.includes('"event":"shared_state_back"')) recovered.add(node.nodeId);
    });
  return {
    waitForAll: async (what) => {
      await waitFor(() => recovered.size === s.cluster.nodes.size, {
        what: `every node to restore its shared state ${what}`,
        timeoutMs: 15_000,
        describe: () => {
          const missing = [...s.cluster.nodes.values()].filter((n) => !recovered.has(n.nodeId));
          // What the node said about Redis tells whether it never reconnected or reconnected unseen.
          const said = missing.map(
            (n) =>
              `${n.nodeId}:\n${n.logTail
                .filter((l) => /redis|sentinel/i.test(l))
                .slice(-8)
                .join('\n')}`,
          );
          return `restored: ${[...recovered].join(', ') || 'none'}\n${said.join('\n')}`;
        },
      });
    },
  };
}

/**
 * Over the sampler's rounds: no node's epoch ever goes down, and whenever the
 * node that says it leads changes, the new one leads under a higher epoch
 * than every leader seen before. Returns the epochs leaders were seen with.
 */
export function expectEpochsOnlyGrow(s: Scenario): number[] {
  const backwards: string[] = [];
  const lastEpoch = new Map<string, number>();
  const leaderEpochs: number[] = [];
  let leader: RoleSample | undefined;
  for (const round of s.sampler.rounds) {
    for (const sample of round) {
      const before = lastEpoch.get(sample.nodeId) ?? 0;
      if (sample.epoch < before) backwards.push(`${sample.nodeId}: epoch ${before} -> ${sample.epoch}`);
      lastEpoch.set(sample.nodeId, Math.max(before, sample.epoch));
      if (sample.role !== 'leader') continue;
      if (leader && sample.nodeId !== leader.nodeId && sample.epoch <= leader.epoch)
        backwards.push(
          `${sample.nodeId} leads at epoch ${sample.epoch} after ${leader.nodeId} at ${leader.epoch}`,
        );
      if (leader?.nodeId !== sample.nodeId || leader.epoch !== sample.epoch) leaderEpochs.push(sample.epoch);
      leader = sample;
    }
  }
  expect(backwards).toEqual([]);
  return leaderEpochs;
}
