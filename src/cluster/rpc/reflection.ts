import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadSync } from '@grpc/proto-loader';
import type { PackageDefinition } from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';

/** The chat protos, relative to the proto root (the `proto/` folder of the repository). */
export const CHAT_PROTO_FILES = ['chat/v1/client.proto', 'chat/v1/cluster.proto'];

/**
 * Finds the `proto/` folder by walking up from `startDir`: the same code runs
 * from `src/` under jest and from `dist/src/` after a build.
 */
export function findProtoRoot(startDir: string = __dirname): string {
  let dir = path.resolve(startDir);
  for (let i = 0; i < 8; i++) {
    const candidate = path.join(dir, 'proto');
    if (existsSync(path.join(candidate, 'chat', 'v1', 'cluster.proto'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`Cannot find proto/chat/v1/cluster.proto above ${startDir}; pass protoRoot explicitly.`);
}

/**
 * What server reflection describes: the chat services and grpc.health.v1,
 * so that `grpcurl ... list` and `grpcurl ... describe` see every service.
 */
export function loadReflectionPackage(protoRoot: string): PackageDefinition {
  // health.proto lives at <pkg>/proto/health/v1/health.proto.
  const healthRoot = path.resolve(path.dirname(healthProtoPath), '..', '..');
  return loadSync([...CHAT_PROTO_FILES, 'health/v1/health.proto'], {
    includeDirs: [protoRoot, healthRoot],
  });
}
