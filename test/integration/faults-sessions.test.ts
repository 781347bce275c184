import { setTimeout as delay } from 'node:timers/promises';
import { conversation } from '../../src/core/names';
import { waitFor } from '../../src/core/wait-for';
import { useScope } from '../support';
import { textFor } from '../support/checker';
import { finishScenario, startScenario, twoRooms, waitForAcks } from '../support/fault-scenario';
import type { Scenario } from '../support/fault-scenario';
import type { UserAgent } from '../support/workload';

/** Direct messages from `from` to `to`, one every `everyMs` (under the rate limit), until `until`. */
async function dmStream(s: Scenario, from: string, to: string, until: number, everyMs = 100): Promise<void> {
  // Bounded by `until`; each send waits for its answer (retries included), then its turn.
  for (let next = Date.now(); Date.now() < until; next += everyMs) {
    const agent = s.workload.agent(from);
    if (agent.client.ended) return;
    const key = agent.nextKey();
    await agent.send(
      { key, kind: 'direct', from, to, conversation: conversation.direct(from, to), text: textFor(key) },
      true,
    );
    await delay(Math.max(0, next + everyMs - Date.now()));
  }
}

/** Logs `user` in on two nodes at the same moment; the clients whose login went through. */
async function twoLoginsAtOnce(
  s: Scenario,
  user: string,
  index: number,
  round: number,
): Promise<UserAgent[]> {
  const logins = await Promise.allSettled([
    s.workload.addAgent(user, index, `r${round}a`),
    s.workload.addAgent(user, index + 1, `r${round}b`),
  ]);
  return logins.flatMap((l) => (l.status === 'fulfilled' ? [l.value] : []));
}

/**
 * Sessions racing messages: a user's logins while direct messages to them
 * are on their way, and one user logging in on two nodes at the same moment.
 * Every user is a ResilientClient; a user's view is what any of their
 * clients showed.
 */
describe('faults: logins racing messages', () => {
  const scope = useScope();

  it('login-race: three users log out and in again every ~1.5 s while others send them direct messages', async () => {
    const racers = ['u28', 'u29', 'u30'];
    const s = await startScenario(scope, {
      name: 'login-race',
      // The racers are in no room: after a logout only LoginOk.missed and the login's sync can bring them up to date.
      rooms: (users) => twoRooms(users.filter((u) => !racers.includes(u))),
      load: { receiveOnly: racers },
    });
    await waitForAcks(s, 10, 'before the race', 0, 'direct');
    const faultAt = Date.now();
    const until = faultAt + 10_000;
    const streams = racers.flatMap((to, i) => [
      dmStream(s, `u${i + 1}`, to, until),
      dmStream(s, `u${i + 11}`, to, until),
    ]);
    const races = racers.map(async (user, i) => {
      // Bounded: one cycle per ~1.5 s until `until`.
      for (let cycle = 0; Date.now() < until; cycle++) {
        await s.workload.agent(user).logout();
        await delay(Math.floor(Math.random() * 300));
        // A new device each time: nothing remembered but what the login says was missed.
        await s.workload.addAgent(user, i + cycle, `c${cycle}`);
        await delay(1000 + Math.floor(Math.random() * 500));
      }
    });
    await Promise.all([...streams, ...races]);

    await finishScenario(s, { faultAt });
  }, 120_000);

  it('dual-login: a user logs in on two nodes at once, three times for each of three users', async () => {
    const doubles = ['u4', 'u5', 'u6'];
    const s = await startScenario(scope, { name: 'dual-login' });
    await waitForAcks(s, 10, 'before the logins', 0, 'direct');
    const faultAt = Date.now();
    const outcomes: string[] = [];
    await Promise.all(
      doubles.map(async (user, i) => {
        for (let round = 0; round < 3; round++) {
          // The user's current client stays logged in: the two new logins replace it too.
          const previous = s.workload.agents.get(user);
          // Two clients of the same user, started together on two different nodes (a login
          // replaced before its own reply fails: that client lost the race at once).
          const clients = await twoLoginsAtOnce(s, user, i + round, round);
          // One login must win, on one node, and the other be told it was replaced.
          const live = (): UserAgent[] => clients.filter((x) => x.client.ended === undefined);
          const replaced = (): boolean => previous === undefined || previous.client.ended !== undefined;
          const settled = await waitFor(() => (live().length === 1 && replaced() ? live() : undefined), {
            what: `one of the two logins of ${user} to win`,
            timeoutMs: 10_000,
          }).catch(() => live());
          outcomes.push(
            `${user} round ${round}: ${settled.length} live (${settled.map((x) => x.client.nodeId).join(', ')})`,
          );
          if (!replaced()) outcomes.push(`${user} round ${round}: the earlier login was not replaced`);
          const survivor = settled[0] ?? (await s.workload.addAgent(user, i, `r${round}c`));
          s.workload.agents.set(user, survivor);
          await delay(1500);
        }
      }),
    );
    console.log(`  dual-login: ${outcomes.join('; ')}`);
    await waitForAcks(s, 20, 'after the logins', Date.now(), 'direct');

    await finishScenario(s, { faultAt });
    expect(outcomes.filter((o) => !o.includes(': 1 live ('))).toEqual([]);
  }, 120_000);
});
