import fs from 'node:fs/promises';
import path from 'node:path';
import { credentials, Metadata } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { AdminServiceClient } from '../../gen/chat/v1/cluster';
import type {
  DescribeClusterResponse,
  DrainNodeResponse,
  GetClusterInfoResponse,
  GetNodeStatusResponse,
  GetRoomResponse,
  KickUserResponse,
  ListSessionsResponse,
} from '../../gen/chat/v1/cluster';

type Done<T> = (err: ServiceError | null, res: T) => void;

/**
 * AdminService of local chat nodes over mTLS with the admin certificate of
 * `certsDir`; one channel per node address, reused across calls.
 */
export class AdminClients {
  private readonly clients = new Map<string, AdminServiceClient>();
  private material: Promise<[Buffer, Buffer, Buffer]> | undefined;

  constructor(private readonly certsDir: string) {}

  clusterInfo(address: string, timeoutMs = 2000): Promise<GetClusterInfoResponse> {
    return this.call(address, timeoutMs, (c, options, done: Done<GetClusterInfoResponse>) =>
      c.getClusterInfo({}, new Metadata(), options, done),
    );
  }

  /** This node's sessions, or every global one. */
  listSessions(address: string, global: boolean, timeoutMs = 3000): Promise<ListSessionsResponse> {
    return this.call(address, timeoutMs, (c, options, done: Done<ListSessionsResponse>) =>
      c.listSessions({ global }, new Metadata(), options, done),
    );
  }

  /** Stored members of a room and who is online where (the leader answers). */
  getRoom(address: string, name: string, timeoutMs = 3000): Promise<GetRoomResponse> {
    return this.call(address, timeoutMs, (c, options, done: Done<GetRoomResponse>) =>
      c.getRoom({ name }, new Metadata(), options, done),
    );
  }

  /** The whole cluster as the node at `address` sees it. */
  describeCluster(address: string, timeoutMs = 3000): Promise<DescribeClusterResponse> {
    return this.call(address, timeoutMs, (c, options, done: Done<DescribeClusterResponse>) =>
      c.describeCluster({}, new Metadata(), options, done),
    );
  }

  nodeStatus(address: string, timeoutMs = 2000): Promise<GetNodeStatusResponse> {
    return this.call(address, timeoutMs, (c, options, done: Done<GetNodeStatusResponse>) =>
      c.getNodeStatus({}, new Metadata(), options, done),
    );
  }

  /** Closes `username`'s session wherever it is (the node at `address` passes the request on). */
  kickUser(address: string, username: string, timeoutMs = 5000): Promise<KickUserResponse> {
    return this.call(address, timeoutMs, (c, options, done: Done<KickUserResponse>) =>
      c.kickUser({ username, reason: '', forwarded: false }, new Metadata(), options, done),
    );
  }

  /** Drains `nodeId` (empty: the node at `address`). */
  drainNode(address: string, nodeId: string, timeoutMs = 5000): Promise<DrainNodeResponse> {
    return this.call(address, timeoutMs, (c, options, done: Done<DrainNodeResponse>) =>
      c.drainNode({ nodeId }, new Metadata(), options, done),
    );
  }

  /** Drops the channel to a node that is gone (a killed node's port may be reused). */
  forget(address: string): void {
    this.clients.get(address)?.close();
    this.clients.delete(address);
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  private async call<T>(
    address: string,
    timeoutMs: number,
    invoke: (client: AdminServiceClient, options: { deadline: number }, done: Done<T>) => void,
  ): Promise<T> {
    const client = await this.client(address);
    return new Promise((resolve, reject) => {
      invoke(client, { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res)));
    });
  }

  private async client(address: string): Promise<AdminServiceClient> {
    const existing = this.clients.get(address);
    if (existing) return existing;
    this.material ??= Promise.all(
      ['ca.crt', 'admin.key', 'admin.crt'].map((file) => fs.readFile(path.join(this.certsDir, file))),
    ) as Promise<[Buffer, Buffer, Buffer]>;
    const [ca, key, cert] = await this.material;
    const created = this.clients.get(address);
    if (created) return created;
    // The dev certificates name 'localhost' too; naming it avoids Node's warning about IP server names.
    const client = new AdminServiceClient(address, credentials.createSsl(ca, key, cert), {
      'grpc.ssl_target_name_override': 'localhost',
    });
    this.clients.set(address, client);
    return client;
  }
}
