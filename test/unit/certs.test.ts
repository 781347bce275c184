import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, renameSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import forge from 'node-forge';
import { createCa, ensureDevCerts, issueCertificate, validateNodeId } from '../../src/cluster/tls/certs';

function extension(cert: forge.pki.Certificate, name: string): Record<string, unknown> | undefined {
  return cert.getExtension(name) as Record<string, unknown> | undefined;
}

describe('dev certificate generator', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'certs-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(`${dir}-ca-private`, { recursive: true, force: true });
  });

  it('issues a node certificate signed by the CA with server+client EKU, OU=node and loopback SANs', async () => {
    const ca = await createCa();
    const node = await issueCertificate(ca, { commonName: 'node7', usage: 'node' });

    const caX = new X509Certificate(ca.certPem);
    const nodeX = new X509Certificate(node.certPem);
    expect(caX.ca).toBe(true);
    expect(nodeX.ca).toBe(false);
    expect(nodeX.checkIssued(caX)).toBe(true);
    expect(nodeX.verify(caX.publicKey)).toBe(true);
    expect(nodeX.checkHost('localhost')).toBe('localhost');
    expect(nodeX.checkIP('127.0.0.1')).toBe('127.0.0.1');

    const parsed = forge.pki.certificateFromPem(node.certPem);
    expect(parsed.subject.getField('CN')?.value).toBe('node7');
    expect(parsed.subject.getField('OU')?.value).toBe('node');
    expect(extension(parsed, 'extKeyUsage')).toMatchObject({ serverAuth: true, clientAuth: true });
    // The key matches the certificate.
    expect(nodeX.checkPrivateKey(createPrivateKey(node.keyPem))).toBe(true);
  });

  it('issues an admin certificate for client authentication only', async () => {
    const ca = await createCa();
    const admin = await issueCertificate(ca, { commonName: 'admin', usage: 'admin' });
    const parsed = forge.pki.certificateFromPem(admin.certPem);
    expect(parsed.subject.getField('OU')?.value).toBe('admin');
    const eku = extension(parsed, 'extKeyUsage');
    expect(eku).toMatchObject({ clientAuth: true });
    expect(eku?.['serverAuth']).toBeFalsy();
    expect(new X509Certificate(admin.certPem).checkIssued(new X509Certificate(ca.certPem))).toBe(true);
  });

  it('writes the files once, keeps them on a second run, regenerates with force', async () => {
    const first = await ensureDevCerts({ dir, nodeIds: ['a', 'b'] });
    const names = first.created.map((f) => path.basename(f)).sort();
    expect(names).toEqual(['a.crt', 'a.key', 'admin.crt', 'admin.key', 'b.crt', 'b.key', 'ca.crt', 'ca.key']);
    expect(statSync(path.join(dir, 'a.key')).mode & 0o777).toBe(0o600);
    // The CA key is not in the folder handed to nodes (issue 14, finding 2).
    expect(readdirSync(dir)).not.toContain('ca.key');
    const caKey = path.join(`${dir}-ca-private`, 'ca.key');
    expect(statSync(caKey).mode & 0o777).toBe(0o600);
    expect(statSync(`${dir}-ca-private`).mode & 0o777).toBe(0o700);
    expect(first.created).toContain(caKey);

    const caBefore = readFileSync(path.join(dir, 'ca.crt'), 'utf8');
    const second = await ensureDevCerts({ dir, nodeIds: ['a', 'b', 'c'] });
    expect(second.created.map((f) => path.basename(f)).sort()).toEqual(['c.crt', 'c.key']);
    expect(readFileSync(path.join(dir, 'ca.crt'), 'utf8')).toBe(caBefore);
    const c = new X509Certificate(readFileSync(path.join(dir, 'c.crt')));
    expect(c.checkIssued(new X509Certificate(caBefore))).toBe(true);

    const forced = await ensureDevCerts({ dir, nodeIds: ['a'], force: true });
    expect(forced.kept).toEqual([]);
    expect(readFileSync(path.join(dir, 'ca.crt'), 'utf8')).not.toBe(caBefore);
  });

  it('moves a CA key left beside the node keys by earlier versions, and keeps issuing with it', async () => {
    await ensureDevCerts({ dir, nodeIds: ['a'] });
    const caKey = path.join(`${dir}-ca-private`, 'ca.key');
    const key = readFileSync(caKey, 'utf8');
    renameSync(caKey, path.join(dir, 'ca.key'));
    const again = await ensureDevCerts({ dir, nodeIds: ['a', 'b'] });
    expect(readdirSync(dir)).not.toContain('ca.key');
    expect(readFileSync(caKey, 'utf8')).toBe(key);
    expect(again.created.map((f) => path.basename(f))).toEqual(['b.crt', 'b.key']);
  });

  it('refuses node ids that cannot be file names', () => {
    expect(() => validateNodeId('../etc')).toThrow(/cannot name a certificate/);
    expect(() => validateNodeId('admin')).toThrow(/cannot name a certificate/);
    expect(() => validateNodeId('node-1')).not.toThrow();
  });
});
