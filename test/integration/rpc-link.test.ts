import { status } from '@grpc/grpc-js';
import { waitFor } from '../../src/core/wait-for';
import type { PeerFrame } from '../../gen/chat/v1/cluster';
import { makeCerts, rawLink, startNode, Teardown } from './rpc-support';
import type { CertFixture, LinkedNode } from './rpc-support';

function kick(username: string): PeerFrame {
  return {
    epoch: 3,
    body: { $case: 'kick', value: { targetNode: 'node2', username, sid: 's1', reason: 'test' } },
  };
}

function peer(node: LinkedNode, nodeId: string): { nodeId: string; rpcAddress: string } {
  return { nodeId, rpcAddress: node.address };
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

  it('links two nodes both ways and moves frames over each one’s own link', async () => {
    const a = await startNode(teardown, certs, { nodeId: 'node1' });
    const b = await startNode(teardown, certs, { nodeId: 'node2' });
    const atA: Array<[string, PeerFrame]> = [];
    const atB: Array<[string, PeerFrame]> = [];
    a.transport.on('frame', (from, f) => atA.push([from, f]));
    b.transport.on('frame', (from, f) => atB.push([from, f]));
    const ups: string[] = [];
    a.transport.on('up', (id) => ups.push(`a->${id}`));
    b.transport.on('up', (id) => ups.push(`b->${id}`));

    a.transport.setPeers([peer(b, 'node2')]);
    b.transport.setPeers([peer(a, 'node1')]);
    await waitFor(() => a.transport.isUp('node2') && b.transport.isUp('node1'), {
      what: 'both links',
      intervalMs: 20,
    });
    expect(ups.sort()).toEqual(['a->node2', 'b->node1']);

    expect(a.transport.send('node2', kick('alice'))).toBe(true);
    expect(b.transport.send('node1', kick('bob'))).toBe(true);
    await waitFor(() => atA.length === 1 && atB.length === 1, { what: 'a frame each way', intervalMs: 20 });
    expect(atB[0]).toMatchObject([
      'node1',
      { epoch: 3, body: { $case: 'kick', value: { username: 'alice' } } },
    ]);
    expect(atA[0]).toMatchObject(['node2', { body: { $case: 'kick', value: { username: 'bob' } } }]);
    expect(a.transport.links()).toEqual({ out: ['node2'], in: ['node2'] });

    const downs: string[] = [];
    a.transport.on('down', (id) => downs.push(id));
    a.transport.setPeers([]);
    expect(a.transport.isUp('node2')).toBe(false);
    expect(a.transport.send('node2', kick('carol'))).toBe(false);
    await waitFor(() => b.transport.links().in.length === 0, {
      what: 'node2 to see the incoming link end',
      intervalMs: 20,
    });
  });

  it('sends 100 frames queued in one turn as one gRPC message', async () => {
    const a = await startNode(teardown, certs, { nodeId: 'node1' });
    const b = await startNode(teardown, certs, { nodeId: 'node2' });
    let atB = 0;
    b.transport.on('frame', () => atB++);
    a.transport.setPeers([peer(b, 'node2')]);
    await waitFor(() => a.transport.isUp('node2'), { what: 'the link', intervalMs: 20 });
    const sentBefore = a.transport.stats();
    const receivedBefore = b.transport.stats();
    for (let i = 0; i < 100; i++) a.transport.send('node2', kick(`u${i}`));
    await waitFor(() => atB === 100, { what: '100 frames', intervalMs: 20 });
    const sent = a.transport.stats();
    const received = b.transport.stats();
    expect(sent.messagesSent - sentBefore.messagesSent).toBe(1);
    expect(sent.framesSent - sentBefore.framesSent).toBe(100);
    expect(received.messagesReceived - receivedBefore.messagesReceived).toBe(1);
    expect(received.framesReceived - receivedBefore.framesReceived).toBe(100);
  });

  it('re-dials a peer that restarts on the same port', async () => {
    const a = await startNode(teardown, certs, { nodeId: 'node1' });
    const first = await startNode(teardown, certs, { nodeId: 'node2' });
    let ups = 0;
    let downs = 0;
    a.transport.on('up', () => ups++);
    a.transport.on('down', () => downs++);
    a.transport.setPeers([peer(first, 'node2')]);
    await waitFor(() => ups === 1, { what: 'the first link', intervalMs: 20 });

    await first.transport.close();
    await first.server.stop(200);
    await waitFor(() => downs === 1, { what: 'the link to go down', intervalMs: 20 });

    const second = await startNode(teardown, certs, { nodeId: 'node2', port: first.port });
    const got: PeerFrame[] = [];
    second.transport.on('frame', (_from, f) => got.push(f));
    await waitFor(() => ups === 2 && second.transport.hub.isLinked('node1'), {
      what: 'the re-dial',
      intervalMs: 20,
      timeoutMs: 15_000,
    });
    a.transport.send('node2', kick('again'));
    await waitFor(() => got.length === 1, { what: 'a frame over the new stream', intervalMs: 20 });
  });

  it('replaces an older stream from the same node without a peer-down', async () => {
    const hubNode = await startNode(teardown, certs, { nodeId: 'node1' });
    const events: string[] = [];
    hubNode.transport.hub.on('peer-up', (id) => events.push(`up:${id}`));
    hubNode.transport.hub.on('peer-down', (id) => events.push(`down:${id}`));
    // The older stream never re-dials, so the outcome is deterministic.
    const older = rawLink(teardown, hubNode.address, certs.tls('node2'), 'node2');
    await older.accepted;
    const newer = await startNode(teardown, certs, { nodeId: 'node2' });
    newer.transport.setPeers([peer(hubNode, 'node1')]);
    const endedOlder = await older.ended;
    expect(endedOlder.code).toBe(status.ABORTED);
    await waitFor(() => newer.transport.isUp('node1'), { what: 'the newer stream', intervalMs: 20 });
    expect(events).toEqual(['up:node2', 'up:node2']);
    expect(hubNode.transport.hub.peerIds()).toEqual(['node2']);
  });
});
