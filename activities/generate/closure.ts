// The closure of a compose request per arch tree, from parsed source repositories: the candidate
// pool (kept per parsed source, so composes from an unchanged source share it and its indexes),
// multilib, `build` restrictions, and full file lists read only when a file dependency needs them.
import { activeMultilibMethods, compatArches, multilibMethodFor, needsFileLists } from '../../core/multilib.js';
import { buildPool, solve, type ArchSolution, type Pool, type Unresolved } from './depsolve.js';
import { GenerationError } from './errors.js';
import { plainRecord } from './pkgstore.js';
import { readFilelists, type RepoMetadata } from './repodata.js';
import type { PackageRecord } from './types.js';

/** What of a compose request decides its closure (GenerateInput's fields of the same names). */
export interface ClosureRequest {
  /** Requested package names; empty = all packages of the sources. */
  packages: string[];
  noDeps: boolean;
  builds?: string[];
  multilibArches?: string[];
  multilibMethods?: string[];
}


const isFileRequire = (u: Unresolved) => /(^|[\s(])\//.test(u.requirement);

/** Reads full file lists into the records; primary only lists /etc, *bin/* and a few more. */
async function mergeFilelists(repos: RepoMetadata[]): Promise<void> {
  for (const repo of repos) {
    // Records are shared through the parse cache: merged once per parsed source.
    if (repo.fullFiles) continue;
    const lists = await readFilelists(repo);
    for (const p of repo.packages) {
      const files = p.pkgid ? lists.get(p.pkgid) : undefined;
      if (files) p.files = files;
    }
    repo.fullFiles = true;
  }
}

const POOLS_PER_SOURCE = 2;
const pools = new WeakMap<RepoMetadata, Map<string, Pool>>();

/**
 * The candidate pool of these parsed sources, shared by composes while the sources are unchanged
 * (and the per-arch indexes the solver keeps per pool with it). Keyed by the first source object,
 * which the parse cache keeps while its repomd.xml is unchanged.
 */
function poolFor(sources: RepoMetadata[], lookaside: RepoMetadata[]): Pool {
  const key = [...sources, '|', ...lookaside].map((r) => (typeof r === 'string' ? r : `${r.path}@${r.repomdDigest}@${r.fullFiles ? 'files' : ''}`)).join(' ');
  let byKey = pools.get(sources[0]);
  if (!byKey) pools.set(sources[0], (byKey = new Map()));
  let pool = byKey.get(key);
  if (!pool) {
    pool = buildPool(sources.map((r) => r.packages), lookaside.map((r) => r.packages));
    byKey.set(key, pool);
    while (byKey.size > POOLS_PER_SOURCE) byKey.delete(byKey.keys().next().value!);
  }
  return pool;
}

/**
 * The closure per arch tree (multilib included), from parsed sources; full file lists are read
 * only when a file dependency needs them.
 */
export async function resolveClosure(
  input: ClosureRequest,
  arches: string[],
  sources: RepoMetadata[],
  lookaside: RepoMetadata[],
  info: (message: string) => void,
): Promise<ArchSolution[]> {
  const methods = activeMultilibMethods(input.multilibMethods ?? []);
  const multilibArches = new Set(methods.length ? input.multilibArches ?? [] : []);
  if (arches.some((a) => multilibArches.has(a) && compatArches(a).length)) {
    info(`Multilib for ${arches.filter((a) => multilibArches.has(a)).join(',')} by ${methods.join(',')}`);
    // The runtime method looks at library paths: it needs the full file lists.
    if (needsFileLists(methods)) await mergeFilelists(sources);
  }
  const multilib = (arch: string) =>
    multilibArches.has(arch) && compatArches(arch).length
      ? { arches: compatArches(arch), select: (p: PackageRecord) => multilibMethodFor(p, methods) !== null }
      : undefined;
  const pool = () => (input.builds?.length ? buildPool(restrictToBuilds(sources, input.builds, info), lookaside.map((r) => r.packages)) : poolFor(sources, lookaside));
  const solveAll = () => {
    const candidates = pool();
    return arches.map((arch) => solve(candidates, { arch, packages: input.packages, noDeps: input.noDeps, multilib: multilib(arch) }));
  };
  let solutions = solveAll();
  if (solutions.some((s) => s.unresolved.some(isFileRequire))) {
    info('Loading full file lists to resolve file dependencies');
    await mergeFilelists([...sources, ...lookaside]);
    solutions = solveAll();
  }
  // What leaves the solver are ordinary objects, not views of the parsed source's arrays.
  return solutions.map((s) => ({ ...s, selected: s.selected.map(plainRecord), unresolved: s.unresolved.map((u) => ({ ...u, package: plainRecord(u.package) })) }));
}

/** The NVR a binary RPM was built from, from its source RPM's file name. */
const buildOf = (p: PackageRecord) => p.sourcerpm?.replace(/\.(no)?src\.rpm$/, '');

/** For `build` composes: keep only the binary RPMs of the requested builds; unknown builds fail. */
function restrictToBuilds(sources: RepoMetadata[], builds: string[] | undefined, info: (message: string) => void): PackageRecord[][] {
  if (!builds?.length) return sources.map((r) => r.packages);
  const wanted = new Set(builds);
  const found = new Set<string>();
  const restricted = sources.map((r) =>
    r.packages.filter((p) => {
      const nvr = buildOf(p);
      if (!nvr || !wanted.has(nvr)) return false;
      found.add(nvr);
      return true;
    }),
  );
  const unknown = [...wanted].filter((b) => !found.has(b)).sort();
  if (unknown.length) throw new GenerationError(`The following builds are not present in the configured tags: ${unknown.join(' ')}.`);
  info(`Builds ${[...wanted].join(' ')}: ${restricted.reduce((n, r) => n + r.length, 0)} binary packages`);
  return restricted;
}

