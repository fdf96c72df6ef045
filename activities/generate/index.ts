// Built-in replacement for Pungi in an ODCS "tag" compose: read the source
// repos' metadata, resolve the requested closure per arch (for a Koji tag's
// repository, fetch just the closure's RPMs: koji/fetch.ts), hard-link the RPMs
// into the ODCS layout and derive the repodata from the sources' (createrepo_c
// where a source has no usable metadata). All work happens in a temp dir
// that is renamed into place at the end, so a compose dir is either complete
// (with a marker) or absent, whatever happens to the worker.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ComposeLog } from './composelog.js';
import { createrepo } from './createrepo.js';
import { resolveClosure } from './closure.js';
import type { ArchSolution, Unresolved } from './depsolve.js';
import { reasonMissingPackages } from '../../core/lifecycle.js';
import { underivable, writeDerivedRepodata, type Tree } from './derive.js';
import { GenerationError } from './errors.js';
import { warmFileThreads } from './file-threads.js';
import { composeDir, composeName, globalLog, osDir, pungiComposeId, readMarker, repoFileText, tempPrefix, variantDir, writeMarker } from './layout.js';
import { packagePath, placePackages } from './place.js';
import { unacceptablySigned } from './signatures.js';
import { readRepo, type RepoMetadata } from './repodata.js';
import type { PackageRecord } from './types.js';
import { verifyChecksums, type VerifyMode } from './verify.js';
import { fetchClosure, type KojiFetchPlan } from '../koji/fetch.js';

export { GenerationError } from './errors.js';
export { readRepoRevision } from './repodata.js';
export { resolveClosure } from './closure.js';

export interface GenerateInput {
  composeId: number;
  /** Absolute compose root; the compose goes to <targetDir>/odcs-<id>. */
  targetDir: string;
  /** Absolute yum repo paths in precedence order: an earlier repo's package name shadows later ones. */
  sourceRepos: string[];
  /** Only used to satisfy dependencies; never copied. */
  lookasideRepos?: string[];
  /** Requested package names; empty = all packages of the sources. */
  packages: string[];
  arches: string[];
  noDeps: boolean;
  /** Unresolvable deps fail the compose (otherwise they are logged as warnings). */
  checkDeps: boolean;
  /** Build NVRs (`build` composes): only the binary RPMs built from these source RPMs are used. */
  builds?: string[];
  /** Accepted signing keys (8 or 16 hex; "" accepts unsigned). Empty or absent: no check. */
  sigkeys?: string[];
  /** ODCS multilib_arches: trees of these arches also get their compatible arches' packages. */
  multilibArches?: string[];
  /** ODCS multilib_method names (runtime, devel, all; none or empty: no multilib). */
  multilibMethods?: string[];
  resultRepoUrl: string;
  /** Koji tag sources: these source repositories are metadata only; the closure's RPMs are fetched. */
  fetch?: KojiFetchPlan;
}

export interface GenerateResult {
  /** Distinct RPMs in the compose (a noarch RPM in two arch trees counts once). */
  packages: number;
  arches: string[];
  /** Total size of those distinct RPMs. */
  bytes: number;
  pungiComposeId: string;
}

export interface GenerateHooks {
  heartbeat?: (detail: string) => void;
  /** Awaited once the metadata is loaded, inside the temp dir's life (fault-injection point for tests). */
  checkpoint?: () => Promise<void>;
  signal?: AbortSignal;
  /** How package files are checked against the source metadata (GENERATE_VERIFY; default header). */
  verify?: VerifyMode;
}

const ARCH_RE = /^[A-Za-z0-9_]+$/;
const MAX_LISTED = 50;

function validate(input: GenerateInput): string[] {
  if (!Number.isSafeInteger(input.composeId) || input.composeId <= 0) throw new GenerationError(`Invalid compose id ${input.composeId}.`);
  if (!path.isAbsolute(input.targetDir)) throw new GenerationError(`Target directory ${input.targetDir} is not absolute.`);
  const arches = [...new Set(input.arches)];
  if (arches.length === 0) throw new GenerationError('No arches requested.');
  const bad = arches.filter((a) => !ARCH_RE.test(a) || ['src', 'nosrc', 'noarch'].includes(a));
  if (bad.length) throw new GenerationError(`Invalid arches: ${bad.join(' ')}.`);
  if (input.sourceRepos.length === 0) throw new GenerationError('No source repositories given.');
  return arches;
}

/** Removes dirs left by killed attempts (and by interrupted removals). */
async function removeTemps(targetDir: string, id: number): Promise<void> {
  let names: string[];
  try {
    names = await readdir(targetDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  const prefix = tempPrefix(id);
  await Promise.all(names.filter((n) => n.startsWith(prefix)).map((n) => rm(path.join(targetDir, n), { recursive: true, force: true })));
}

const nevra = (p: PackageRecord, arch = p.arch) => `${p.name}-${p.epoch}:${p.version}-${p.release}.${arch}`;

/** productmd-style rpms.json so tooling that reads Pungi metadata keeps working. */
function rpmsJson(id: string, now: Date, solutions: ArchSolution[]) {
  const tree: Record<string, Record<string, Record<string, { category: string; path: string; sigkey: null }>>> = {};
  for (const s of solutions) {
    const arch: (typeof tree)[string] = (tree[s.arch] = {});
    for (const p of s.selected) {
      const m = p.sourcerpm ? /^(.+)-([^-]+)-([^-]+)\.(?:no)?src\.rpm$/.exec(p.sourcerpm) : null;
      const srpm = m ? `${m[1]}-${p.epoch}:${m[2]}-${m[3]}.src` : nevra(p, 'src');
      (arch[srpm] ??= {})[nevra(p)] = { category: 'binary', path: `Temporary/${s.arch}/os/${packagePath(p)}`, sigkey: null };
    }
  }
  const date = now.toISOString().slice(0, 10).replace(/-/g, '');
  return { header: { type: 'productmd.rpms', version: '1.2' }, payload: { compose: { id, date, respin: 0, type: 'test' }, rpms: { Temporary: tree } } };
}

/** A package of a tree's compatible arch (multilib) is named with its arch: `foo.i686 requires …`. */
const requirer = (u: Unresolved, treeArch: string) => (u.package.arch === treeArch || u.package.arch === 'noarch' ? u.package.name : `${u.package.name}.${u.package.arch}`);

function unresolvedMessage(solutions: ArchSolution[]): string {
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const s of solutions) {
    for (const u of s.unresolved) {
      const text = `${requirer(u, s.arch)} requires ${u.requirement}`;
      if (!seen.has(text)) parts.push(text), seen.add(text);
    }
  }
  parts.sort();
  const more = parts.length > MAX_LISTED ? `; and ${parts.length - MAX_LISTED} more` : '';
  return `Unresolvable dependencies: ${parts.slice(0, MAX_LISTED).join('; ')}${more}`;
}

/** The actual work, inside the temp dir `root`. Throws GenerationError for user-caused failures. */
async function build(input: GenerateInput, arches: string[], root: string, log: ComposeLog, hooks: GenerateHooks, now: Date): Promise<GenerateResult> {
  const { signal } = hooks;
  const beat = (d: string) => hooks.heartbeat?.(d);
  const id = pungiComposeId(input.composeId, now);
  log.info(`Compose ${id}: arches=${arches.join(',')} packages=${input.packages.length ? input.packages.join(',') : '(all)'} no_deps=${input.noDeps} check_deps=${input.checkDeps}`);

  // The file threads (links, checks) start while the metadata is read.
  warmFileThreads();
  const lookasidePaths = input.lookasideRepos ?? [];
  const [sources, lookaside] = await Promise.all([Promise.all(input.sourceRepos.map(readRepo)), Promise.all(lookasidePaths.map(readRepo))]);
  for (const r of sources) log.info(`Source repo ${r.path}: ${r.packages.length} packages (revision ${r.revision})`);
  for (const r of lookaside) log.info(`Lookaside repo ${r.path}: ${r.packages.length} packages (revision ${r.revision})`);
  beat('repository metadata loaded');
  await hooks.checkpoint?.();
  signal?.throwIfAborted();

  const solutions = await resolveClosure(input, arches, sources, lookaside, (m) => log.info(m));
  beat('dependencies resolved');
  signal?.throwIfAborted();

  const present = new Set(solutions.flatMap((s) => s.selected.map((p) => p.name)));
  const missing = [...new Set(input.packages)].filter((n) => !present.has(n)).sort();
  if (missing.length) throw new GenerationError(reasonMissingPackages(missing));
  for (const s of solutions) if (s.missing.length) log.info(`Not available for ${s.arch}: ${s.missing.join(' ')}`);

  if (input.checkDeps && solutions.some((s) => s.unresolved.length)) throw new GenerationError(unresolvedMessage(solutions));
  for (const s of solutions) {
    for (const u of s.unresolved.slice(0, 1000)) log.warning(`Unresolvable dependency on ${s.arch}: ${requirer(u, s.arch)} requires ${u.requirement}`);
  }

  if (!input.fetch) return gather(input, arches, root, log, hooks, now, id, solutions, sources);
  // Only the closure's RPMs are fetched, and held in the download cache until they are linked.
  const fetched = await fetchClosure(solutions.flatMap((s) => s.selected), input.fetch, input.sigkeys ?? [], { ...hooks, log: (m) => log.info(m) });
  try {
    const placed = solutions.map((s) => ({ ...s, selected: s.selected.map((p) => fetched.records.get(p.location) ?? p) }));
    return await gather(input, arches, root, log, hooks, now, id, placed, sources);
  } finally {
    fetched.release();
  }
}

/** Signature check, package placement, repodata and compose metadata of a resolved closure. */
async function gather(
  input: GenerateInput,
  arches: string[],
  root: string,
  log: ComposeLog,
  hooks: GenerateHooks,
  now: Date,
  id: string,
  solutions: ArchSolution[],
  sources: RepoMetadata[],
): Promise<GenerateResult> {
  const { signal } = hooks;
  const beat = (d: string) => hooks.heartbeat?.(d);

  if (input.sigkeys?.length) {
    const selected = [...new Map(solutions.flatMap((s) => s.selected).map((p) => [p.location, p])).values()];
    const unsigned = await unacceptablySigned(selected, input.sigkeys);
    beat('signatures checked');
    if (unsigned.length) {
      throw new GenerationError(`The following packages are not signed with any of the keys ${input.sigkeys.map((k) => k || '(unsigned)').join(' ')}: ${unsigned.join(' ')}.`);
    }
  }

  const distinct = new Map<string, PackageRecord>();
  for (const s of solutions) {
    log.info(`Gathered ${s.selected.length} packages for ${s.arch}`);
    await mkdir(osDir(root, s.arch), { recursive: true });
    for (const p of s.selected) distinct.set(p.location, p);
  }
  // Placing the packages (checks and links) and deriving the repodata (both in the file threads),
  // and writing the compose's own metadata do not depend on each other: they overlap. Only createrepo_c needs the packages in place. A failure of one fails the compose
  // once all have stopped writing. The files whose metadata derived repodata repeats are checked
  // against it (GENERATE_VERIFY) as they are placed, or hashed beside the derivation (full).
  const { derived, fallback } = planRepodata(input.composeId, root, solutions, sources, log);
  const mode = hooks.verify ?? 'header';
  const checked = new Map(derived.flatMap((t) => t.packages).map((p) => [p.location, p]));
  const trees = solutions.map((s) => ({ osDir: osDir(root, s.arch), packages: s.selected }));
  let hashed = 0;
  if (derived.length) log.info(`Deriving repodata for ${derived.map((t) => path.relative(root, t.osDir)).join(', ')} from the source metadata`);
  await settleAll(
    [
      (signal) => placePackages(trees, mode === 'full' ? undefined : { mode, files: checked }, { ...hooks, signal }),
      async (signal) => void (mode === 'full' && (hashed = await verifyChecksums([...checked.values()], { ...hooks, signal }))),
      (signal) => writeDerivedRepodata(derived, sources, { ...hooks, signal, log: (m) => log.info(m) }),
      () => writeComposeFiles(input, root, id, now, solutions),
    ],
    signal,
  );
  if (checked.size) {
    log.info(
      mode === 'full'
        ? `Checked ${checked.size} package files against the source metadata (${hashed} checksums computed, ${checked.size - hashed} known)`
        : `Checked ${checked.size} package files against the source metadata (${mode === 'header' ? 'size and RPM header' : 'size'}; checksums taken from the source metadata)`,
    );
  }
  for (const tree of fallback) await createrepo(tree, hooks);

  let bytes = 0;
  for (const p of distinct.values()) bytes += p.size ?? 0;
  log.info(`Compose finished: ${distinct.size} packages, ${bytes} bytes`);
  return { packages: distinct.size, arches, bytes, pungiComposeId: id };
}

/** The compose's .repo file, productmd rpms.json and COMPOSE_ID. */
async function writeComposeFiles(input: GenerateInput, root: string, id: string, now: Date, solutions: ArchSolution[]): Promise<void> {
  await writeFile(path.join(variantDir(root), `${composeName(input.composeId)}.repo`), repoFileText(input.composeId, input.resultRepoUrl));
  await mkdir(path.join(root, 'compose', 'metadata'), { recursive: true });
  await writeFile(path.join(root, 'compose', 'metadata', 'rpms.json'), JSON.stringify(rpmsJson(id, now, solutions), null, 2) + '\n');
  await writeFile(path.join(root, 'COMPOSE_ID'), id + '\n');
}

/**
 * Runs the jobs at once, each with a signal that aborts (with the failure as its reason) when any
 * of them fails or `outer` aborts; waits for all to stop, then throws the first failure, if any.
 */
async function settleAll(jobs: Array<(signal: AbortSignal) => Promise<unknown>>, outer?: AbortSignal): Promise<void> {
  const ctl = new AbortController();
  const signal = outer ? AbortSignal.any([outer, ctl.signal]) : ctl.signal;
  let first: { error: unknown } | undefined;
  await Promise.allSettled(
    jobs.map((job) =>
      job(signal).catch((error) => {
        if (!first) {
          first = { error };
          ctl.abort(error);
        }
      }),
    ),
  );
  if (first) throw first.error;
}

/**
 * Which arch trees get repodata derived from the sources' metadata (all their packages come from
 * sources with usable metadata) and which get createrepo_c (their os/ dirs); the log says why.
 */
function planRepodata(composeId: number, root: string, solutions: ArchSolution[], sources: RepoMetadata[], log: ComposeLog): { derived: Tree[]; fallback: string[] } {
  const why = new Map(sources.map((r) => [r.path, underivable(r)]));
  const derived: Tree[] = [];
  const fallback: string[] = [];
  for (const s of solutions) {
    const tree = `${composeName(composeId)}/compose/Temporary/${s.arch}/os`;
    const blocker = s.selected.map((p) => p.repo).find((r) => why.get(r) !== undefined);
    if (blocker === undefined) {
      derived.push({ osDir: osDir(root, s.arch), packages: s.selected });
      continue;
    }
    log.info(`Running createrepo_c for ${tree} (repository ${blocker}: ${why.get(blocker)})`);
    fallback.push(osDir(root, s.arch));
  }
  return { derived, fallback };
}

/** Moves a finished temp dir into place; false when another attempt got there first (its outcome wins). */
async function publish(tmp: string, finalDir: string): Promise<boolean> {
  try {
    await rename(tmp, finalDir);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
    await rm(tmp, { recursive: true, force: true });
    return false;
  }
}

async function outcome(finalDir: string): Promise<GenerateResult | undefined> {
  const marker = await readMarker<GenerateResult>(finalDir);
  if (!marker) return undefined;
  if (!marker.ok) throw new GenerationError(marker.failed);
  return marker.result;
}

/**
 * Generates <targetDir>/odcs-<id>. Idempotent: a completed compose (or a
 * recorded user failure) is returned/re-thrown without work; anything
 * incomplete is discarded and rebuilt.
 */
export async function generateCompose(input: GenerateInput, hooks: GenerateHooks = {}): Promise<GenerateResult> {
  const arches = validate(input);
  const { signal } = hooks;
  const finalDir = composeDir(input.targetDir, input.composeId);
  const done = await outcome(finalDir);
  if (done) return done;

  signal?.throwIfAborted();
  await mkdir(input.targetDir, { recursive: true });
  await removeTemps(input.targetDir, input.composeId);
  await rm(finalDir, { recursive: true, force: true });
  const tmp = path.join(input.targetDir, tempPrefix(input.composeId) + randomBytes(6).toString('hex'));
  await mkdir(tmp);
  const log = new ComposeLog(globalLog(tmp));
  const now = new Date();

  let built: GenerateResult | undefined;
  try {
    const result = await build(input, arches, tmp, log, hooks, now);
    // The temp dir is not seen before it is published: its last files are written at once.
    await Promise.all([log.flush(), writeFile(path.join(tmp, 'STATUS'), 'FINISHED\n'), writeMarker(tmp, result)]);
    built = result;
  } catch (e) {
    if (!(e instanceof GenerationError) || signal?.aborted) {
      await rm(tmp, { recursive: true, force: true });
      throw signal?.aborted ? signal.reason : e;
    }
    // Keep the logs of a user-caused failure for examination, but not a half-made repo.
    log.error(e.message);
    log.error('Compose run failed');
    await rm(path.join(tmp, 'compose'), { recursive: true, force: true });
    await log.flush();
    await writeFile(path.join(tmp, 'STATUS'), 'DOOMED\n');
    await writeMarker(tmp, { failed: e.message });
  }
  if ((await publish(tmp, finalDir)) && built) return built;
  const result = await outcome(finalDir);
  if (!result) throw new Error(`Compose directory ${finalDir} has no completion marker after publishing.`);
  return result;
}

/** Deletes a compose tree and any leftovers of it. Idempotent. */
export async function removeComposeTree(targetDir: string, composeId: number): Promise<void> {
  const finalDir = composeDir(targetDir, composeId);
  // Rename first so a half-deleted tree can never look like a complete compose.
  const trash = path.join(targetDir, tempPrefix(composeId) + 'rm-' + randomBytes(6).toString('hex'));
  try {
    await rename(finalDir, trash);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await removeTemps(targetDir, composeId);
}
