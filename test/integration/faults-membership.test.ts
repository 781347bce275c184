import { setTimeout as delay } from 'node:timers/promises';
import { ChatClientError } from '../../src/client/chat-client';
import { conversation } from '../../src/core/names';
import { useScope } from '../support';
import { textFor } from '../support/checker';
import { finishScenario, startScenario, waitForAcks, waitForNewLeader } from '../support/fault-scenario';
import type { Scenario } from '../support/fault-scenario';
import type { UserAgent } from '../support/workload';

const ROOMS = ['m1', 'm2', 'm3', 'm4'];
const OWNERS = ['u1', 'u2', 'u3', 'u4'];
const FLOATERS = Array.from({ length: 12 }, (_, i) => `u${i + 11}`);

function agent(s: Scenario, user: string): UserAgent {
  return s.workload.agent(user);
}

/** A room command the checker sees start and end; a failure leaves the membership uncertain. */
async function membership(s: Scenario, user: string, room: string, op: 'join' | 'leave'): Promise<boolean> {
  const done = s.checker.membershipStarted(user, conversation.room(room), op);
  try {
    const client = agent(s, user).client;
    if (op === 'join') await client.joinRoom(room);
    else await client.leaveRoom(room);
    done();
    return true;
  } catch (err) {
    if (!(err instanceof ChatClientError)) throw err;
    s.workload.count(`${op}:${err.reason}`);
    return false;
  }
}

/**
 * Room membership changing while the leader dies: owners create rooms and
 * keep sending to them, floaters join and leave them, and the leader is
 * SIGKILLed in the middle. A message must reach every member whose join was
 * acknowledged before it was sent, and never be pushed to a user whose leave
 * was acknowledged before it was sent.
 */
describe('faults: room membership', () => {
  const scope = useScope();

  it('membership-during-leader-change: create, join and leave while the leader is SIGKILLed', async () => {
    const s = await startScenario(scope, { name: 'membership-during-leader-change' });
    const { leaderId } = await s.cluster.waitForLeader();
    await waitForAcks(s, 10, 'before the rooms', 0);

    for (const [i, room] of ROOMS.entries()) {
      const owner = OWNERS[i] as string;
      s.checker.room(conversation.room(room), []);
      const done = s.checker.membershipStarted(owner, conversation.room(room), 'join');
      await agent(s, owner).client.createRoom(room);
      done();
    }
    const until = Date.now() + 12_000;
    const owners = OWNERS.map(async (owner, i) => {
      const room = ROOMS[i] as string;
      // Bounded by `until`: one message every ~200 ms, each retried until answered.
      while (Date.now() < until) {
        const a = agent(s, owner);
        const key = a.nextKey();
        await a.send(
          {
            key,
            kind: 'room',
            from: owner,
            to: room,
            conversation: conversation.room(room),
            text: textFor(key),
          },
          true,
        );
        await delay(200);
      }
    });
    const floaters = FLOATERS.map(async (user, i) => {
      // Bounded by `until`: join a room, stay ~1 s, leave it, next room.
      for (let n = i; Date.now() < until; n++) {
        const room = ROOMS[n % ROOMS.length] as string;
        if (!(await membership(s, user, room, 'join'))) continue;
        await delay(700 + Math.floor(Math.random() * 600));
        await membership(s, user, room, 'leave');
        await delay(Math.floor(Math.random() * 300));
      }
    });
    await delay(3000);
    const faultAt = Date.now();
    await s.cluster.kill(leaderId);
    await waitForNewLeader(s, leaderId);
    await Promise.all([...owners, ...floaters]);
    await s.cluster.startNode(leaderId);
    await s.cluster.waitForLeader('the killed node back');

    await finishScenario(s, { faultAt });
  }, 120_000);
});
