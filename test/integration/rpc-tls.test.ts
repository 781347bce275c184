import path from 'node:path';
import { credentials, status } from '@grpc/grpc-js';
import type { ChannelCredentials, ServiceError } from '@grpc/grpc-js';
import { AdminServiceClient } from '../../gen/chat/v1/cluster';
import type { GetClusterInfoResponse } from '../../gen/chat/v1/cluster';
import { channelCredentials, loadTlsMaterial, TlsFilesMissing } from '../../src/cluster/tls/credentials';
import { linkOutcome, makeCerts, startNode, Teardown } from './rpc-support';
import type { CertFixture } from './rpc-support';

function clusterInfo(
  teardown: Teardown,
  address: string,
  creds: ChannelCredentials,
): Promise<{ err: ServiceError | null; res?: GetClusterInfoResponse }> {
  const client = new AdminServiceClient(address, creds);
  teardown.add(() => client.close());
  return new Promise((resolve) => {
    client.getClusterInfo({}, { deadline: Date.now() + 5_000 } as never, (err, res) => resolve({ err, res }));
  });
}

describe('internal port refuses anything but the cluster CA', () => {
  let certs: CertFixture;
  const suite = new Teardown();
  const teardown = new Teardown();
  const info: GetClusterInfoResponse = {
    nodeId: 'node1',
    role: 'leader',
    leaderId: 'node1',
    epoch: 1,
    nodes: [],
    uptimeMs: 1,
    connections: 0,
  };
  beforeAll(async () => {
    certs = await makeCerts(suite);
  });
  afterAll(() => suite.run());
  afterEach(() => teardown.run());

  it('refuses a plaintext client', async () => {
    const leader = await startNode(teardown, certs, { admin: { clusterInfo: async () => info } });
    const { err } = await clusterInfo(teardown, leader.address, credentials.createInsecure());
    expect(err?.code).toBe(status.UNAVAILABLE);
    expect(await linkOutcome(teardown, leader.address, null, 'node2')).toMatchObject({ accepted: false });
  });

  it('refuses a client without a certificate', async () => {
    const leader = await startNode(teardown, certs, { admin: { clusterInfo: async () => info } });
    const { err } = await clusterInfo(teardown, leader.address, credentials.createSsl(certs.tls('admin').ca));
    expect(err?.code).toBe(status.UNAVAILABLE);
  });

  it('refuses a client whose certificate comes from another CA', async () => {
    const leader = await startNode(teardown, certs, { admin: { clusterInfo: async () => info } });
    const foreign = certs.foreignNode1;
    // Trusts our CA (so the server is fine) but presents a certificate the cluster CA never signed.
    const creds = credentials.createSsl(certs.tls('admin').ca, foreign.key, foreign.cert);
    const { err } = await clusterInfo(teardown, leader.address, creds);
    expect(err?.code).toBe(status.UNAVAILABLE);
    const link = await linkOutcome(
      teardown,
      leader.address,
      { ...foreign, ca: certs.tls('node1').ca },
      'node1',
    );
    expect(link.accepted).toBe(false);
  });

  it('refuses a Hello whose node id differs from the certificate CN', async () => {
    const leader = await startNode(teardown, certs);
    const outcome = await linkOutcome(teardown, leader.address, certs.tls('node2'), 'node1');
    expect(outcome).toMatchObject({ code: status.PERMISSION_DENIED, accepted: false });
    expect(outcome.details).toMatch(/certificate is for "node2"/);
    expect(leader.transport.hub.peerIds()).toEqual([]);
  });

  it('refuses LinkService to the admin certificate', async () => {
    const leader = await startNode(teardown, certs);
    const outcome = await linkOutcome(teardown, leader.address, certs.tls('admin'), 'admin');
    expect(outcome).toMatchObject({ code: status.PERMISSION_DENIED, accepted: false });
  });

  it('accepts a node certificate with a matching Hello', async () => {
    const leader = await startNode(teardown, certs);
    const outcome = await linkOutcome(teardown, leader.address, certs.tls('node2'), 'node2');
    expect(outcome).toMatchObject({ code: status.OK, accepted: true });
  });

  it('names every missing TLS file and says how to create them', () => {
    const dir = certs.dir;
    const load = (): unknown =>
      loadTlsMaterial({
        caPath: path.join(dir, 'ca.crt'),
        certPath: path.join(dir, 'nodeX.crt'),
        keyPath: path.join(dir, 'nodeX.key'),
      });
    expect(load).toThrow(TlsFilesMissing);
    expect(load).toThrow(/nodeX\.crt, .*nodeX\.key.*npm run certs/);
  });

  it('lets a node certificate read diagnostics too', async () => {
    const leader = await startNode(teardown, certs, { admin: { clusterInfo: async () => info } });
    const { err, res } = await clusterInfo(teardown, leader.address, channelCredentials(certs.tls('node2')));
    expect(err).toBeNull();
    expect(res?.nodeId).toBe('node1');
  });
});
