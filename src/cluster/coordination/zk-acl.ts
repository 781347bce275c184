import { createHash } from 'node:crypto';
import { ACL, Id, Permission, createClient } from 'node-zookeeper-client';
import type { Client } from 'node-zookeeper-client';
import type { ZkClientFactory } from './types';

/** ZooKeeper `digest` credentials: `user:password` (ZK_AUTH). */
export interface ZkDigestAuth {
  user: string;
  password: string;
}

/** Parses ZK_AUTH; the password may contain ':' (only the first one separates). */
export function parseZkAuth(raw: string): ZkDigestAuth {
  const at = raw.indexOf(':');
  if (at <= 0 || at === raw.length - 1) throw new RangeError('ZK_AUTH must be user:password');
  return { user: raw.slice(0, at), password: raw.slice(at + 1) };
}

/** The ACL id ZooKeeper's DigestAuthenticationProvider derives: user:base64(sha1(user:password)). */
export function digestId(auth: ZkDigestAuth): string {
  const hash = createHash('sha1').update(`${auth.user}:${auth.password}`).digest('base64');
  return `${auth.user}:${hash}`;
}

/** Full rights for the cluster's digest user, nothing for anyone else. */
export function clusterAcl(auth: ZkDigestAuth): ACL[] {
  return [new ACL(Permission.ALL, new Id('digest', digestId(auth)))];
}

/**
 * Clients that authenticate with `auth` and create every znode (create and
 * mkdirp, which is all the coordination code uses) with `clusterAcl(auth)`
 * instead of world:anyone. A caller that passes ACLs of its own keeps them.
 * Done at the client so every znode gets it, whichever module creates it.
 */
export function digestAclClientFactory(factory: ZkClientFactory, auth: ZkDigestAuth): ZkClientFactory {
  const acl = clusterAcl(auth);
  return (hosts, options) => {
    const client: Client = factory(hosts, options);
    // Sent by the client on every (re)connect, before any queued request.
    client.addAuthInfo('digest', Buffer.from(`${auth.user}:${auth.password}`));
    const withAcl = (args: unknown[]): unknown[] => (args.some(Array.isArray) ? args : [acl, ...args]);
    // node-zookeeper-client tells its optional arguments apart by type, so the ACL may go first.
    const create = client.create.bind(client) as (path: string, ...args: unknown[]) => void;
    const mkdirp = client.mkdirp.bind(client) as (path: string, ...args: unknown[]) => void;
    client.create = ((path: string, ...args: unknown[]) =>
      create(path, ...withAcl(args))) as Client['create'];
    client.mkdirp = ((path: string, ...args: unknown[]) =>
      mkdirp(path, ...withAcl(args))) as Client['mkdirp'];
    return client;
  };
}

/** The node's client factory: plain without ZK_AUTH, digest-authenticated with ACLs with it. */
export function zkClientFactory(auth: string | undefined): ZkClientFactory {
  return auth === undefined ? createClient : digestAclClientFactory(createClient, parseZkAuth(auth));
}
