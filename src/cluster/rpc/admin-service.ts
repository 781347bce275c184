import { status } from '@grpc/grpc-js';
import type { handleUnaryCall, ServerUnaryCall } from '@grpc/grpc-js';
import type {
  AdminServiceServer,
  DescribeClusterResponse,
  DrainNodeRequest,
  DrainNodeResponse,
  GetClusterInfoResponse,
  GetNodeStatusResponse,
  GetRoomResponse,
  KickUserRequest,
  KickUserResponse,
  ListRoomsResponse,
  ListSessionsRequest,
  ListSessionsResponse,
  NodeStatus,
} from '../../../gen/chat/v1/cluster';
import type { NodeDescriptor } from '../coordination/types';
import type { Logger } from '../../core/logger';
import { mayAdminister, peerIdentity } from '../tls/identity';
import { toGrpcStatus } from './status';

/**
 * Diagnostics the node exposes to operators. Each method is optional so the
 * node can grow them one by one; a missing one answers UNIMPLEMENTED.
 */
export interface AdminApi {
  clusterInfo?(): Promise<GetClusterInfoResponse>;
  listSessions?(req: ListSessionsRequest): Promise<ListSessionsResponse>;
  listRooms?(): Promise<ListRoomsResponse>;
  getRoom?(name: string): Promise<GetRoomResponse>;
  describeCluster?(): Promise<DescribeClusterResponse>;
  nodeStatus?(): Promise<GetNodeStatusResponse>;
  kickUser?(req: KickUserRequest): Promise<KickUserResponse>;
  drainNode?(req: DrainNodeRequest): Promise<DrainNodeResponse>;
}

/**
 * The AdminService of other members as this node reaches them (AdminPeers:
 * gRPC with this node's certificate). Without it a node describes only
 * itself and acts only on itself.
 */
export interface PeerAdmin {
  status(member: NodeDescriptor, timeoutMs: number): Promise<NodeStatus>;
  kick(member: NodeDescriptor, req: KickUserRequest): Promise<KickUserResponse>;
  drain(member: NodeDescriptor): Promise<DrainNodeResponse>;
}

/**
 * Wraps one AdminService method: checks the caller's certificate, runs the
 * port method, maps errors once. `run` returns undefined when the node does
 * not implement the method.
 */
function unary<Req, Res>(
  method: string,
  logger: Logger,
  run: (req: Req) => Promise<Res> | undefined,
): handleUnaryCall<Req, Res> {
  return (call: ServerUnaryCall<Req, Res>, callback) => {
    if (!mayAdminister(peerIdentity(call))) {
      callback({
        code: status.PERMISSION_DENIED,
        details: 'AdminService needs an admin or node certificate (OU=admin or OU=node).',
      });
      return;
    }
    let pending: Promise<Res> | undefined;
    try {
      pending = run(call.request);
    } catch (err) {
      callback(toGrpcStatus(err, logger, method));
      return;
    }
    if (!pending) {
      callback({ code: status.UNIMPLEMENTED, details: `This node does not implement ${method} yet.` });
      return;
    }
    pending.then(
      (res) => callback(null, res),
      (err: unknown) => callback(toGrpcStatus(err, logger, method)),
    );
  };
}

/** AdminService handlers over whatever AdminApi `getApi` returns at call time. */
export function adminService(getApi: () => AdminApi | undefined, logger: Logger): AdminServiceServer {
  const log = logger.child({ component: 'admin-service' });
  return {
    getClusterInfo: unary('GetClusterInfo', log, () => getApi()?.clusterInfo?.()),
    listSessions: unary('ListSessions', log, (req: ListSessionsRequest) => getApi()?.listSessions?.(req)),
    listRooms: unary('ListRooms', log, () => getApi()?.listRooms?.()),
    getRoom: unary('GetRoom', log, (req: { name: string }) => getApi()?.getRoom?.(req.name)),
    describeCluster: unary('DescribeCluster', log, () => getApi()?.describeCluster?.()),
    getNodeStatus: unary('GetNodeStatus', log, () => getApi()?.nodeStatus?.()),
    kickUser: unary('KickUser', log, (req: KickUserRequest) => getApi()?.kickUser?.(req)),
    drainNode: unary('DrainNode', log, (req: DrainNodeRequest) => getApi()?.drainNode?.(req)),
  };
}
