import { status } from '@grpc/grpc-js';
import type { PeerFrame } from '../../gen/chat/v1/cluster';
import type { OutgoingFrame } from '../../src/cluster/rpc/link-hub';
import { RpcServer } from '../../src/cluster/rpc/server';
import { LinkHub } from '../../src/cluster/rpc/link-hub';
import { silentLogger } from '../../src/core/logger';
import {
  linkOutcome,
  makeCerts,
  rawLink,
  startFollower,
  startLeader,
  Teardown,
  waitFor,
} from './rpc-support';
import type { CertFixture } from './rpc-support';

function kick(username: string): OutgoingFrame {
  return { body: { $case: 'kick', value: { targetNode: 'node2', username, sid: 's1', reason: 'test' } } };
}

function serverList(n: number): OutgoingFrame {
  return {
    body: {
      $case: 'serverList',
      value: {
        nodes: [{ nodeId: `n${n}`, wsUrl: 'ws://127.0.0.1:1', rpcAddress: '127.0.0.1:2', startedAt: n }],
      },
    },
  };
}

describe('node links over mutual TLS', () => {
  let certs: CertFixture;
  const suite = new Teardown();
  const teardown = new Teardown();
  beforeAll(async () => {
    certs = await makeCerts(suite);
  });
  afterAll(() => suite.run());
  afterEach(() => teardown.run());

  it('links a valid follower and moves frames both ways, stamped with the epoch', async () => {
    const leader = await startLeader(teardown, certs, { epoch: 5 });
    const fromFollower: Array<[string, PeerFrame]> = [];
    const ups: string[] = [];
    leader.hub.on('frame', (nodeId, frame) => fromFollower.push([nodeId, frame]));
    leader.hub.on('peer-up', (nodeId) => ups.push(nodeId));

    const link = startFollower(teardown, certs, { nodeId: 'node2' });
    const fromLeader: PeerFrame[] = [];
    link.on('frame', (f) => fromLeader.push(f));
    link.connect({ nodeId: 'node1', rpcAddress: leader.address, epoch: 5 });
    await waitFor('the leader to see node2', () => leader.hub.isLinked('node2') && link.isUp);
    expect(ups).toEqual(['node2']);

    expect(link.send(kick('alice'))).toBe(true);
    await waitFor('the kick at the leader', () => fromFollower.length === 1);
    expect(fromFollower[0]?.[0]).toBe('node2');
    expect(fromFollower[0]?.[1]).toMatchObject({ epoch: 5, body: { $case: 'kick' } });

    expect(leader.hub.send('node2', serverList(1))).toBe(true);
    await waitFor('the server list at the follower', () => fromLeader.length === 1);
    expect(fromLeader[0]).toMatchObject({ epoch: 5, body: { $case: 'serverList' } });

    const downs: string[] = [];
    leader.hub.on('peer-down', (nodeId) => downs.push(nodeId));
    await link.close();
    await waitFor('peer-down at the leader', () => downs.includes('node2'));
  });

  it('sends 100 frames queued in one turn as one gRPC message, in both directions', async () => {
    const leader = await startLeader(teardown, certs, { epoch: 2 });
    let atLeader = 0;
    leader.hub.on('frame', () => atLeader++);
    const link = startFollower(teardown, certs, { nodeId: 'node2' });
    let atFollower = 0;
    link.on('frame', () => atFollower++);
    link.connect({ nodeId: 'node1', rpcAddress: leader.address, epoch: 2 });
    await waitFor('the link', () => leader.hub.isLinked('node2') && link.isUp);

    const hubBefore = leader.hub.stats();
    const linkBefore = link.stats();
    for (let i = 0; i < 100; i++) leader.hub.send('node2', serverList(i));
    for (let i = 0; i < 100; i++) link.send(kick(`u${i}`));
    await waitFor('100 frames each way', () => atLeader === 100 && atFollower === 100);

    const hub = leader.hub.stats();
    const follower = link.stats();
    expect(hub.messagesSent - hubBefore.messagesSent).toBe(1);
    expect(hub.framesSent - hubBefore.framesSent).toBe(100);
    expect(follower.messagesReceived - linkBefore.messagesReceived).toBe(1);
    expect(follower.messagesSent - linkBefore.messagesSent).toBe(1);
    expect(hub.messagesReceived - hubBefore.messagesReceived).toBe(1);
    expect(hub.framesReceived - hubBefore.framesReceived).toBe(100);
  });

  it('drops frames from an older leader epoch at the follower', async () => {
    const leader = await startLeader(teardown, certs, { epoch: 5 });
    const link = startFollower(teardown, certs, { nodeId: 'node2' });
    const received: PeerFrame[] = [];
    link.on('frame', (f) => received.push(f));
    link.connect({ nodeId: 'node1', rpcAddress: leader.address, epoch: 5 });
    await waitFor('the link', () => leader.hub.isLinked('node2') && link.isUp);

    // A deposed leader (older epoch) still writing.
    leader.hub.epoch = 4;
    leader.hub.send('node2', serverList(4));
    await waitFor('the stale frame to be counted', () => link.stats().staleFramesDropped === 1);

    // The follower learns of epoch 6 elsewhere: epoch 5 frames are now stale too.
    link.observeEpoch(6);
    leader.hub.epoch = 5;
    leader.hub.send('node2', serverList(5));
    await waitFor('the second stale frame', () => link.stats().staleFramesDropped === 2);

    leader.hub.epoch = 6;
    leader.hub.send('node2', serverList(6));
    await waitFor('the current-epoch frame', () => received.length === 1);
    expect(received[0]?.epoch).toBe(6);
    expect(link.stats().staleFramesDropped).toBe(2);
  });

  it('re-dials after the leader restarts on the same port', async () => {
    const first = await startLeader(teardown, certs, { epoch: 3 });
    const link = startFollower(teardown, certs, { nodeId: 'node2' });
    let ups = 0;
    let downs = 0;
    link.on('up', () => ups++);
    link.on('down', () => downs++);
    link.connect({ nodeId: 'node1', rpcAddress: first.address, epoch: 3 });
    await waitFor('the first link', () => ups === 1);

    first.hub.close();
    await first.server.stop(200);
    await waitFor('the link to go down', () => downs === 1);

    const second = await startLeader(teardown, certs, { epoch: 3, port: first.port });
    await waitFor('the follower to re-link', () => ups === 2 && second.hub.isLinked('node2'), 15_000);
    const got: PeerFrame[] = [];
    link.on('frame', (f) => got.push(f));
    second.hub.send('node2', serverList(9));
    await waitFor('a frame over the new stream', () => got.length === 1);
  });

  it('replaces an older stream from the same node without a peer-down', async () => {
    const leader = await startLeader(teardown, certs, { epoch: 1 });
    const events: string[] = [];
    leader.hub.on('peer-up', (id) => events.push(`up:${id}`));
    leader.hub.on('peer-down', (id) => events.push(`down:${id}`));
    // The older stream never re-dials, so the outcome is deterministic.
    const older = rawLink(teardown, leader.address, certs.tls('node2'), 'node2');
    await older.accepted;
    const newer = startFollower(teardown, certs, { nodeId: 'node2' });
    newer.connect({ nodeId: 'node1', rpcAddress: leader.address, epoch: 1 });
    const endedOlder = await older.ended;
    expect(endedOlder.code).toBe(status.ABORTED);
    await waitFor('the newer stream', () => newer.isUp);
    expect(events).toEqual(['up:node2', 'up:node2']);
    expect(leader.hub.peerIds()).toEqual(['node2']);
  });

  it('refuses links while the node is not leading', async () => {
    const logger = silentLogger();
    const hub = new LinkHub({ nodeId: 'node1', logger });
    const server = new RpcServer({ host: '127.0.0.1', port: 0, tls: certs.tls('node1'), logger, links: hub });
    const address = await server.start();
    teardown.add(async () => {
      hub.close();
      await server.stop(200);
    });
    const refused = await linkOutcome(teardown, address, certs.tls('node2'), 'node2');
    expect(refused).toMatchObject({ code: status.UNAVAILABLE, accepted: false });
    expect(refused.details).toMatch(/not the leader/);

    // A follower keeps re-dialling; once the hub leads, it links.
    const link = startFollower(teardown, certs, { nodeId: 'node2' });
    link.connect({ nodeId: 'node1', rpcAddress: address, epoch: 1 });
    await waitFor('a few refused dials', () => link.stats().messagesSent >= 2);
    expect(link.isUp).toBe(false);
    hub.epoch = 1;
    await waitFor('the link once leading', () => link.isUp && hub.isLinked('node2'));
  });
});
