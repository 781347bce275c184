import { Metadata } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { AdminServiceClient } from '../../../gen/chat/v1/cluster';
import type {
  DrainNodeResponse,
  GetNodeStatusResponse,
  KickUserRequest,
  KickUserResponse,
  NodeStatus,
} from '../../../gen/chat/v1/cluster';
import { Unavailable } from '../../core/errors';
import type { NodeDescriptor } from '../coordination/types';
import type { TlsMaterial } from '../tls/credentials';
import { channelCredentials } from '../tls/credentials';
import type { PeerAdmin } from './admin-service';
import { clientChannelOptions } from './options';

/** How long a kick or drain passed on to another member may take. */
const ACTION_TIMEOUT_MS = 3000;

type Done<T> = (err: ServiceError | null, res: T) => void;

/**
 * Other members' AdminService, called with this node's certificate (OU=node
 * may administer): what DescribeCluster, KickUser and DrainNode ask of the
 * rest of the cluster. One channel per member address, closed when the
 * address is no longer a member.
 */
export class AdminPeers implements PeerAdmin {
  private readonly clients = new Map<string, AdminServiceClient>();

  constructor(private readonly tls: TlsMaterial) {}

  async status(member: NodeDescriptor, timeoutMs: number): Promise<NodeStatus> {
    const res = await this.call(member, timeoutMs, (c, md, o, done: Done<GetNodeStatusResponse>) =>
      c.getNodeStatus({}, md, o, done),
    );
    if (!res.status) throw new Unavailable(`${member.nodeId} sent no status.`);
    return res.status;
  }

  kick(member: NodeDescriptor, req: KickUserRequest): Promise<KickUserResponse> {
    return this.call(member, ACTION_TIMEOUT_MS, (c, md, o, done: Done<KickUserResponse>) =>
      c.kickUser(req, md, o, done),
    );
  }

  drain(member: NodeDescriptor): Promise<DrainNodeResponse> {
    return this.call(member, ACTION_TIMEOUT_MS, (c, md, o, done: Done<DrainNodeResponse>) =>
      c.drainNode({ nodeId: member.nodeId }, md, o, done),
    );
  }

  /** Closes the channels of addresses that are not in `members`. */
  retain(members: readonly NodeDescriptor[]): void {
    const wanted = new Set(members.map((m) => m.rpcAddress));
    for (const [address, client] of this.clients) {
      if (wanted.has(address)) continue;
      client.close();
      this.clients.delete(address);
    }
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  private call<T>(
    member: NodeDescriptor,
    timeoutMs: number,
    invoke: (client: AdminServiceClient, md: Metadata, options: { deadline: number }, done: Done<T>) => void,
  ): Promise<T> {
    const client = this.client(member.rpcAddress);
    return new Promise((resolve, reject) => {
      invoke(client, new Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) =>
        err
          ? reject(new Unavailable(`${member.nodeId} did not answer: ${err.details || err.message}`))
          : resolve(res),
      );
    });
  }

  private client(address: string): AdminServiceClient {
    let client = this.clients.get(address);
    if (!client) {
      client = new AdminServiceClient(address, channelCredentials(this.tls), clientChannelOptions());
      this.clients.set(address, client);
    }
    return client;
  }
}
