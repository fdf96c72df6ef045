// A Koji tag mirrored whole (the fallback when no Koji repository of the tag fits, see
// tag-sources/koji.ts): each RPM is downloaded once from the topurl into a content cache laid
// out like Koji's own (`packages/<name>/<version>/<release>/<arch>/<file>`), then a tag at an event
// becomes a mirror directory of hard links into that cache with createrepo_c metadata. Files and
// mirrors appear by rename only, so whatever is present is complete, and concurrent or killed
// attempts never leave a half-written file where a complete one is expected.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, link, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createrepo } from '../generate/createrepo.js';
import type { KojiBuild, KojiRpm } from './client.js';
import { downloadVerified, KojiDownloadError, type DownloadOptions } from './download.js';
import { rpmPayloadHash } from './rpm-header.js';

export { KojiDownloadError } from './download.js';

export const MIRROR_MARKER = '.odcs-koji-mirror.json';
const STALE_TEMP_MS = 3600_000;

function safeSegment(s: string, what: string): string {
  if (!s || s === '.' || s === '..' || /[/\\\0]/.test(s)) throw new KojiDownloadError(`Koji returned an unusable ${what} ${JSON.stringify(s)}.`);
  return s;
}

export function rpmFileName(rpm: Pick<KojiRpm, 'name' | 'version' | 'release' | 'arch'>): string {
  return safeSegment(`${rpm.name}-${rpm.version}-${rpm.release}.${rpm.arch}.rpm`, 'RPM file name');
}

/**
 * Where Koji serves an RPM, relative to the topurl (koji.PathInfo.rpm under the build's directory):
 * `[vol/<volume>/]packages/<package_name>/<build version>/<build release>/<arch>/<n-v-r.a>.rpm`.
 */
export function rpmRelPath(build: Pick<KojiBuild, 'package_name' | 'version' | 'release' | 'volume_name'>, rpm: KojiRpm): string[] {
  const vol = build.volume_name && build.volume_name !== 'DEFAULT' ? ['vol', safeSegment(build.volume_name, 'volume name')] : [];
  return [
    ...vol,
    'packages',
    safeSegment(build.package_name, 'package name'),
    safeSegment(build.version, 'version'),
    safeSegment(build.release, 'release'),
    safeSegment(rpm.arch, 'arch'),
    rpmFileName(rpm),
  ];
}

export function rpmUrl(topurl: string, segments: string[]): string {
  return `${topurl.replace(/\/+$/, '')}/${segments.map(encodeURIComponent).join('/')}`;
}

async function linkOrCopy(src: string, dest: string): Promise<void> {
  try {
    await link(src, dest);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK') throw err;
    await copyFile(src, dest, constants.COPYFILE_FICLONE);
  }
}

async function sizeOf(p: string): Promise<number | null> {
  try {
    return (await stat(p)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

async function verify(file: string, rpm: KojiRpm, url: string): Promise<void> {
  if (typeof rpm.size === 'number') {
    const size = await sizeOf(file);
    if (size !== rpm.size) throw new KojiDownloadError(`${url} has ${size} bytes, Koji says ${rpm.size}.`, true);
  }
  if (rpm.payloadhash && /^[0-9a-f]{32}$/i.test(rpm.payloadhash)) {
    let hash: string;
    try {
      hash = await rpmPayloadHash(file);
    } catch (err) {
      throw new KojiDownloadError(`${url}: ${(err as Error).message}.`, true);
    }
    if (hash !== rpm.payloadhash.toLowerCase()) throw new KojiDownloadError(`${url} does not match Koji's payloadhash ${rpm.payloadhash}.`, true);
  }
}

/**
 * The RPM in the cache at `dest`, downloading it unless it is already there, checked against
 * Koji's size and payloadhash. 'hit' when nothing was fetched.
 */
export async function cacheRpm(url: string, dest: string, rpm: KojiRpm, opts: DownloadOptions): Promise<'hit' | 'downloaded'> {
  const have = await sizeOf(dest);
  if (have !== null && (typeof rpm.size !== 'number' || have === rpm.size)) return 'hit';
  await downloadVerified(url, dest, (tmp) => verify(tmp, rpm, url), opts);
  return 'downloaded';
}

/** Runs `fn` over `items` with at most `n` at a time; the first error stops new work and is thrown. */
export async function mapLimit<T>(items: readonly T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, worker));
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
}

export interface MirrorMarker {
  tag: string;
  event: number;
  inherit: boolean;
  arches: string[] | null;
  rpms: number;
  created: string;
}

export async function readMirrorMarker(dir: string): Promise<MirrorMarker | null> {
  try {
    return JSON.parse(await readFile(path.join(dir, MIRROR_MARKER), 'utf8')) as MirrorMarker;
  } catch {
    return null;
  }
}

/** Complete mirrors named `<prefix>@<event>` under `root`, newest event first. */
export async function completeMirrors(root: string, prefix: string): Promise<Array<{ event: number; dir: string }>> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: Array<{ event: number; dir: string }> = [];
  for (const name of names) {
    if (!name.startsWith(`${prefix}@`)) continue;
    const event = name.slice(prefix.length + 1);
    if (!/^\d+$/.test(event)) continue;
    const dir = path.join(root, name);
    if (await readMirrorMarker(dir)) out.push({ event: Number(event), dir });
  }
  return out.sort((a, b) => b.event - a.event);
}

/** Removes temp dirs that killed attempts left behind (not recent ones: another attempt may own them). */
async function removeStaleTemps(root: string): Promise<void> {
  for (const name of await readdir(root).catch(() => [] as string[])) {
    if (!name.startsWith('.tmp-')) continue;
    const p = path.join(root, name);
    const st = await stat(p).catch(() => null);
    if (st && Date.now() - st.mtimeMs > STALE_TEMP_MS) await rm(p, { recursive: true, force: true });
  }
}

/**
 * Makes `dir` a yum repository of hard links to `files` (cache path -> file name), unless it is
 * already complete. Built in a temp dir and renamed into place, with the marker written last.
 */
export async function assembleMirror(dir: string, files: Array<{ cachePath: string; fileName: string }>, marker: MirrorMarker): Promise<void> {
  if (await readMirrorMarker(dir)) return;
  const root = path.dirname(dir);
  await mkdir(root, { recursive: true });
  await removeStaleTemps(root);
  const tmp = path.join(root, `.tmp-${path.basename(dir)}-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(path.join(tmp, 'Packages'), { recursive: true });
    for (const f of files) await linkOrCopy(f.cachePath, path.join(tmp, 'Packages', f.fileName));
    await createrepo(tmp);
    await writeFile(path.join(tmp, MIRROR_MARKER), `${JSON.stringify(marker, null, 2)}\n`);
    try {
      await rename(tmp, dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw err;
      if (await readMirrorMarker(dir)) return; // another attempt finished first
      // An incomplete directory under the final name cannot come from us; replace it.
      await rm(dir, { recursive: true, force: true });
      await rename(tmp, dir);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
