import { randomBytes } from 'node:crypto';

/** Lower-case letters, digits and dashes only, so the name is safe in keys, paths and ids. */
function slug(name: string): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return cleaned.slice(0, 40) || 'test';
}

function suffix(): string {
  return `${process.pid.toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** A Redis key prefix no other test (or worker, or run) uses, e.g. `test:rooms-join:1a2b-9f8e7d6c:`. */
export function uniquePrefix(name: string): string {
  return `test:${slug(name)}:${suffix()}:`;
}

/** A ZooKeeper root no other test uses, e.g. `/test-election-1a2b-9f8e7d6c`. */
export function uniqueZkRoot(name: string): string {
  return `/test-${slug(name)}-${suffix()}`;
}

/** A short unique id (node ids, user names) with a readable stem. */
export function uniqueName(name: string): string {
  return `${slug(name)}-${randomBytes(3).toString('hex')}`;
}
