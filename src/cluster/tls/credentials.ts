import { readFileSync } from 'node:fs';
import { credentials, ServerCredentials } from '@grpc/grpc-js';
import type { ChannelCredentials } from '@grpc/grpc-js';
import { ChatError } from '../../core/errors';

/** Where one process finds its TLS files (the composition root builds this from config). */
export interface TlsPaths {
  caPath: string;
  certPath: string;
  keyPath: string;
}

/** PEM contents, read once at start-up. */
export interface TlsMaterial {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

/** A TLS file the process was told to use does not exist. */
export class TlsFilesMissing extends ChatError {
  constructor(readonly missing: string[]) {
    super(
      500,
      'TLS_FILES_MISSING',
      `TLS file${missing.length > 1 ? 's' : ''} not found: ${missing.join(', ')}. ` +
        'Run `npm run certs` to create development certificates, or point the configuration at your own.',
    );
  }
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/** Reads all three files; names every missing one at once. */
export function loadTlsMaterial(paths: TlsPaths): TlsMaterial {
  const missing: string[] = [];
  const read = (file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      if (isMissing(err)) {
        missing.push(file);
        return Buffer.alloc(0);
      }
      throw err;
    }
  };
  const material = { ca: read(paths.caPath), cert: read(paths.certPath), key: read(paths.keyPath) };
  if (missing.length > 0) throw new TlsFilesMissing(missing);
  return material;
}

/** Server side: require and verify a client certificate from the cluster CA. */
export function serverCredentials(tls: TlsMaterial): ServerCredentials {
  return ServerCredentials.createSsl(tls.ca, [{ private_key: tls.key, cert_chain: tls.cert }], true);
}

/** Client side: trust only the cluster CA and present our own certificate. */
export function channelCredentials(tls: TlsMaterial): ChannelCredentials {
  return credentials.createSsl(tls.ca, tls.key, tls.cert);
}
