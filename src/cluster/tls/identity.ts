import type { AuthContext } from '@grpc/grpc-js/build/src/auth-context';

/**
 * Who is on the other end of a mutual-TLS call, as stated by its certificate
 * (the cluster CA vouched for it during the handshake).
 */
export interface PeerIdentity {
  /** Subject CN: the node id for node certificates, "admin" for operators. */
  commonName: string;
  /** Subject OU: `node` or `admin`. */
  unit: string;
}

/** OU of node certificates: may link to the leader and read diagnostics. */
export const NODE_OU = 'node';
/** OU of operator certificates: may call AdminService only. */
export const ADMIN_OU = 'admin';

/** Subject fields may repeat in a certificate; Node then gives an array. */
function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Reads the verified peer certificate of a call; null when there is none. */
export function peerIdentity(call: { getAuthContext(): AuthContext | null }): PeerIdentity | null {
  const cert = call.getAuthContext()?.sslPeerCertificate;
  if (!cert?.subject) return null;
  // Typed as string, but Node returns string[] for repeated attributes.
  const subject = cert.subject as unknown as Record<string, string | string[] | undefined>;
  const commonName = firstValue(subject['CN']);
  const unit = firstValue(subject['OU']);
  if (!commonName || !unit) return null;
  return { commonName, unit };
}

export function mayLink(identity: PeerIdentity | null): identity is PeerIdentity {
  return identity?.unit === NODE_OU;
}

export function mayAdminister(identity: PeerIdentity | null): identity is PeerIdentity {
  return identity?.unit === ADMIN_OU || identity?.unit === NODE_OU;
}
