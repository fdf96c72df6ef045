// A Koji tag's repository metadata made local: `<topurl>/repos/<tag>/<repo_id>/<arch>/repodata/`
// (Koji's pathinfo.repo layout; package locations in it are `toplink/packages/…`, relative to the
// topurl) copied into ${DATA_DIR}/koji-cache/repos/<tag>/<repo_id>/<arch>/, without packages. The
// generator depsolves against it and fetches only the closure (fetch.ts). Each file is checked
// against repomd.xml and the directory appears by rename, complete; a repo id never changes, so a
// complete copy is used as it is, and its parse is cached by the generator like any source's.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseRepomd, verifyMetadataFile } from '../generate/repodata.js';
import { GenerationError } from '../generate/errors.js';
import { downloadVerified, KojiDownloadError, type DownloadOptions } from './download.js';

/** The metadata the generator reads (primary/filelists/other, comps, modules); sqlite and the rest stay remote. */
const WANTED = new Set(['primary', 'filelists', 'other', 'group', 'group_gz', 'modules']);
/** Repo ids kept per tag and arch; older copies go once a day old (a queued compose may still read one). */
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
            if (err instanceof GenerationError) throw new KojiDownloadError(`${base}/${rel.join('/')}: ${err.message}`, true);
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
  await prune(path.join(cacheRoot, 'repos', segment(tag)), arch, repoId);
  return { dir, fetched: true };
}

/** Keeps the newest KEEP repo ids' copies of this arch, and any copy less than a day old. */
async function prune(tagDir: string, arch: string, current: number): Promise<void> {
  const ids = (await readdir(tagDir).catch(() => [] as string[])).filter((n) => /^\d+$/.test(n)).map(Number);
  for (const id of ids.filter((i) => i < current).sort((a, b) => b - a).slice(KEEP - 1)) {
    const dir = path.join(tagDir, String(id), arch);
    const st = await stat(dir).catch(() => null);
    if (st && Date.now() - st.mtimeMs > KEEP_MS) await rm(dir, { recursive: true, force: true });
  }
}
