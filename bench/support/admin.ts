import fs from 'node:fs/promises';
import path from 'node:path';
import { credentials, Metadata } from '@grpc/grpc-js';
import { AdminServiceClient } from '../../gen/chat/v1/cluster';
import type { GetClusterInfoResponse } from '../../gen/chat/v1/cluster';

/** AdminService over mTLS with the admin certificate; one channel per node, reused across polls. */
export class AdminClients {
  private readonly clients = new Map<string, AdminServiceClient>();
  private material: Promise<[Buffer, Buffer, Buffer]> | undefined;

  constructor(private readonly certsDir: string) {}

  async clusterInfo(address: string, timeoutMs = 2000): Promise<GetClusterInfoResponse> {
    const client = await this.client(address);
    return new Promise((resolve, reject) => {
      client.getClusterInfo({}, new Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) =>
        err ? reject(err) : resolve(res),
      );
    });
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
