// Turns a compose's source into the local yum repositories to compose from, and checks that
// `repo` sources and lookaside repositories stay under the configured roots. Tags are resolved by
// the tag source (tag-sources/: configured repositories, or a Koji hub).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SOURCE_TYPES, type ComposeInput } from '../core/compose.js';
import { hasFlag } from '../core/flags.js';
import { resolveTagRepos, type OdcsSettings } from '../core/settings.js';
import type { TagSource } from './tag-sources/tag-source.js';

/** The compose's source cannot be used: the compose fails with this message. */
export class SourceError extends Error {}

/** The source cannot be reached right now: the compose waits and resolution is retried. */
export class SourceUnavailableError extends Error {
  constructor(
    message: string,
    /** After this long since the compose was submitted, give up and fail it. */
    readonly retryForSeconds: number,
  ) {
    super(message);
  }
}

/** state_reason of a compose waiting for an unreachable source. */
export const RETRY_REASON_PREFIX = 'Waiting to retry: ';

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

export interface ResolvedSource {
  repos: string[];
  lookaside: string[];
  /** Set for tag sources (from the tag source); otherwise computed from the repositories. */
  revision?: string;
  /** The Koji event the tags were read at (Koji tag source only). */
  kojiEvent?: number;
}

/** Tags' revisions as one: space-separated parts without repeats, hashed when long. */
function combineRevisions(revisions: string[]): string {
  const parts: string[] = [];
  for (const part of revisions.join(' ').split(' ')) if (part && !parts.includes(part)) parts.push(part);
  const joined = parts.join(' ');
  return joined.length <= 200 ? joined : `sha256:${createHash('sha256').update(joined).digest('hex')}`;
}

export async function resolveSourceRepos(
  input: ComposeInput,
  settings: OdcsSettings,
  repoRoots: string[],
  tagSource: TagSource,
): Promise<ResolvedSource> {
  const names = input.source.split(/\s+/).filter(Boolean);
  const lookaside = input.lookaside_repos.split(/\s+/).filter(Boolean).map(localPath);
  for (const repo of lookaside) {
    if (!isUnderRoots(repo, repoRoots)) throw new SourceError(`Lookaside repository "${repo}" is not under an allowed repository root.`);
  }
  switch (input.source_type) {
    case SOURCE_TYPES.tag: {
      const repos: string[] = [];
      const revisions: string[] = [];
      const noInheritance = hasFlag(input.flags, 'no_inheritance');
      const arches = input.arches.split(/\s+/).filter(Boolean);
      // Every tag of the compose is read at one event: the requested one, else the first tag's.
      let event = input.koji_event ?? undefined;
      for (const tag of names) {
        const resolved = await tagSource.resolve(tag, { noInheritance, event, arches });
        event ??= resolved.kojiEvent;
        revisions.push(resolved.revision);
        for (const r of resolved.repos) if (!repos.includes(r)) repos.push(r);
      }
      if (repos.length === 0) throw new SourceError(`Tag "${names.join(' ')}" has no repositories configured.`);
      return { repos, lookaside, revision: combineRevisions(revisions), ...(event !== undefined ? { kojiEvent: event } : {}) };
    }
    case SOURCE_TYPES.repo: {
      for (const repo of names) {
        if (!isUnderRoots(repo, repoRoots)) throw new SourceError(`Repository "${repo}" is not under an allowed repository root.`);
      }
      return { repos: names, lookaside };
    }
    case SOURCE_TYPES.build: {
      // Builds are looked up in every configured tag (their own repositories, in declared order).
      const repos: string[] = [];
      for (const tag of Object.keys(settings.tags)) {
        for (const r of (resolveTagRepos(settings, tag, true) ?? []).map(localPath)) if (!repos.includes(r)) repos.push(r);
      }
      if (repos.length === 0) throw new SourceError('No tags are configured to look builds up in.');
      if (!(input.builds ?? '').trim()) throw new SourceError('A build compose needs at least one build NVR in "builds".');
      return { repos, lookaside };
    }
    default:
      throw new SourceError(`Source type ${input.source_type} cannot be generated by this server yet.`);
  }
}
