import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { credentials } from '@grpc/grpc-js';
import type { StatusObject } from '@grpc/grpc-js';
import { LinkServiceClient } from '../../gen/chat/v1/cluster';
import { ensureDevCerts } from '../../src/cluster/tls/certs';
import { channelCredentials, loadTlsMaterial } from '../../src/cluster/tls/credentials';
import type { TlsMaterial } from '../../src/cluster/tls/credentials';
import type { AdminApi } from '../../src/cluster/rpc/admin-service';
import { GrpcTransport } from '../../src/cluster/rpc/grpc-transport';
import { RpcServer } from '../../src/cluster/rpc/server';
import { silentLogger } from '../../src/core/logger';
import { TestScope } from '../support/scope';

/** Shared fixtures for the rpc-*.test.ts suites: throwaway CAs, servers, links. */

type Cleanup = () => Promise<void> | void;

/** The shared TestScope under the names these suites use: `add` registers, `run` undoes newest first. */
export class Teardown {
  private readonly scope = new TestScope();
  add(step: Cleanup): void {
    this.scope.defer(step);
  }
  run(): Promise<void> {
    return this.scope.close();
  }
}

export interface CertFixture {
  dir: string;
  /** Material for one identity issued by the cluster CA: `node1`, `node2`, `admin`. */
  tls(name: string): TlsMaterial;
  /** `node1` issued by an unrelated CA (its own CA file as trust root). */
  foreignNode1: TlsMaterial;
}

export async function makeCerts(teardown: Teardown): Promise<CertFixture> {
  const dir = mkdtempSync(path.join(tmpdir(), 'rpc-certs-'));
  const otherDir = mkdtempSync(path.join(tmpdir(), 'rpc-other-ca-'));
  teardown.add(() => {
    // The CA keys live beside each folder, in <dir>-ca-private.
    for (const d of [dir, otherDir, `${dir}-ca-private`, `${otherDir}-ca-private`]) {
      rmSync(d, { recursive: true, force: true });
    }
  });
  await ensureDevCerts({ dir, nodeIds: ['node1', 'node2'] });
  await ensureDevCerts({ dir: otherDir, nodeIds: ['node1'] });
  const tlsIn = (base: string, name: string): TlsMaterial =>
    loadTlsMaterial({
      caPath: path.join(base, 'ca.crt'),
      certPath: path.join(base, `${name}.crt`),
      keyPath: path.join(base, `${name}.key`),
    });
  return { dir, tls: (name) => tlsIn(dir, name), foreignNode1: tlsIn(otherDir, 'node1') };
}

export interface LinkedNode {
  transport: GrpcTransport;
  server: RpcServer;
  address: string;
  port: number;
}

/** One node's internal port: a GrpcTransport (links) served by an RpcServer on 127.0.0.1. */
export async function startNode(
  teardown: Teardown,
  certs: CertFixture,
  options: { nodeId?: string; port?: number; admin?: AdminApi } = {},
): Promise<LinkedNode> {
  const logger = silentLogger();
  const nodeId = options.nodeId ?? 'node1';
  const transport = new GrpcTransport({
    nodeId,
    tls: certs.tls(nodeId),
    logger,
    helloTimeoutMs: 2_000,
    backoff: { initialMs: 50, maxMs: 500 },
  });
  const server = new RpcServer({
    host: '127.0.0.1',
    port: options.port ?? 0,
    tls: certs.tls(nodeId),
    logger,
    links: transport.hub,
    admin: options.admin,
  });
  const address = await server.start();
  teardown.add(async () => {
    await transport.close();
    await server.stop(500);
  });
  return { transport, server, address, port: Number(address.split(':').pop()) };
}

export interface RawLink {
  /** Resolves when the leader acknowledges Hello (response headers). */
  accepted: Promise<void>;
  /** How the call ended. */
  ended: Promise<StatusObject>;
  end(): void;
}

/** A bare LinkService stream that sends Hello{helloNodeId} and nothing else; never re-dials. */
export function rawLink(
  teardown: Teardown,
  address: string,
  tls: TlsMaterial | null,
  helloNodeId: string,
): RawLink {
  const creds = tls ? channelCredentials(tls) : credentials.createInsecure();
  const client = new LinkServiceClient(address, creds);
  const call = client.link({ deadline: Date.now() + 10_000 });
  teardown.add(() => {
    call.cancel();
    client.close();
  });
  const accepted = new Promise<void>((resolve) => call.on('metadata', () => resolve()));
  const ended = new Promise<StatusObject>((resolve) => call.on('status', resolve));
  call.on('data', () => undefined);
  call.on('error', () => undefined);
  call.write({ frames: [{ epoch: 1, body: { $case: 'hello', value: { nodeId: helloNodeId } } }] });
  return { accepted, ended, end: () => call.end() };
}

/** Whether the leader accepted a raw link, and how the call ended (ended by us if accepted). */
export async function linkOutcome(
  teardown: Teardown,
  address: string,
  tls: TlsMaterial | null,
  helloNodeId: string,
): Promise<{ code: number; details: string; accepted: boolean }> {
  const link = rawLink(teardown, address, tls, helloNodeId);
  let accepted = false;
  void link.accepted.then(() => {
    accepted = true;
    link.end();
  });
  const s = await link.ended;
  return { code: s.code, details: s.details, accepted };
}
