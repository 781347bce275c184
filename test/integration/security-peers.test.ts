/**
 * A node certificate is not a master key: on the internal port, only live
 * members may link, and a member's frames count only for users whose
 * sessions are on it. The frames an attacker with a real node's certificate
 * sends go in one gRPC message, each forged frame followed by a genuine one:
 * the genuine one arriving proves the forged one was handled before it.
 */
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import type { StatusObject } from '@grpc/grpc-js';
import { LinkServiceClient } from '../../gen/chat/v1/cluster';
import type { PeerFrame } from '../../gen/chat/v1/cluster';
import { rendezvousOwner } from '../../src/cluster/ownership/rendezvous';
import { channelCredentials, loadTlsMaterial } from '../../src/cluster/tls/credentials';
import { conversation } from '../../src/core/names';
import { pushCodec } from '../../src/protocol/push';
import { TestCluster } from '../support/cluster';
import { waitFor } from '../../src/core/wait-for';

function dialAs(cluster: TestCluster, certName: string, targetNode: string): LinkServiceClient {
  const tls = loadTlsMaterial({
    caPath: path.join(cluster.certsDir, 'ca.crt'),
    certPath: path.join(cluster.certsDir, `${certName}.crt`),
    keyPath: path.join(cluster.certsDir, `${certName}.key`),
  });
  return new LinkServiceClient(cluster.node(targetNode).rpcAddress, channelCredentials(tls));
}

/** Opens a link as `certName` and writes `frames` after Hello in one message; resolves how the call ended. */
function sendAs(
  cluster: TestCluster,
  certName: string,
  target: string,
  frames: PeerFrame[],
): Promise<StatusObject> {
  const client = dialAs(cluster, certName, target);
  const call = client.link({ deadline: Date.now() + 10_000 });
  call.on('data', () => undefined);
  call.on('error', () => undefined);
  const ended = new Promise<StatusObject>((resolve) => call.on('status', resolve));
  call.write({ frames: [{ epoch: 0, body: { $case: 'hello', value: { nodeId: certName } } }, ...frames] });
  void ended.finally(() => client.close());
  setTimeout(() => call.end(), 2_000).unref();
  return ended;
}

function directPush(from: string, to: string, text: string): PeerFrame {
  const message = {
    id: `forged-${text}`,
    conversation: `dm:${[from, to].sort().join('|')}`,
    seq: 999,
    kind: 'direct' as const,
    from,
    to,
    text,
    ts: Date.now(),
  };
  const push = Buffer.from(pushCodec.fromMessage(message).bytes);
  return {
    epoch: 0,
    body: {
      $case: 'deliver',
      value: { recipients: [to], broadcast: false, push, alliance: '', hops: 0, ownerEpoch: 0, confirmId: 0 },
    },
  };
}

describe('the internal port against a hostile peer', () => {
  let cluster: TestCluster;
  let leader: string;
  let epoch: number;
  let f1: string;
  let f2: string;

  beforeAll(async () => {
    cluster = await TestCluster.start({ name: 'sec-peers' });
    ({ leaderId: leader, epoch } = await cluster.waitForLeader());
    [f1, f2] = ['n1', 'n2', 'n3'].filter((id) => id !== leader) as [string, string];
    for (const name of ['alice', 'bob', 'dave']) await cluster.createUser(name);
  }, 90_000);
  afterAll(() => cluster?.stop());

  it('refuses a link from a node id that is not a live member, even with a cluster certificate', async () => {
    // n4's certificate comes from the cluster CA, but no n4 runs.
    const ended = await sendAs(cluster, 'n4', f1, []);
    expect(ended.code).toBe(status.PERMISSION_DENIED);
    expect(ended.details).toMatch(/not a live member/);
  });

  it('does not let a member deliver a direct message in the name of a user on another node', async () => {
    await cluster.login(leader, 'alice');
    const bob = await cluster.login(f1, 'bob');
    await cluster.login(f2, 'dave');
    await sendAs(cluster, f2, f1, [
      directPush('alice', 'bob', 'forged by f2'),
      directPush('dave', 'bob', 'from dave'),
    ]);
    await waitFor(() => bob.received().some((m) => m.text === 'from dave'), { what: 'the genuine message' });
    expect(bob.received().map((m) => m.text)).not.toContain('forged by f2');
  });

  it('does not let a member post to a room in the name of a user on another node', async () => {
    // Requests go to the node that runs the room: one the leader runs, whether rooms are spread or not.
    const room = Array.from({ length: 50 }, (_, i) => `guarded-${i}`).find(
      (name) => rendezvousOwner(conversation.room(name), ['n1', 'n2', 'n3']) === leader,
    ) as string;
    const alice = await cluster.login(leader, 'alice');
    const bob = await cluster.login(f1, 'bob');
    await cluster.login(f2, 'dave');
    await alice.createRoom(room);
    await bob.joinRoom(room);
    const dave = await cluster.login(f2, 'dave');
    await dave.joinRoom(room);
    const request = (requestId: number, username: string, text: string): PeerFrame => ({
      epoch,
      body: {
        $case: 'request',
        value: {
          requestId,
          username,
          alliance: '',
          op: { $case: 'sendRoom', value: { room, text, idempotencyKey: '' } },
          viewVersion: 0,
        },
      },
    });
    await sendAs(cluster, f2, leader, [
      request(1, 'alice', 'forged as alice'),
      request(2, 'dave', 'dave for real'),
    ]);
    await waitFor(() => bob.received().some((m) => m.text === 'dave for real'), {
      what: 'the genuine room message',
    });
    expect(bob.received().map((m) => m.text)).not.toContain('forged as alice');
    const history = await bob.history({ room });
    expect(history.messages.map((m) => m.text)).toEqual(['dave for real']);
  });
});
