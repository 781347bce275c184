import path from 'node:path';
import { loadPackageDefinition, makeClientConstructor, status } from '@grpc/grpc-js';
import type { Client, ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { service as healthService } from 'grpc-health-check';
import { AdminServiceClient } from '../../gen/chat/v1/cluster';
import type { GetClusterInfoResponse } from '../../gen/chat/v1/cluster';
import type { AdminApi } from '../../src/cluster/rpc/admin-service';
import { channelCredentials } from '../../src/cluster/tls/credentials';
import { NotFound } from '../../src/core/errors';
import { makeCerts, startNode, Teardown } from './rpc-support';
import type { CertFixture } from './rpc-support';

/** Turns a node-style callback call into a promise of { err, res }. */
function call<Res>(
  run: (cb: (err: ServiceError | null, res?: Res) => void) => void,
): Promise<{ err: ServiceError | null; res?: Res }> {
  return new Promise((resolve) => run((err, res) => resolve({ err, res })));
}

interface ReflectionResponse {
  listServicesResponse?: { service: Array<{ name: string }> };
  fileDescriptorResponse?: { fileDescriptorProto: Buffer[] };
  errorResponse?: { errorCode: number; errorMessage: string };
}

/** A minimal reflection client built from the proto shipped inside @grpc/reflection. */
function reflectionClient(address: string, certs: CertFixture): Client & Record<string, unknown> {
  const protoDir = path.join(
    path.dirname(require.resolve('@grpc/reflection/package.json')),
    'build',
    'proto',
  );
  const pkg = loadSync('grpc/reflection/v1/reflection.proto', { includeDirs: [protoDir], oneofs: true });
  // loadPackageDefinition returns an untyped tree of namespaces.
  const tree = loadPackageDefinition(pkg) as unknown as {
    grpc: {
      reflection: { v1: { ServerReflection: new (...args: unknown[]) => Client & Record<string, unknown> } };
    };
  };
  return new tree.grpc.reflection.v1.ServerReflection(address, channelCredentials(certs.tls('admin')));
}

function reflect(client: Client & Record<string, unknown>, request: object): Promise<ReflectionResponse> {
  const open = client['serverReflectionInfo'] as () => NodeJS.EventEmitter & {
    write(r: object): void;
    end(): void;
  };
  const stream = open.call(client);
  return new Promise((resolve, reject) => {
    stream.on('data', (res: ReflectionResponse) => {
      resolve(res);
      stream.end();
    });
    stream.on('error', reject);
    stream.write(request);
  });
}

describe('diagnostics on the internal port', () => {
  let certs: CertFixture;
  const suite = new Teardown();
  const teardown = new Teardown();
  const info: GetClusterInfoResponse = {
    nodeId: 'node1',
    role: 'leader',
    leaderId: 'node1',
    epoch: 7,
    nodes: [{ nodeId: 'node1', wsUrl: 'ws://127.0.0.1:9000', rpcAddress: '127.0.0.1:9001', startedAt: 1 }],
    uptimeMs: 1234,
    connections: 3,
  };
  const admin: AdminApi = {
    clusterInfo: async () => info,
    getRoom: async (name) => {
      throw new NotFound(`Room "${name}" does not exist.`);
    },
    listSessions: async () => {
      throw new Error('database exploded: secret detail');
    },
  };
  beforeAll(async () => {
    certs = await makeCerts(suite);
  });
  afterAll(() => suite.run());
  afterEach(() => teardown.run());

  function adminClient(address: string): AdminServiceClient {
    const client = new AdminServiceClient(address, channelCredentials(certs.tls('admin')));
    teardown.add(() => client.close());
    return client;
  }

  it('answers GetClusterInfo to the admin certificate', async () => {
    const leader = await startNode(teardown, certs, { admin });
    const client = adminClient(leader.address);
    const { err, res } = await call<GetClusterInfoResponse>((cb) => client.getClusterInfo({}, cb));
    expect(err).toBeNull();
    expect(res).toEqual(info);
  });

  it('maps errors once: NotFound, unknown errors hidden, missing methods UNIMPLEMENTED', async () => {
    const leader = await startNode(teardown, certs, { admin });
    const client = adminClient(leader.address);

    const room = await call((cb) => client.getRoom({ name: 'lobby' }, cb));
    expect(room.err?.code).toBe(status.NOT_FOUND);
    expect(room.err?.details).toBe('Room "lobby" does not exist.');

    const sessions = await call((cb) => client.listSessions({ global: true }, cb));
    expect(sessions.err?.code).toBe(status.INTERNAL);
    expect(sessions.err?.details).not.toMatch(/secret/);

    const rooms = await call((cb) => client.listRooms({}, cb));
    expect(rooms.err?.code).toBe(status.UNIMPLEMENTED);
    expect(rooms.err?.details).toMatch(/does not implement ListRooms/);
  });

  it('lists the chat services and health through server reflection', async () => {
    const leader = await startNode(teardown, certs, { admin });
    const client = reflectionClient(leader.address, certs);
    teardown.add(() => client.close());

    const listed = await reflect(client, { listServices: '*' });
    const names = listed.listServicesResponse?.service.map((s) => s.name) ?? [];
    expect(names).toEqual(
      expect.arrayContaining(['chat.v1.LinkService', 'chat.v1.AdminService', 'grpc.health.v1.Health']),
    );

    // What `grpcurl describe` asks next: the file declaring a service.
    const file = await reflect(client, { fileContainingSymbol: 'chat.v1.AdminService' });
    expect(file.errorResponse).toBeUndefined();
    expect(file.fileDescriptorResponse?.fileDescriptorProto.length).toBeGreaterThan(0);
  });

  it('answers SERVING on grpc.health.v1 and NOT_SERVING once stopping', async () => {
    const leader = await startNode(teardown, certs, { admin });
    const Health = makeClientConstructor(healthService, 'grpc.health.v1.Health');
    const client = new Health(leader.address, channelCredentials(certs.tls('admin'))) as Client &
      Record<string, (req: object, cb: (err: ServiceError | null, res?: { status: string }) => void) => void>;
    teardown.add(() => client.close());
    const check = (service: string): Promise<{ err: ServiceError | null; res?: { status: string } }> =>
      call((cb) => client['check']?.call(client, { service }, cb));

    expect((await check('')).res?.status).toBe('SERVING');
    expect((await check('chat.v1.LinkService')).res?.status).toBe('SERVING');
    leader.server.setServing(false);
    expect((await check('')).res?.status).toBe('NOT_SERVING');
  });
});
