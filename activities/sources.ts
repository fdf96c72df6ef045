// Turns a compose's source into the local yum repositories to compose from, and checks that
// `repo` sources and lookaside repositories stay under the configured roots (repo-paths.ts). Tags
// are resolved by the tag source (tag-sources/: configured repositories, or a Koji hub).
import { SOURCE_TYPES, type ComposeInput } from '../core/compose.js';
import { hasFlag, multilibMethodToNames } from '../core/flags.js';
import { neededCompatArches } from '../core/multilib.js';
import { combineRevisions } from '../core/revision.js';
import { resolveTagRepos, type OdcsSettings } from '../core/settings.js';
import { localPath, repoOutsideRoots } from './repo-paths.js';
import type { KojiFetchPlan } from './koji/fetch.js';
import { readRepoRevision } from './generate/repodata.js';
import { SourceError, type TagSource } from './tag-sources/tag-source.js';

/** state_reason of a compose waiting for an unreachable source. */
export const RETRY_REASON_PREFIX = 'Waiting to retry: ';

export interface ResolvedSource {
  repos: string[];
  lookaside: string[];
  /** Set for tag sources (from the tag source); otherwise computed from the repositories. */
  revision?: string;
  /** The Koji event the tags were read at (Koji tag source only). */
  kojiEvent?: number;
  /** Koji repositories among `repos` whose closure the generator fetches. */
  fetch?: KojiFetchPlan;
}

/**
 * Whether the source resolves from local files in moments (configured tags, repositories, builds,
 * pulp). A Koji hub needs the remote prepareCompose activity: downloads, retries for minutes.
 */
export function resolvesLocally(c: Pick<ComposeInput, 'source_type'>, settings: Pick<OdcsSettings, 'tag_source'>): boolean {
  return !(c.source_type === SOURCE_TYPES.tag && settings.tag_source === 'koji');
}

/**
 * The source's repositories and its reuse revision, which stands in for koji_event: the tag
 * source's, else the metadata revisions of every repository the compose reads.
 */
export async function resolveSourceRevision(
  input: ComposeInput,
  settings: OdcsSettings,
  repoRoots: string[],
  tagSource: TagSource,
): Promise<ResolvedSource & { revision: string }> {
  const resolved = await resolveSourceRepos(input, settings, repoRoots, tagSource);
  const revision = resolved.revision ?? combineRevisions(await Promise.all(resolved.repos.map(async (r) => `${r}@${await readRepoRevision(r)}`)));
  return { ...resolved, revision };
}

export async function resolveSourceRepos(
  input: ComposeInput,
  settings: OdcsSettings,
  repoRoots: string[],
  tagSource: TagSource,
): Promise<ResolvedSource> {
  const names = input.source.split(/\s+/).filter(Boolean);
  const lookaside = input.lookaside_repos.split(/\s+/).filter(Boolean).map(localPath);
  const badLookaside = repoOutsideRoots(lookaside, repoRoots, 'Lookaside repository');
  if (badLookaside) throw new SourceError(badLookaside);
  switch (input.source_type) {
    case SOURCE_TYPES.tag: {
      const repos: string[] = [];
      const revisions: string[] = [];
      const noInheritance = hasFlag(input.flags, 'no_inheritance');
      const arches = input.arches.split(/\s+/).filter(Boolean);
      const compatArches = neededCompatArches(arches, input.multilib_arches.split(/\s+/).filter(Boolean), multilibMethodToNames(input.multilib_method));
      // Every tag of the compose is read at one event: the requested one, else the first tag's.
      let event = input.koji_event ?? undefined;
      let fetch: KojiFetchPlan | undefined;
      for (const tag of names) {
        const resolved = await tagSource.resolve(tag, { noInheritance, event, arches, ...(compatArches.length ? { compatArches } : {}) });
        event ??= resolved.kojiEvent;
        if (resolved.fetch) fetch = { ...resolved.fetch, repos: [...(fetch?.repos ?? []), ...resolved.fetch.repos] };
        revisions.push(resolved.revision);
        for (const r of resolved.repos) if (!repos.includes(r)) repos.push(r);
      }
      if (repos.length === 0) throw new SourceError(`Tag "${names.join(' ')}" has no repositories configured.`);
      return { repos, lookaside, revision: combineRevisions(revisions), ...(event !== undefined ? { kojiEvent: event } : {}), ...(fetch ? { fetch } : {}) };
    }
    case SOURCE_TYPES.repo: {
      const bad = repoOutsideRoots(names, repoRoots);
      if (bad) throw new SourceError(bad);
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
