// Repodata of a compose's arch trees derived from the source repositories' own metadata: the
// closure's primary/filelists/other entries are copied from the source XML (only the location
// rewritten), gzip-compressed and listed in a repomd.xml, as createrepo_c writes them; comps and
// modules metadata are carried over. Each source file is read once for all arch trees, and the
// three types are written in the file threads (file-threads.ts), at once, off the main thread.
import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { copyFile, mkdir, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import { createGzip, gzipSync, type Gzip } from 'node:zlib';
import { GenerationError } from './errors.js';
import { attrs, escapeXml, openDecompressed, scanPackages, SMALL_METADATA } from './mdstream.js';
import type { DeriveJob, DerivedFile } from './file-jobs.js';
import { deriveInThreads } from './file-threads.js';
import { packagePath } from './place.js';
import { hashName } from './digest.js';
import { verifyMetadataFile, type RepoMetadata, type RepomdEntry } from './repodata.js';
import type { PackageRecord } from './types.js';

export const MD_TYPES = [
  { type: 'primary', root: 'metadata', open: '<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm"' },
  { type: 'filelists', root: 'filelists', open: '<filelists xmlns="http://linux.duke.edu/metadata/filelists"' },
  { type: 'other', root: 'otherdata', open: '<otherdata xmlns="http://linux.duke.edu/metadata/other"' },
] as const;
/** Extra metadata carried from the sources when they have it. */
const isCarried = (type: string) => type === 'modules' || type === 'group' || type === 'group_gz';

/** Why a source's metadata cannot be the basis of derived repodata, or undefined when it can. */
export function underivable(repo: RepoMetadata): string | undefined {
  for (const { type } of MD_TYPES) {
    const e = repo.data.get(type);
    if (!e) return `repomd.xml has no ${type} metadata`;
    if (!hashName(e.checksumType)) return `${type} has checksum type ${e.checksumType}`;
  }
  const noId = withoutChecksum(repo);
  if (noId) return `package ${noId} has no checksum`;
  return undefined;
}

/** A package of the repository without a checksum, once per parsed repository (it is asked at each compose). */
const idless = new WeakMap<RepoMetadata, string | null>();
function withoutChecksum(repo: RepoMetadata): string | null {
  let href = idless.get(repo);
  if (href === undefined) idless.set(repo, (href = repo.packages.find((p) => !(p.hasPkgid ?? p.pkgid))?.href ?? null));
  return href;
}

export interface Tree {
  osDir: string;
  packages: PackageRecord[];
}

/** createrepo_c's gzip level (zlib's default). */
const GZIP_LEVEL = 6;

/** Output is handed to gzip in pieces of about this size: one thread-pool job each, not one per package. */
const FLUSH_AT = 256 * 1024;

/**
 * One repodata file being written: gzip on the way out, both checksums computed as it goes. A
 * small one (`inMemory`: its sources are small) is kept as text and compressed in one synchronous
 * call at the end, without a round trip to the thread pool per piece.
 */
export class MdWriter {
  private readonly gzip?: Gzip;
  private readonly out?: WriteStream;
  private readonly openHash = createHash('sha256');
  private readonly hash = createHash('sha256');
  private openSize = 0;
  private size = 0;
  private pending: string[] = [];
  private pendingLength = 0;
  readonly tmp: string;

  constructor(
    private readonly dir: string,
    readonly type: string,
    private readonly suffix = '.xml.gz',
    private readonly inMemory = false,
  ) {
    this.tmp = path.join(dir, `.${type}${suffix}.part`);
    if (inMemory) return;
    this.out = createWriteStream(this.tmp);
    this.gzip = createGzip({ level: GZIP_LEVEL, chunkSize: 64 * 1024 });
    this.gzip.on('data', (b: Buffer) => {
      this.hash.update(b);
      this.size += b.length;
    });
    this.gzip.pipe(this.out);
  }

  /** Queues text; returns a promise when gzip wants the caller to wait (backpressure). */
  write(s: string): Promise<void> | undefined {
    this.pending.push(s);
    this.pendingLength += s.length;
    return this.pendingLength >= FLUSH_AT && !this.inMemory ? this.flush() : undefined;
  }

  private flush(): Promise<void> | undefined {
    if (!this.pending.length || !this.gzip) return undefined;
    const b = Buffer.from(this.pending.join(''), 'utf8');
    this.pending = [];
    this.pendingLength = 0;
    this.openHash.update(b);
    this.openSize += b.length;
    if (!this.gzip.write(b)) return once(this.gzip, 'drain').then(() => undefined);
    return undefined;
  }

  async finish(now: number): Promise<RepomdEntry & { timestamp: number }> {
    if (this.gzip && this.out) {
      await this.flush();
      this.gzip.end();
      await once(this.out, 'close');
    } else {
      const text = Buffer.from(this.pending.join(''), 'utf8');
      this.pending = [];
      this.openHash.update(text);
      this.openSize = text.length;
      const gz = gzipSync(text, { level: GZIP_LEVEL });
      this.hash.update(gz);
      this.size = gz.length;
      await writeFile(this.tmp, gz);
    }
    const checksum = this.hash.digest('hex');
    const href = `repodata/${checksum}-${this.type}${this.suffix}`;
    const file = path.join(path.dirname(this.dir), href);
    await rename(this.tmp, file);
    return {
      type: this.type,
      file,
      href,
      checksumType: 'sha256',
      checksum,
      openChecksumType: 'sha256',
      openChecksum: this.openHash.digest('hex'),
      size: this.size,
      openSize: this.openSize,
      timestamp: now,
    };
  }

  abort(): void {
    this.gzip?.destroy();
    this.out?.destroy();
  }
}

const pkgidOfPrimary = (xml: string) => {
  // createrepo_c's `<checksum type="…" pkgid="YES">…</checksum>`: found by position, no regex over the whole entry.
  const at = xml.indexOf('<checksum');
  const open = at < 0 ? -1 : xml.indexOf('>', at);
  const close = open < 0 ? -1 : xml.indexOf('</checksum>', open);
  if (close < 0 || !/^<checksum[\s>]/.test(xml.slice(at, at + 10))) return /<checksum(?:\s[^>]*)?>([^<]*)<\/checksum>/.exec(xml)?.[1].trim();
  return xml.slice(open + 1, close).trim();
};
const pkgidOfHeader = (xml: string) => {
  // createrepo_c writes `<package pkgid="…" name=…`: read it directly, attributes otherwise.
  if (xml.startsWith('<package pkgid="')) return xml.slice(16, xml.indexOf('"', 16));
  const head = /^<package(\s[^>]*)>/.exec(xml);
  return head ? attrs(head[1]).pkgid : undefined;
};

const LOCATION_RE = /<location\s[^>]*?\/>|<location\s[^>]*>\s*<\/location>/;

/** The primary entry with its location pointing into the compose tree (no xml:base). */
function relocate(xml: string, href: string): string {
  const location = `<location href="${escapeXml(href)}"/>`;
  // createrepo_c's `<location href="…"/>` (one per entry) spliced by position; anything else by the regex.
  const at = xml.indexOf('<location ');
  const end = at < 0 ? -1 : xml.indexOf('>', at);
  if (end > 0 && xml.charCodeAt(end - 1) === 47 /* / */ && xml.indexOf('<location', end) < 0) return xml.slice(0, at) + location + xml.slice(end + 1);
  return xml.replace(LOCATION_RE, location);
}

/**
 * The entry of a package whose placed file differs from the one the source describes (a signed
 * copy): pkgid, checksum, file size and header range are the placed file's.
 */
function placedFile(type: string, xml: string, p: Placed): string {
  if (type !== 'primary') return xml.replace(/^(<package\s[^>]*?pkgid=")[^"]*"/, `$1${p.pkgid}"`);
  let out = xml
    .replace(/<checksum(\s[^>]*)?>[^<]*<\/checksum>/, `<checksum type="${p.checksumType}" pkgid="YES">${p.pkgid}</checksum>`)
    .replace(/(<size\s[^>]*?package=")\d+"/, `$1${p.size}"`);
  if (p.headerRange) out = out.replace(/<rpm:header-range\s[^>]*?\/>/, `<rpm:header-range start="${p.headerRange.start}" end="${p.headerRange.end}"/>`);
  return out;
}

function repomdXml(revision: number, entries: Array<RepomdEntry & { timestamp: number }>): string {
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">',
    `  <revision>${revision}</revision>`,
  ];
  for (const e of entries) {
    lines.push(`  <data type="${escapeXml(e.type)}">`, `    <checksum type="${e.checksumType}">${e.checksum}</checksum>`);
    if (e.openChecksum) lines.push(`    <open-checksum type="${e.openChecksumType}">${e.openChecksum}</open-checksum>`);
    lines.push(`    <location href="${escapeXml(e.href)}"/>`, `    <timestamp>${e.timestamp}</timestamp>`);
    if (e.size !== undefined) lines.push(`    <size>${e.size}</size>`);
    if (e.openSize !== undefined) lines.push(`    <open-size>${e.openSize}</open-size>`);
    lines.push('  </data>');
  }
  lines.push('</repomd>', '');
  return lines.join('\n');
}

export interface DeriveHooks {
  heartbeat?: (detail: string) => void;
  signal?: AbortSignal;
  log?: (message: string) => void;
}

/** The placed file's fields, where it is not the file the source describes (a signed copy). */
interface Placed {
  pkgid: string;
  checksumType: string;
  size: number;
  headerRange?: { start: number; end: number };
}

/** What the derivation needs of one package of one tree: plain data, it crosses to a file thread. */
interface Wanted {
  repo: string;
  /** The package's pkgid in the source metadata. */
  id: string;
  href: string;
  /** Its location in the tree (Packages/<letter>/<file>). */
  path: string;
  placed?: Placed;
}

/** Per tree: repository -> source pkgid -> the package, and how many distinct packages. */
interface TreeWants {
  byRepo: Map<string, Map<string, Wanted>>;
  count: number;
}

const FIELDS = 10;

/** The trees' packages as one string for the file threads (a string crosses as one copy): fixed fields, NUL-separated. */
function encodeWanted(trees: Tree[]): string {
  const parts: Array<string | number> = [];
  for (const [t, tree] of trees.entries()) {
    for (const p of tree.packages) {
      const signed = p.sourcePkgid !== undefined;
      parts.push(t, p.repo, p.sourcePkgid ?? p.pkgid ?? '', p.href, packagePath(p), signed ? (p.pkgid ?? '') : '', p.checksumType ?? 'sha256', p.size ?? 0, p.headerRange?.start ?? '', p.headerRange?.end ?? '');
    }
  }
  return parts.join('\0');
}

function decodeWanted(text: string, trees: number): TreeWants[] {
  const out = Array.from({ length: trees }, (): TreeWants => ({ byRepo: new Map(), count: 0 }));
  const f = text.split('\0');
  for (let i = 0; i + FIELDS <= f.length; i += FIELDS) {
    const w = out[Number(f[i])];
    const repo = f[i + 1];
    let m = w.byRepo.get(repo);
    if (!m) w.byRepo.set(repo, (m = new Map()));
    const id = f[i + 2];
    if (!m.has(id)) w.count++;
    const placed: Placed | undefined = f[i + 5]
      ? { pkgid: f[i + 5], checksumType: f[i + 6], size: Number(f[i + 7]), headerRange: f[i + 8] === '' ? undefined : { start: Number(f[i + 8]), end: Number(f[i + 9]) } }
      : undefined;
    m.set(id, { repo, id, href: f[i + 3], path: f[i + 4], placed });
  }
  return out;
}


/** Writes one metadata type (primary, filelists or other) for every tree; its repomd entries in tree order. Runs in a file thread. */
export async function deriveMdType(job: DeriveJob, signal: AbortSignal): Promise<DerivedFile[]> {
  const md = MD_TYPES.find((m) => m.type === job.type)!;
  const wanted = decodeWanted(job.wanted, job.osDirs.length);
  const out: DerivedFile[] = [];
  // Small sources make small files: written in memory, compressed at the end.
  let stored = 0;
  for (const r of job.repos) stored += r.entry.size ?? (await stat(r.entry.file)).size;
  const writers = job.osDirs.map((d) => new MdWriter(path.join(d, 'repodata'), md.type, '.xml.gz', stored <= SMALL_METADATA));
  try {
    const emitted = job.osDirs.map(() => new Set<Wanted>());
    for (const [i, w] of writers.entries()) await w.write(`<?xml version="1.0" encoding="UTF-8"?>\n${md.open} packages="${wanted[i].count}">\n`);
    for (const repo of job.repos) {
      await verifyMetadataFile(repo.path, repo.entry);
      signal.throwIfAborted();
      const inRepo = wanted.map((w) => w.byRepo.get(repo.path));
      await scanPackages(repo.path, repo.entry.file, md.root, (xml) => {
        signal.throwIfAborted();
        const pkgid = md.type === 'primary' ? pkgidOfPrimary(xml) : pkgidOfHeader(xml);
        if (!pkgid) return;
        let wait: Promise<void> | undefined;
        for (let i = 0; i < writers.length; i++) {
          const p = inRepo[i]?.get(pkgid);
          if (p === undefined || emitted[i].has(p)) continue;
          emitted[i].add(p);
          const entry = p.placed === undefined ? xml : placedFile(md.type, xml, p.placed);
          wait = writers[i].write((md.type === 'primary' ? relocate(entry, p.path) : entry) + '\n') ?? wait;
        }
        return wait;
      });
    }
    for (let i = 0; i < writers.length; i++) {
      if (emitted[i].size !== wanted[i].count) {
        const lost = [...wanted[i].byRepo.values()].flatMap((m) => [...m.values()]).find((p) => !emitted[i].has(p))!;
        const entry = job.repos.find((r) => r.path === lost.repo)?.entry;
        throw new GenerationError(
          `Repository ${lost.repo}: metadata file ${entry?.href ?? md.type} has no entry for ${lost.href} (pkgid ${lost.id}) listed in its primary metadata.`,
        );
      }
      await writers[i].write(`</${md.root}>\n`);
      out.push(await writers[i].finish(job.now));
    }
  } catch (e) {
    for (const w of writers) w.abort();
    throw e;
  }
  return out;
}

/**
 * Writes repodata/ into each tree's osDir for its packages, from the metadata of `sources` (the
 * repositories the packages were read from, all derivable). A source entry missing from filelists
 * or other, or a source file that does not match repomd.xml, fails naming the repository and file.
 */
export async function writeDerivedRepodata(trees: Tree[], sources: RepoMetadata[], hooks: DeriveHooks = {}): Promise<void> {
  if (!trees.length) return;
  const now = Math.floor(Date.now() / 1000);
  const used = sources.filter((r) => trees.some((t) => t.packages.some((p) => p.repo === r.path)));
  await Promise.all(trees.map((t) => mkdir(path.join(t.osDir, 'repodata'), { recursive: true })));
  const entries: DerivedFile[][] = trees.map(() => []);

  // The three files are written at once, each in a file thread (gzip and gunzip in the thread pool).
  const wanted = encodeWanted(trees);
  const osDirs = trees.map((t) => t.osDir);
  const jobs: DeriveJob[] = MD_TYPES.map((md) => ({ type: md.type, osDirs, wanted, repos: used.map((r) => ({ path: r.path, entry: r.data.get(md.type)! })), now }));
  const written = await deriveInThreads(jobs, { signal: hooks.signal, done: (j) => hooks.heartbeat?.(`${jobs[j].type} metadata written`) });
  for (const files of written) for (const [i, e] of files.entries()) entries[i].push(e);

  // comps and modules: carried as the first source that has them wrote them (modules of several
  // sources are concatenated: modules.yaml is a stream of YAML documents).
  for (const [i, t] of trees.entries()) {
    const carried = new Map<string, RepomdEntry[]>();
    for (const repo of used) for (const [type, e] of repo.data) if (isCarried(type)) carried.set(type, [...(carried.get(type) ?? []), e]);
    for (const [type, list] of carried) {
      const repoOf = (e: RepomdEntry) => used.find((r) => r.data.get(type) === e)!.path;
      for (const e of list) await verifyMetadataFile(repoOf(e), e);
      if (type === 'modules' && list.length > 1) {
        const w = new MdWriter(path.join(t.osDir, 'repodata'), 'modules', '.yaml.gz');
        try {
          for (const e of list) {
            for await (const chunk of openDecompressed(e.file)) {
              const wait = w.write((chunk as Buffer).toString('utf8'));
              if (wait) await wait;
            }
            await w.write('\n');
          }
          entries[i].push(await w.finish(now));
        } catch (err) {
          w.abort();
          throw err;
        }
        continue;
      }
      if (list.length > 1) hooks.log?.(`${type} metadata of ${list.slice(1).map(repoOf).join(', ')} not carried: only one ${type} file per repository`);
      const e = list[0];
      const base = path.basename(e.href).replace(/^[0-9a-f]{32,128}-/, '');
      const href = `repodata/${e.checksum}-${base}`;
      await copyFile(e.file, path.join(t.osDir, href));
      entries[i].push({ ...e, href, file: path.join(t.osDir, href), timestamp: now });
    }
    await writeRepomd(t.osDir, now, entries[i]);
  }
}

export async function writeRepomd(osDir: string, revision: number, entries: Array<RepomdEntry & { timestamp: number }>): Promise<void> {
  const tmp = path.join(osDir, 'repodata', '.repomd.xml.part');
  const out = createWriteStream(tmp);
  out.end(repomdXml(revision, entries));
  await once(out, 'close');
  await rename(tmp, path.join(osDir, 'repodata', 'repomd.xml'));
}
