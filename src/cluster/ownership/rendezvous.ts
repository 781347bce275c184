import { hash } from 'node:crypto';

/**
 * Rendezvous (highest random weight) hashing: the owner of `key` among
 * `nodeIds` is the node whose hash of (node, key) is highest. Every node
 * that sees the same members computes the same owner without talking to the
 * others, and when a member joins or leaves only the keys it wins or held
 * move (about 1/n of them), not a reshuffle of everything.
 * Undefined for an empty member list.
 */
export function rendezvousOwner(key: string, nodeIds: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestWeight = -1n;
  for (const nodeId of nodeIds) {
    const weight = weightOf(nodeId, key);
    // Ties (practically impossible with 64 bits) go to the smaller id, the same everywhere.
    if (weight > bestWeight || (weight === bestWeight && best !== undefined && nodeId < best)) {
      best = nodeId;
      bestWeight = weight;
    }
  }
  return best;
}

function weightOf(nodeId: string, key: string): bigint {
  // MD5 for spread, not secrecy: the inputs are public names.
  return hash('md5', `${nodeId}\u0000${key}`, 'buffer').readBigUInt64BE(0);
}

/** The owner of every key among one member list, computed once per key. */
export class OwnerTable {
  private readonly owners = new Map<string, string | undefined>();

  constructor(readonly nodeIds: readonly string[]) {}

  ownerOf(key: string): string | undefined {
    if (this.owners.has(key)) return this.owners.get(key);
    const owner = rendezvousOwner(key, this.nodeIds);
    // Bounded: a table lives for one membership version; past this it stops remembering.
    if (this.owners.size < 100_000) this.owners.set(key, owner);
    return owner;
  }
}
