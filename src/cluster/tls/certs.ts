import { createPrivateKey, generateKeyPair, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import forge from 'node-forge';
import { InvalidArgument } from '../../core/errors';
import type { Logger } from '../../core/logger';
import { ADMIN_OU, NODE_OU } from './identity';

/**
 * Development certificates for the internal gRPC port: one CA, one
 * certificate per node (server and client use) and one admin client
 * certificate. Production passes its own files; these exist so that
 * `npm run certs` / `npm start` work on a fresh checkout.
 */

const generateKeyPairAsync = promisify(generateKeyPair);

export interface PemPair {
  certPem: string;
  keyPem: string;
}

export type CertUsage = 'node' | 'admin';

export interface IssueOptions {
  commonName: string;
  usage: CertUsage;
  /** Days of validity; dev default 825 (the longest most TLS clients accept). */
  days?: number;
}

export interface DevCertOptions {
  dir: string;
  /**
   * Where the CA's private key goes: never beside the node keys, so that
   * copying the certificate folder to a node does not hand it the power to
   * mint node identities. Default: the sibling folder `<dir>-ca-private`.
   */
  caKeyDir?: string;
  nodeIds: readonly string[];
  /** Regenerate every file even if it exists. */
  force?: boolean;
  logger?: Logger;
}

export interface DevCertResult {
  /** Paths written by this run. */
  created: string[];
  /** Paths that already existed and were kept. */
  kept: string[];
}

export const DEFAULT_NODE_IDS: readonly string[] = ['node1', 'node2', 'node3'];

/** Node ids become file names: keep them to a safe alphabet. */
const NODE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function validateNodeId(nodeId: string): void {
  if (!NODE_ID_PATTERN.test(nodeId) || nodeId === 'ca' || nodeId === 'admin') {
    throw new InvalidArgument(
      `Node id "${nodeId}" cannot name a certificate: use 1-64 letters, digits, '.', '_' or '-' (not "ca" or "admin").`,
    );
  }
}

/** RSA keys come from Node's crypto (native, fast); forge only builds and signs X.509. */
async function newRsaKey(): Promise<{ forgeKey: forge.pki.rsa.PrivateKey; pem: string }> {
  const { privateKey } = await generateKeyPairAsync('rsa', { modulusLength: 2048 });
  return {
    forgeKey: forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()),
    pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** A positive serial number: 16 random bytes with the top bit cleared. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

function validity(cert: forge.pki.Certificate, days: number): void {
  const now = Date.now();
  // A few minutes back so that a slightly slow clock elsewhere accepts it.
  cert.validity.notBefore = new Date(now - 5 * 60_000);
  cert.validity.notAfter = new Date(now + days * 86_400_000);
}

function publicOf(key: forge.pki.rsa.PrivateKey): forge.pki.rsa.PublicKey {
  return forge.pki.setRsaPublicKey(key.n, key.e);
}

export async function createCa(commonName = 'chat-cluster dev CA', days = 3650): Promise<PemPair> {
  const key = await newRsaKey();
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicOf(key.forgeKey);
  cert.serialNumber = randomSerial();
  validity(cert, days);
  const attrs = [
    { name: 'commonName', value: commonName },
    { shortName: 'OU', value: 'ca' },
  ];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(key.forgeKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: key.pem };
}

/** Issues a node (server+client) or admin (client only) certificate signed by `ca`. */
export async function issueCertificate(ca: PemPair, options: IssueOptions): Promise<PemPair> {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  // Accept PKCS#1 or PKCS#8 CA keys (production CAs may come in either).
  const caKey = forge.pki.privateKeyFromPem(
    createPrivateKey(ca.keyPem).export({ type: 'pkcs1', format: 'pem' }).toString(),
  );
  const key = await newRsaKey();
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicOf(key.forgeKey);
  cert.serialNumber = randomSerial();
  validity(cert, options.days ?? 825);
  cert.setSubject([
    { name: 'commonName', value: options.commonName },
    { shortName: 'OU', value: options.usage === 'node' ? NODE_OU : ADMIN_OU },
  ]);
  cert.setIssuer(caCert.subject.attributes);
  const extensions: object[] = [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ];
  if (options.usage === 'node') {
    extensions.push(
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    );
  } else {
    extensions.push({ name: 'extKeyUsage', clientAuth: true });
  }
  cert.setExtensions(extensions);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: key.pem };
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

/** Write via a temp file and rename, so a concurrent reader never sees half a PEM. */
async function writeFileAtomic(file: string, data: string, mode: number): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await fs.writeFile(tmp, data, { mode });
  await fs.chmod(tmp, mode);
  await fs.rename(tmp, file);
}

async function writePair(base: string, pair: PemPair): Promise<string[]> {
  await writeFileAtomic(`${base}.key`, pair.keyPem, 0o600);
  await writeFileAtomic(`${base}.crt`, pair.certPem, 0o644);
  return [`${base}.crt`, `${base}.key`];
}

/** `certs` → `certs-ca-private`, beside it. */
export function defaultCaKeyDir(dir: string): string {
  const resolved = path.resolve(dir);
  return path.join(path.dirname(resolved), `${path.basename(resolved)}-ca-private`);
}

/** Earlier versions wrote ca.key beside the node keys; it moves out (keeping its mode 0600). */
async function moveLegacyCaKey(legacy: string, target: string, logger: Logger | undefined): Promise<void> {
  if (!(await exists(legacy))) return;
  if (await exists(target)) {
    await fs.rm(legacy);
  } else {
    await fs.rename(legacy, target).catch(async () => {
      // Another file system: copy, then remove.
      await writeFileAtomic(target, await fs.readFile(legacy, 'utf8'), 0o600);
      await fs.rm(legacy);
    });
    await fs.chmod(target, 0o600);
  }
  logger?.warn({ from: legacy, to: target }, 'moved the CA key out of the certificate folder');
}

/**
 * Creates what is missing: ca.crt in `dir` and ca.key in `caKeyDir`, <nodeId>.crt/.key for
 * each node id, admin.crt/.key. Existing files are kept unless `force`; if the
 * CA itself is missing, every certificate is reissued because the old ones
 * would no longer chain to it. Logs file paths only, never key material.
 */
export async function ensureDevCerts(options: DevCertOptions): Promise<DevCertResult> {
  for (const id of options.nodeIds) validateNodeId(id);
  const dir = path.resolve(options.dir);
  const caKeyDir = path.resolve(options.caKeyDir ?? defaultCaKeyDir(dir));
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  await fs.mkdir(caKeyDir, { recursive: true, mode: 0o700 });
  await fs.chmod(caKeyDir, 0o700);
  const result: DevCertResult = { created: [], kept: [] };
  const caCrt = path.join(dir, 'ca.crt');
  const caKey = path.join(caKeyDir, 'ca.key');
  await moveLegacyCaKey(path.join(dir, 'ca.key'), caKey, options.logger);

  const caPresent = (await exists(caCrt)) && (await exists(caKey));
  const reissueAll = options.force === true || !caPresent;
  let ca: PemPair;
  if (reissueAll) {
    ca = await createCa();
    await writeFileAtomic(caKey, ca.keyPem, 0o600);
    await writeFileAtomic(caCrt, ca.certPem, 0o644);
    result.created.push(caCrt, caKey);
  } else {
    ca = { certPem: await fs.readFile(caCrt, 'utf8'), keyPem: await fs.readFile(caKey, 'utf8') };
    result.kept.push(caCrt, caKey);
  }

  const wanted: Array<{ name: string; usage: CertUsage }> = [
    ...options.nodeIds.map((id) => ({ name: id, usage: 'node' as const })),
    { name: 'admin', usage: 'admin' },
  ];
  for (const { name, usage } of wanted) {
    const base = path.join(dir, name);
    const present = (await exists(`${base}.crt`)) && (await exists(`${base}.key`));
    if (present && !reissueAll) {
      result.kept.push(`${base}.crt`, `${base}.key`);
      continue;
    }
    const pair = await issueCertificate(ca, { commonName: name, usage });
    result.created.push(...(await writePair(base, pair)));
  }
  options.logger?.info(
    { dir, created: result.created.length, kept: result.kept.length },
    'dev certificates ready',
  );
  return result;
}
