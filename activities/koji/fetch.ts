// Fetches the RPMs of a compose's closure from Koji, after the generator has resolved it against
// the tag's repository metadata (repo.ts): only the packages the compose needs, from the signed
// copies (`…/data/signed/<key>/<arch>/<nvra>.rpm`) when the compose has sigkeys, keys tried in
// order, "" meaning the unsigned copy. Files go through the shared download cache (cache.ts) and
// stay pinned there until the compose has linked them. A signed copy is not the file the
// metadata describes: its record then carries the placed file's checksum, size and header range.
import path from 'node:path';
import { GenerationError } from '../generate/errors.js';
import { fileDigest } from '../generate/digest.js';
import type { PackageRecord } from '../generate/types.js';
import { KojiUnavailableError } from './client.js';
import { packageCache, type CachedFile } from './cache.js';
import { KojiDownloadError, type Downloaded } from './download.js';
import { rpmHeaderRange, rpmPayloadHash, rpmStoredSigMd5 } from './rpm-header.js';

/** What a generation needs to fetch the packages of Koji repositories (serializable: part of the plan). */
export interface KojiFetchPlan {
  /** Where Koji serves files (http(s) or file://). */
  topurl: string;
  /** ${DATA_DIR}/koji-cache */
  cacheRoot: string;
  /** KOJI_CACHE_MAX_BYTES (0: no bound). */
  cacheMaxBytes: number;
  /** Local metadata directories (repo.ts) whose packages are fetched from the topurl. */
  repos: string[];
  downloadTimeoutMs: number;
  retries: number;
  retryDelayMs: number;
  concurrency: number;
}

export interface FetchHooks {
  heartbeat?: (detail: string) => void;
  signal?: AbortSignal;
  log?: (message: string) => void;
}

export interface FetchedClosure {
  /** By the record's location in the source: its record with the local file (and, for a signed copy, that file's data). */
  records: Map<string, PackageRecord>;
  downloaded: number;
  downloadedBytes: number;
  /** Unpins the files: call once the compose has linked them. */
  release(): void;
}

/** A package's place under the topurl from a Koji repo's location (`toplink/[vol/<v>/]packages/<n>/<v>/<r>/[data/signed/<k>/]<arch>/<file>`). */
export function kojiPackagePath(href: string): { base: string[]; arch: string; file: string } | null {
  const segs = href.split('/');
  const at = segs.indexOf('packages');
  if (segs[0] !== 'toplink' || at < 0 || at > 3 || segs.some((s) => s === '' || s === '.' || s === '..')) return null;
  const base = segs.slice(1, at + 4);
  const rest = segs.slice(at + 4);
  if (base.length !== at + 3) return null;
  if (rest.length === 2) return { base, arch: rest[0], file: rest[1] };
  if (rest.length === 5 && rest[0] === 'data' && rest[1] === 'signed') return { base, arch: rest[3], file: rest[4] };
  return null;
}

const KEY_RE = /^[0-9a-f]{8}([0-9a-f]{8})?$/;

export function copyPath(where: { base: string[]; arch: string; file: string }, sigkey: string): string[] {
  return sigkey === '' ? [...where.base, where.arch, where.file] : [...where.base, 'data', 'signed', sigkey.toLowerCase(), where.arch, where.file];
}

const url = (topurl: string, rel: string[]) => `${topurl.replace(/\/+$/, '')}/${rel.map(encodeURIComponent).join('/')}`;

/** The copy the metadata describes must be that file; another (signed) copy must at least be a sound RPM. */
function verifier(p: PackageRecord, described: boolean, where: string) {
  return async (tmp: string, got: Downloaded) => {
    if (described) {
      if (p.size !== undefined && got.size !== p.size) throw new KojiDownloadError(`${where} has ${got.size} bytes, the repository metadata says ${p.size}.`, true);
      const type = p.checksumType ?? 'sha256';
      const sum = type === 'sha256' ? got.sha256 : await fileDigest(tmp, type);
      if (sum !== p.pkgid) throw new KojiDownloadError(`${where} has ${type} ${sum}, the repository metadata says ${p.pkgid}.`, true);
      return;
    }
    let stored: string | null;
    let actual: string;
    try {
      [stored, actual] = await Promise.all([rpmStoredSigMd5(tmp), rpmPayloadHash(tmp)]);
    } catch (err) {
      throw new KojiDownloadError(`${where}: ${(err as Error).message}.`, true);
    }
    if (stored !== actual) throw new KojiDownloadError(`${where} is damaged: its header and payload do not match the MD5 its signature header records.`, true);
  };
}

/**
 * Fetches every package of `packages` that comes from one of the plan's repositories. Sigkeys: []
 * takes the unsigned copies; otherwise the keys in order ("" = unsigned). A package missing under
 * every key fails the compose (GenerationError naming the packages and keys).
 */
export async function fetchClosure(packages: PackageRecord[], plan: KojiFetchPlan, sigkeys: string[], hooks: FetchHooks = {}): Promise<FetchedClosure> {
  const cache = packageCache(plan.cacheRoot, plan.cacheMaxBytes);
  const remote = new Set(plan.repos);
  const wanted = [...new Map(packages.filter((p) => remote.has(p.repo)).map((p) => [p.location, p])).values()];
  const keys = sigkeys.length ? sigkeys.map((k) => k.trim().toLowerCase()) : [''];
  const badKey = keys.find((k) => k !== '' && !KEY_RE.test(k));
  if (badKey !== undefined) throw new GenerationError(`Invalid sigkey ${JSON.stringify(badKey)}: Koji names keys by 8 or 16 hex digits.`);

  const held: string[] = [];
  const records = new Map<string, PackageRecord>();
  const missing: string[] = [];
  let downloaded = 0;
  let downloadedBytes = 0;
  let lastBeat = 0;
  const beat = (force = false) => {
    if (!force && Date.now() - lastBeat < 1000) return;
    lastBeat = Date.now();
    hooks.heartbeat?.(`fetched ${records.size}/${wanted.length} packages from Koji (${downloaded} downloaded, ${(downloadedBytes / 1048576).toFixed(1)} MiB)`);
  };
  const release = () => {
    for (const rel of held.splice(0)) cache.release(rel);
  };

  const one = async (p: PackageRecord) => {
    const where = kojiPackagePath(p.href);
    if (!where) throw new GenerationError(`Repository ${p.repo}: ${p.href} is not a Koji package location.`);
    const metadataRel = copyPath(where, '').join('/');
    const asListed = p.href.slice('toplink/'.length);
    // Koji names signed-copy directories by the key id it recorded, usually the short (8 hex) one.
    const dirs = keys.flatMap((k) => (k.length === 16 ? [k.slice(8), k] : [k]));
    for (const key of dirs) {
      const rel = copyPath(where, key);
      const relPath = rel.join('/');
      const described = relPath === asListed;
      let got: CachedFile;
      try {
        got = await cache.acquire(path.join(...rel), url(plan.topurl, rel), verifier(p, described, url(plan.topurl, rel)), {
          timeoutMs: plan.downloadTimeoutMs,
          retries: plan.retries,
          retryDelayMs: plan.retryDelayMs,
          signal: hooks.signal,
          onBytes: (n) => ((downloadedBytes += n), beat()),
        });
      } catch (err) {
        if (err instanceof KojiDownloadError && err.notFound) continue;
        throw err;
      }
      held.push(path.join(...rel));
      if (got.downloaded) downloaded++;
      records.set(
        p.location,
        described
          ? { ...p, location: got.file }
          : {
              ...p,
              location: got.file,
              pkgid: got.sha256,
              checksumType: 'sha256',
              size: got.size,
              sourcePkgid: p.pkgid,
              headerRange: await rpmHeaderRange(got.file),
            },
      );
      beat();
      return;
    }
    missing.push(`${path.basename(metadataRel)}`);
  };

  // Alive while a slow download sends little: a stalled one ends by its own timeout.
  const ticker = setInterval(() => beat(true), 5000);
  try {
    let next = 0;
    let failed = false;
    const worker = async () => {
      while (!failed && next < wanted.length) {
        hooks.signal?.throwIfAborted();
        const p = wanted[next++];
        try {
          await one(p);
        } catch (err) {
          failed = true;
          throw err;
        }
      }
    };
    const results = await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(plan.concurrency, wanted.length)) }, worker));
    const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (rejected) {
      const err = rejected.reason;
      if (err instanceof KojiDownloadError) throw new GenerationError(err.message);
      if (err instanceof KojiUnavailableError) throw err;
      throw err;
    }
    if (missing.length) {
      missing.sort();
      const names = keys.map((k) => k || '(unsigned)').join(' ');
      throw new GenerationError(`The following packages are not available in Koji signed with any of the keys ${names}: ${missing.join(' ')}.`);
    }
  } catch (err) {
    release();
    throw err;
  } finally {
    clearInterval(ticker);
  }
  beat(true);
  hooks.log?.(`Fetched ${wanted.length} packages from ${plan.topurl}: ${downloaded} downloaded (${downloadedBytes} bytes), ${wanted.length - downloaded} from the cache`);
  return { records, downloaded, downloadedBytes, release };
}
