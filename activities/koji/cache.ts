// The RPM download cache shared by the composes of one worker process: files laid out as Koji
// serves them (`packages/<name>/<version>/<release>/[data/signed/<key>/]<arch>/<nvra>.rpm`) under
// ${DATA_DIR}/koji-cache, bounded in size (KOJI_CACHE_MAX_BYTES) with least-recently-used
// eviction. A file a running compose holds (acquire .. release) is never evicted; concurrent
// requests for one file share one download; downloads appear by rename only (download.ts), and
// temp files of killed downloads are swept at start.
import { readdir, rm, stat, unlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import { cachedDigest, rememberDigest } from '../generate/digest.js';
import { downloadVerified, isPartName, type Downloaded, type DownloadOptions } from './download.js';

const STALE_PART_MS = 3600_000;

export interface CachedFile {
  /** Absolute path in the cache. */
  file: string;
  size: number;
  sha256: string;
  /** Fetched now (false: it was in the cache). */
  downloaded: boolean;
}

interface Entry {
  size: number;
  pins: number;
}

export class PackageCache {
  /** Relative path -> entry, least recently used first (Map order, refreshed on use). */
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<CachedFile>>();
  private total = 0;
  private loaded: Promise<void> | null = null;
  /** Bytes downloaded and files evicted since start (for logs, tests and benchmarks). */
  readonly stats = { downloadedBytes: 0, downloads: 0, evictions: 0, evictedBytes: 0 };

  constructor(
    readonly root: string,
    public maxBytes: number,
  ) {}

  get bytes(): number {
    return this.total;
  }

  /** Files now in the cache, relative paths, least recently used first. */
  files(): string[] {
    return [...this.entries.keys()];
  }

  private load(): Promise<void> {
    this.loaded ??= (async () => {
      const found: Array<{ rel: string; size: number; used: number }> = [];
      const walk = async (dir: string): Promise<void> => {
        let names;
        try {
          names = await readdir(dir, { withFileTypes: true });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
          throw err;
        }
        for (const d of names) {
          const p = path.join(dir, d.name);
          if (d.isDirectory()) await walk(p);
          else if (d.isFile()) {
            const st = await stat(p).catch(() => null);
            if (!st) continue;
            // A killed download's temp file: never visible as a package; swept once surely dead.
            if (isPartName(d.name)) {
              if (Date.now() - st.mtimeMs > STALE_PART_MS) await unlink(p).catch(() => {});
            } else if (d.name.endsWith('.rpm')) found.push({ rel: path.relative(this.root, p), size: st.size, used: st.mtimeMs });
          }
        }
      };
      await walk(path.join(this.root, 'packages'));
      for (const f of found.sort((a, b) => a.used - b.used)) {
        if (this.entries.has(f.rel)) continue;
        this.entries.set(f.rel, { size: f.size, pins: 0 });
        this.total += f.size;
      }
    })();
    return this.loaded;
  }

  private touch(rel: string, e: Entry): void {
    this.entries.delete(rel);
    this.entries.set(rel, e);
    // The file's mtime is its last use, so the order survives a restart.
    const now = new Date();
    void utimes(path.join(this.root, rel), now, now).catch(() => {});
  }

  /**
   * The file at `rel` (segments under the topurl, which is also its place under the root), pinned
   * until release(rel). Downloaded from `url` unless cached, checked by `verify` on download.
   * Throws what downloadVerified throws (KojiDownloadError with notFound for a 404).
   */
  async acquire(rel: string, url: string, verify: (tmp: string, got: Downloaded) => Promise<void>, opts: DownloadOptions): Promise<CachedFile> {
    await this.load();
    const key = path.normalize(rel);
    if (key.startsWith('..') || path.isAbsolute(key) || !key.startsWith(`packages${path.sep}`)) throw new Error(`Not a cache path: ${rel}`);
    const have = this.entries.get(key);
    if (have) {
      have.pins++;
      this.touch(key, have);
      const file = path.join(this.root, key);
      try {
        const d = await cachedDigest(file, 'sha256');
        return { file, size: d.size, sha256: d.digest, downloaded: false };
      } catch (err) {
        have.pins--;
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        // Removed behind our back (another process's eviction): fetch it again.
        this.forget(key);
      }
    }
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.download(key, url, verify, opts).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    const got = await pending;
    const e = this.entries.get(key);
    if (!e) throw new Error(`${key} left the cache while it was being fetched`);
    e.pins++;
    return got;
  }

  private async download(key: string, url: string, verify: (tmp: string, got: Downloaded) => Promise<void>, opts: DownloadOptions): Promise<CachedFile> {
    const file = path.join(this.root, key);
    const got = await downloadVerified(url, file, verify, opts);
    await rememberDigest(file, 'sha256', got.sha256).catch(() => {});
    this.stats.downloads++;
    this.stats.downloadedBytes += got.size;
    // Pinned for the caller before eviction runs, so a new file cannot evict itself.
    const e: Entry = { size: got.size, pins: 0 };
    this.forget(key);
    this.entries.set(key, e);
    this.total += got.size;
    e.pins++;
    await this.evict();
    e.pins--;
    return { file, size: got.size, sha256: got.sha256, downloaded: true };
  }

  release(rel: string): void {
    const e = this.entries.get(path.normalize(rel));
    if (e && e.pins > 0) e.pins--;
  }

  private forget(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.total -= e.size;
  }

  /** Least recently used unpinned files go until the cache is within its bound (0: no bound). */
  async evict(): Promise<void> {
    if (!this.maxBytes) return;
    for (const [key, e] of [...this.entries]) {
      if (this.total <= this.maxBytes) break;
      // Skipped: in use, being fetched, or gone already (another eviction running alongside).
      if (e.pins > 0 || this.inflight.has(key) || this.entries.get(key) !== e) continue;
      this.forget(key);
      this.stats.evictions++;
      this.stats.evictedBytes += e.size;
      await rm(path.join(this.root, key), { force: true });
    }
  }
}

const caches = new Map<string, PackageCache>();

/** The process's cache for this root (shared by all composes); the bound is the latest asked for. */
export function packageCache(root: string, maxBytes: number): PackageCache {
  let c = caches.get(root);
  if (!c) caches.set(root, (c = new PackageCache(root, maxBytes)));
  c.maxBytes = maxBytes;
  return c;
}
