import { Server } from '@grpc/grpc-js';
import type { ServerOptions } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import { AdminServiceService } from '../../../gen/chat/v1/cluster';
import type { Logger } from '../../core/logger';
import { serverCredentials } from '../tls/credentials';
import type { TlsMaterial } from '../tls/credentials';
import { adminService } from './admin-service';
import type { AdminApi } from './admin-service';
import type { LinkAcceptor, LinkCall } from './link-hub';
import { LinkService } from './link-service';
import { rpcServerOptions } from './options';
import { findProtoRoot, loadReflectionPackage } from './reflection';

export interface RpcServerOptions {
  /** Internal address only (default in config: 127.0.0.1). */
  host: string;
  /** 0 = any free port; `start()` returns the bound address. */
  port: number;
  tls: TlsMaterial;
  logger: Logger;
  /** Receives LinkService.Link streams (the LinkHub). */
  links: LinkAcceptor;
  /** Diagnostics; may also be set later with `setAdminApi`. */
  admin?: AdminApi;
  /** Folder holding chat/v1/*.proto, for reflection; found automatically by default. */
  protoRoot?: string;
  serverOptions?: ServerOptions;
}

const SERVICES = ['chat.v1.LinkService', 'chat.v1.AdminService'];

/**
 * The internal gRPC port: LinkService, AdminService, grpc.health.v1 and
 * server reflection, all behind mutual TLS with the cluster CA.
 */
export class RpcServer {
  private readonly server: Server;
  private readonly health: HealthImplementation;
  private readonly logger: Logger;
  private admin: AdminApi | undefined;
  private boundAddress: string | null = null;
  private stopping: Promise<void> | null = null;

  constructor(private readonly options: RpcServerOptions) {
    this.logger = options.logger.child({ component: 'rpc-server' });
    this.admin = options.admin;
    this.server = new Server(rpcServerOptions(options.serverOptions));
    this.server.addService(LinkService, {
      link: (call: LinkCall) => options.links.accept(call),
    });
    this.server.addService(
      AdminServiceService,
      adminService(() => this.admin, this.logger),
    );
    this.health = new HealthImplementation({
      '': 'SERVING',
      ...Object.fromEntries(SERVICES.map((s) => [s, 'SERVING' as const])),
    });
    this.health.addToServer(this.server);
    const protoRoot = options.protoRoot ?? findProtoRoot();
    new ReflectionService(loadReflectionPackage(protoRoot)).addToServer(this.server);
  }

  /** host:port actually bound (after `start`). */
  get address(): string {
    if (this.boundAddress === null) throw new Error('RpcServer has not started.');
    return this.boundAddress;
  }

  setAdminApi(api: AdminApi | undefined): void {
    this.admin = api;
  }

  /** What grpc.health.v1 reports for the whole server and its services. */
  setServing(serving: boolean): void {
    const state = serving ? 'SERVING' : 'NOT_SERVING';
    this.health.setStatus('', state);
    for (const s of SERVICES) this.health.setStatus(s, state);
  }

  async start(): Promise<string> {
    const { host, port } = this.options;
    const hostPart = host.includes(':') ? `[${host}]` : host;
    const bound = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(`${hostPart}:${port}`, serverCredentials(this.options.tls), (err, p) =>
        err ? reject(err) : resolve(p),
      );
    });
    this.boundAddress = `${hostPart}:${bound}`;
    this.logger.info({ address: this.boundAddress }, 'internal gRPC port listening (mTLS)');
    return this.boundAddress;
  }

  /**
   * Stops accepting calls and waits up to `graceMs` for running ones (end the
   * link streams first, e.g. `LinkHub.close()`), then cuts the rest. Idempotent.
   */
  stop(graceMs = 2_000): Promise<void> {
    this.stopping ??= new Promise<void>((resolve) => {
      this.setServing(false);
      const timer = setTimeout(() => {
        this.logger.warn({ graceMs }, 'calls still running at shutdown; cutting them');
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    return this.stopping;
  }
}
