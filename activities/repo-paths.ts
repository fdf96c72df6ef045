// Where a repository path may point: absolute, under one of REPO_ROOTS once symlinks are resolved
// (the API refuses such a request, and a compose read from one fails). One rule, one message.
import fs from 'node:fs';
import path from 'node:path';
import { SourceError } from './tag-sources/tag-source.js';

/** Resolves symlinks as far as the path exists, so a link cannot lead out of a root. */
function realPathSoFar(p: string): string {
  const abs = path.resolve(p);
  try {
    return fs.realpathSync(abs);
  } catch {
    const parent = path.dirname(abs);
    return parent === abs ? abs : path.join(realPathSoFar(parent), path.basename(abs));
  }
}

export function isUnderRoots(p: string, roots: string[]): boolean {
  if (!path.isAbsolute(p)) return false;
  const real = realPathSoFar(p);
  return roots.some((root) => {
    const r = realPathSoFar(root);
    return real === r || real.startsWith(r.endsWith(path.sep) ? r : r + path.sep);
  });
}

export function localPath(location: string): string {
  if (location.startsWith('file://')) return decodeURIComponent(new URL(location).pathname);
  if (/^https?:\/\//.test(location)) {
    throw new SourceError(`Remote repository ${location} is not supported by this generator; mirror it locally.`);
  }
  return location;
}

/** ODCS's refusal of the first of `repos` outside every root, or null when all are inside. */
export function repoOutsideRoots(repos: readonly string[], roots: string[], what = 'Repository'): string | null {
  const bad = repos.find((r) => !isUnderRoots(r, roots));
  return bad === undefined ? null : `${what} "${bad}" is not under an allowed repository root.`;
}
