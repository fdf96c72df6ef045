// The reuse revision of a compose's sources (it stands in for Koji's event): the parts of each
// repository's or tag's revision, space-joined without repeats, hashed when long.
import { createHash } from 'node:crypto';

export function combineRevisions(revisions: readonly string[]): string {
  const parts: string[] = [];
  for (const part of revisions.join(' ').split(' ')) if (part && !parts.includes(part)) parts.push(part);
  const joined = parts.join(' ');
  return joined.length <= 200 ? joined : `sha256:${createHash('sha256').update(joined).digest('hex')}`;
}
