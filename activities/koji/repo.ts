// A Koji tag's repository metadata made local: `<topurl>/repos/<tag>/<repo_id>/<arch>/repodata/`
// (Koji's pathinfo.repo layout; package locations in it are `toplink/packages/…`, relative to the
// topurl) copied into ${DATA_DIR}/koji-cache/repos/<tag>/<repo_id>/<arch>/, without packages. The
// generator depsolves against it and fetches only the closure (fetch.ts). Each file is checked
// against repomd.xml and the directory appears by rename, complete; a repo id never changes, so a
// complete copy is used as it is, and its parse is cached by the generator like any source's.
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { MD_TYPES, MdWriter, writeRepomd } from '../generate/derive.js';
import { GenerationError } from '../generate/errors.js';
import { attrs, scanPackages } from '../generate/mdstream.js';
import { parseRepomd, verifyMetadataFile, type RepomdEntry } from '../generate/repodata.js';
import { downloadVerified, KojiDownloadError, type DownloadOptions } from './download.js';

/** The metadata the generator reads (primary/filelists/other, comps, modules); sqlite and the rest stay remote. */
const WANTED = new Set(['primary', 'filelists', 'other', 'group', 'group_gz', 'modules']);
/** Repo ids kept per tag; older copies go once a day old (a queued compose may still read one). */
const KEEP = 2;
const KEEP_MS = 86_400_000;

const segment = (s: string) => encodeURIComponent(s);

export function repoMetadataDir(cacheRoot: string, tag: string, repoId: number, arch: string): string {
  return path.join(cacheRoot, 'repos', segment(tag), String(repoId), arch);
}

async function complete(dir: string): Promise<boolean> {
  return (await stat(path.join(dir, 'repodata', 'repomd.xml')).catch(() => null)) !== null;
}

/** The local copy of the repo's metadata for `arch`, fetched unless already complete. */
export async function fetchRepoMetadata(
  topurl: string,
  cacheRoot: string,
  tag: string,
  repoId: number,
  arch: string,
  opts: DownloadOptions,
): Promise<{ dir: string; fetched: boolean }> {
  const dir = repoMetadataDir(cacheRoot, tag, repoId, arch);
  if (await complete(dir)) return { dir, fetched: false };
  const base = `${topurl.replace(/\/+$/, '')}/repos/${[tag, String(repoId), arch].map(encodeURIComponent).join('/')}`;
  const tmp = path.join(path.dirname(dir), `.tmp-${arch}-${randomBytes(4).toString('hex')}`);
  try {
    const any = async () => {};
    await downloadVerified(`${base}/repodata/repomd.xml`, path.join(tmp, 'repodata', 'repomd.xml'), any, opts);
    const repomdFile = path.join(tmp, 'repodata', 'repomd.xml');
    const { data } = parseRepomd(tmp, repomdFile, await readFile(repomdFile, 'utf8'));
    for (const entry of data.values()) {
      if (!WANTED.has(entry.type)) continue;
      const rel = path.relative(tmp, entry.file).split(path.sep);
      await downloadVerified(
        `${base}/${rel.map(encodeURIComponent).join('/')}`,
        entry.file,
        async (part) => {
          try {
            await verifyMetadataFile(tmp, { ...entry, file: part });
          } catch (err) {
            if (err instanceof GenerationError) {
              const why = err.message.replace(/^Repository \S+: metadata file \S+ is unusable: /, '').replace(/\.$/, '');
              throw new KojiDownloadError(`Koji repo metadata ${base}/${rel.join('/')} is unusable: ${why}.`, true);
            }
            throw err;
          }
        },
        opts,
      );
    }
    try {
      await rename(tmp, dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw err;
      if (!(await complete(dir))) throw err;
      return { dir, fetched: false }; // another attempt finished first
    }
  } catch (err) {
    if (err instanceof KojiDownloadError && err.notFound) {
      throw new KojiDownloadError(`Koji repo ${repoId} of tag "${tag}" has no ${arch} metadata: ${err.message}`, false, true);
    }
    throw err;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  await prune(path.join(cacheRoot, 'repos', segment(tag)), repoId);
  return { dir, fetched: true };
}

const pkgidOf = (type: string, xml: string) =>
  type === 'primary' ? /<checksum(?:\s[^>]*)?>([^<]*)<\/checksum>/.exec(xml)?.[1].trim() : attrs(/^<package(\s[^>]*)>/.exec(xml)?.[1] ?? '').pkgid;

/**
 * The repo's metadata for several arches as one source: Koji keeps one directory per arch (noarch
 * packages in each), the generator takes one set of sources for all arch trees. primary, filelists
 * and other are the union of the arches' entries (each package once, by pkgid); comps and modules
 * come from the first arch. Built in a temp dir and renamed into place, like a single arch.
 */
export async function fetchRepoMetadataForArches(
  topurl: string,
  cacheRoot: string,
  tag: string,
  repoId: number,
  arches: string[],
  opts: DownloadOptions,
): Promise<string> {
  const dirs: string[] = [];
  for (const arch of arches) dirs.push((await fetchRepoMetadata(topurl, cacheRoot, tag, repoId, arch, opts)).dir);
  if (dirs.length === 1) return dirs[0];
  const dir = repoMetadataDir(cacheRoot, tag, repoId, arches.join('+'));
  if (await complete(dir)) return dir;
  const sources = await Promise.all(
    dirs.map(async (d) => {
      const repomd = path.join(d, 'repodata', 'repomd.xml');
      return { dir: d, data: parseRepomd(d, repomd, await readFile(repomd, 'utf8')).data };
    }),
  );
  const tmp = path.join(path.dirname(dir), `.tmp-merge-${randomBytes(4).toString('hex')}`);
  const now = Math.floor(Date.now() / 1000);
  try {
    await mkdir(path.join(tmp, 'repodata'), { recursive: true });
    const entries: Array<RepomdEntry & { timestamp: number }> = [];
    // The union's pkgids first: each file's root element states its package count.
    const union = new Set<string>();
    for (const s of sources) {
      const e = s.data.get('primary');
      if (!e) throw new GenerationError(`Repository ${s.dir} has no primary metadata in repomd.xml.`);
      await verifyMetadataFile(s.dir, e);
      await scanPackages(s.dir, e.file, 'metadata', (xml) => void union.add(pkgidOf('primary', xml) ?? ''));
    }
    for (const md of MD_TYPES) {
      const w = new MdWriter(path.join(tmp, 'repodata'), md.type);
      try {
        await w.write(`<?xml version="1.0" encoding="UTF-8"?>\n${md.open} packages="${union.size}">\n`);
        const seen = new Set<string>();
        for (const s of sources) {
          const e = s.data.get(md.type);
          if (!e) throw new GenerationError(`Repository ${s.dir} has no ${md.type} metadata in repomd.xml.`);
          await verifyMetadataFile(s.dir, e);
          await scanPackages(s.dir, e.file, md.root, async (xml) => {
            const id = pkgidOf(md.type, xml) ?? '';
            if (seen.has(id)) return;
            seen.add(id);
            const wait = w.write(xml + '\n');
            if (wait) await wait;
          });
        }
        if (seen.size !== union.size) throw new GenerationError(`Koji repo ${repoId} of tag "${tag}": ${md.type} and primary list different packages.`);
        await w.write(`</${md.root}>\n`);
        entries.push(await w.finish(now));
      } catch (err) {
        w.abort();
        throw err;
      }
    }
    for (const [type, e] of sources[0].data) {
      if (!WANTED.has(type) || MD_TYPES.some((m) => m.type === type)) continue;
      await verifyMetadataFile(sources[0].dir, e);
      const file = path.join(tmp, e.href);
      await mkdir(path.dirname(file), { recursive: true });
      await copyFile(e.file, file);
      entries.push({ ...e, file, timestamp: now });
    }
    await writeRepomd(tmp, now, entries);
    try {
      await rename(tmp, dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'EEXIST' && code !== 'ENOTEMPTY') || !(await complete(dir))) throw err;
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return dir;
}

/** Keeps the newest KEEP repo ids' copies, and any copy less than a day old. */
async function prune(tagDir: string, current: number): Promise<void> {
  const ids = (await readdir(tagDir).catch(() => [] as string[])).filter((n) => /^\d+$/.test(n)).map(Number);
  for (const id of ids.filter((i) => i < current).sort((a, b) => b - a).slice(KEEP - 1)) {
    const dir = path.join(tagDir, String(id));
    const st = await stat(dir).catch(() => null);
    if (st && Date.now() - st.mtimeMs > KEEP_MS) await rm(dir, { recursive: true, force: true });
  }
}
