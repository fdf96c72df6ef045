// Reads a local yum repository's metadata: repomd.xml (with each file's checksums), primary.xml
// into PackageRecords, and filelists on demand. Every metadata file is checked against the
// checksum repomd.xml gives for it, and parsed sources are kept per repository revision (the
// repomd.xml content) so a second compose from an unchanged source does not parse it again.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cachedDigest, hashName } from './digest.js';
import { GenerationError } from './errors.js';
import { attr, attrs, badMetadata, scanPackages, unescapeXml } from './mdstream.js';
import type { Dep, DepFlag, PackageRecord } from './types.js';

/** One `<data>` entry of repomd.xml. */
export interface RepomdEntry {
  type: string;
  /** Absolute path of the file. */
  file: string;
  href: string;
  checksumType: string;
  checksum: string;
  openChecksumType?: string;
  openChecksum?: string;
  size?: number;
  openSize?: number;
}

export interface RepoMetadata {
  /** Absolute repo path (the directory containing repodata/). */
  path: string;
  revision: string;
  /** sha256 of repomd.xml: what the parse cache is keyed by. */
  repomdDigest: string;
  packages: PackageRecord[];
  /** repomd.xml's entries by type (primary, filelists, other, group, modules, …). */
  data: Map<string, RepomdEntry>;
  /** Absolute path of filelists.xml(.gz), if the repo has one. */
  filelists?: string;
  /** Full file lists have been merged into the records (see mergeFilelists). */
  fullFiles?: boolean;
}

const text = (xml: string, tag: string): string | undefined => {
  const m = new RegExp(`<${tag}(?:\\s[^>]*)?>([^<]*)</${tag}>`).exec(xml);
  return m ? unescapeXml(m[1]) : undefined;
};
const tagAttrs = (xml: string, tag: string): Record<string, string> | undefined => {
  const m = new RegExp(`<${tag}(\\s[^>]*?)?/?>`).exec(xml);
  return m ? attrs(m[1] ?? '') : undefined;
};

/** Parses repomd.xml; exported for tests and derive.ts. */
export function parseRepomd(repoPath: string, repomdPath: string, xml: string): { revision: string; data: Map<string, RepomdEntry> } {
  if (!/<repomd[\s>]/.test(xml) || !/<\/repomd>/.test(xml)) throw badMetadata(repoPath, repomdPath, 'not a complete repomd.xml document');
  const data = new Map<string, RepomdEntry>();
  for (const m of xml.matchAll(/<data(\s[^>]*)>([\s\S]*?)<\/data>/g)) {
    const type = attrs(m[1]).type;
    const body = m[2];
    const href = tagAttrs(body, 'location')?.href;
    const sum = /<checksum\s+type="([^"]+)"\s*>([^<]*)<\/checksum>/.exec(body);
    if (!type || !href || !sum) throw badMetadata(repoPath, repomdPath, `a <data> entry lacks its type, location or checksum`);
    const open = /<open-checksum\s+type="([^"]+)"\s*>([^<]*)<\/open-checksum>/.exec(body);
    const num = (t: string) => {
      const v = text(body, t);
      return v === undefined ? undefined : Number(v);
    };
    const file = path.resolve(repoPath, href);
    if (!file.startsWith(repoPath + path.sep)) throw badMetadata(repoPath, repomdPath, `location ${href} leaves the repository`);
    data.set(type, {
      type,
      file,
      href,
      checksumType: sum[1],
      checksum: sum[2].trim(),
      openChecksumType: open?.[1],
      openChecksum: open?.[2].trim(),
      size: num('size'),
      openSize: num('open-size'),
    });
  }
  return { revision: text(xml, 'revision') ?? '', data };
}

async function readRepomdText(repoPath: string): Promise<{ xml: string; file: string }> {
  if (!path.isAbsolute(repoPath)) throw new GenerationError(`Repository path ${repoPath} is not absolute.`);
  const st = await stat(repoPath).catch(() => undefined);
  if (!st?.isDirectory()) throw new GenerationError(`Repository ${repoPath} does not exist.`);
  const file = path.join(repoPath, 'repodata', 'repomd.xml');
  try {
    return { xml: await readFile(file, 'utf8'), file };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new GenerationError(`Repository ${repoPath} has no repodata (missing ${file}).`);
    throw e;
  }
}

/** The `<revision>` of repodata/repomd.xml (createrepo_c writes the generation time). */
export async function readRepoRevision(repoPath: string): Promise<string> {
  const { xml, file } = await readRepomdText(repoPath);
  return parseRepomd(repoPath, file, xml).revision;
}

/** Checks a metadata file against repomd.xml's checksum (and size); names the repo and file on failure. */
export async function verifyMetadataFile(repoPath: string, entry: RepomdEntry): Promise<void> {
  const rel = entry.href;
  if (!hashName(entry.checksumType)) throw badMetadata(repoPath, rel, `unknown checksum type ${entry.checksumType}`);
  let d;
  try {
    d = await cachedDigest(entry.file, entry.checksumType);
  } catch {
    throw badMetadata(repoPath, rel, 'the file listed in repomd.xml does not exist');
  }
  if (entry.size !== undefined && d.size !== entry.size) throw badMetadata(repoPath, rel, `it has ${d.size} bytes, repomd.xml says ${entry.size}`);
  if (d.digest !== entry.checksum) throw badMetadata(repoPath, rel, `its ${entry.checksumType} is ${d.digest}, repomd.xml says ${entry.checksum}`);
}

// Strings cut from the metadata text keep the whole text alive (V8 slices share their parent), so
// what a record keeps is copied out: repeated values once (interned), the rest each.
const copy = (s: string) => (s.length < 13 ? s : Buffer.from(s, 'utf8').toString('utf8'));
let interned = new Map<string, string>();
function intern(s: string): string {
  let v = interned.get(s);
  if (v === undefined) interned.set((v = copy(s)), v);
  return v;
}

const internOpt = (s: string | undefined) => (s === undefined ? undefined : intern(s));

/**
 * A Dep from an `<rpm:entry …>`'s attribute text, in one literal (one fixed shape, fields in the
 * object); names of provides are copied, not interned (they are mostly unique).
 */
function toDep(text: string, internName: boolean): Dep {
  const name = attr(text, 'name') ?? '';
  const flags = attr(text, 'flags');
  const rel = attr(text, 'rel');
  const d: Dep = {
    name: internName ? intern(name) : copy(name),
    flags: flags ? (intern(flags) as DepFlag) : undefined,
    epoch: internOpt(attr(text, 'epoch')),
    version: internOpt(attr(text, 'ver')),
    release: rel ? intern(rel) : undefined,
  };
  if (attr(text, 'pre') === '1') d.pre = true;
  return d;
}

// Memory at Fedora's size (70,000 packages, a quarter of a million requires): one Dep object per
// distinct requires text (most repeat: sonames, /usr/bin paths, common names), read-only and shared
// by every package that lists it (provides are mostly unique: parsed each, not remembered); lists
// sized exactly (an array grown by push keeps room for 17), and one shared empty list.
let depsByText = new Map<string, Dep>();
const NO_DEPS: Dep[] = [];
const scratch: Dep[] = [];
const SECTIONS = ['provides', 'requires', 'obsoletes'];
const SECTION_OPEN: Record<string, string> = Object.fromEntries(SECTIONS.map((s) => [s, `<rpm:${s}>`]));
const SECTION_CLOSE: Record<string, string> = Object.fromEntries(SECTIONS.map((s) => [s, `</rpm:${s}>`]));
const ENTRY_RE = /<rpm:entry(\s[^>]*?)\/?>/g;

/**
 * The entries of one dependency section. For requires (`shared`), entries are shared by text and
 * rpmlib() features left out (rpm checks those itself, no package provides them).
 */
function deps(xml: string, section: string, shared = false): Dep[] {
  const open = xml.indexOf(SECTION_OPEN[section]);
  if (open < 0) return NO_DEPS;
  const close = xml.indexOf(SECTION_CLOSE[section], open);
  ENTRY_RE.lastIndex = open;
  scratch.length = 0;
  for (let m; (m = ENTRY_RE.exec(xml)) && (close < 0 || m.index < close); ) {
    if (!shared) {
      scratch.push(toDep(m[1], false));
      continue;
    }
    let d = depsByText.get(m[1]);
    if (d === undefined) depsByText.set(copy(m[1]), (d = toDep(m[1], true)));
    if (!d.name.startsWith('rpmlib(')) scratch.push(d);
  }
  return scratch.length ? scratch.slice() : NO_DEPS;
}

const FILE_RE = /<file(?:\s[^>]*)?>([^<]*)<\/file>/g;
const NO_FILES: string[] = [];
export const filesOf = (xml: string) => {
  const files = Array.from(xml.matchAll(FILE_RE), (m) => intern(unescapeXml(m[1])));
  return files.length ? files : NO_FILES;
};

function location(repoPath: string, href: string, base: string | undefined): string {
  if (!base) return path.resolve(repoPath, href);
  if (base.startsWith('file:')) return path.resolve(fileURLToPath(base), href);
  if (/^[a-z][a-z0-9+.-]*:/i.test(base)) throw new GenerationError(`Repository ${repoPath} points at remote packages (${base}); only local repositories are supported.`);
  return path.resolve(repoPath, base, href);
}

const RE = {
  head: /^<package(\s[^>]*)?>/,
  name: /<name>([^<]*)<\/name>/,
  arch: /<arch>([^<]*)<\/arch>/,
  version: /<version(\s[^>]*?)\/?>/,
  checksum: /<checksum(\s[^>]*)?>([^<]*)<\/checksum>/,
  size: /<size(\s[^>]*?)\/?>/,
  location: /<location(\s[^>]*?)\/?>/,
  sourcerpm: /<rpm:sourcerpm>([^<]*)<\/rpm:sourcerpm>/,
  headerRange: /<rpm:header-range(\s[^>]*?)\/?>/,
};

const rpmFileName = (name: string, version: string, release: string, arch: string) => `${name}-${version}-${release}.${arch}.rpm`;

/** How SourcePackage keeps an href: most follow the file-name convention and need no string of their own. */
function hrefForm(href: string, name: string, version: string, release: string, arch: string): string | 0 | 1 {
  const file = rpmFileName(name, version, release, arch);
  if (href === file) return 0;
  if (name && href.length === file.length + 11 && href.endsWith(file) && href === `Packages/${name[0].toLowerCase()}/${file}`) return 1;
  return copy(href);
}

/**
 * A package read from primary.xml. One fixed shape for all 70,000 of a Fedora-size source, and the
 * file's absolute path computed when asked (from the repository and href) instead of kept.
 */
class SourcePackage implements PackageRecord {
  constructor(
    readonly name: string,
    readonly epoch: string,
    readonly version: string,
    readonly release: string,
    readonly arch: string,
    /** The href: 0 for `<file>`, 1 for `Packages/<first letter>/<file>` (<file> = name-version-release.arch.rpm), else as written. */
    private readonly hrefForm: string | 0 | 1,
    readonly repo: string,
    /** Only when the file is not at `<repo>/<href>` (xml:base, or an href that path.resolve changes). */
    private readonly movedTo: string | undefined,
    readonly pkgid: string | undefined,
    readonly checksumType: string | undefined,
    readonly size: number | undefined,
    readonly sourcerpm: string | undefined,
    readonly headerStart: number | undefined,
    readonly headerEnd: number | undefined,
    readonly provides: Dep[],
    readonly requires: Dep[],
    readonly obsoletes: Dep[] | undefined,
    public files: string[],
  ) {}

  get href(): string {
    if (typeof this.hrefForm === 'string') return this.hrefForm;
    const file = rpmFileName(this.name, this.version, this.release, this.arch);
    return this.hrefForm === 0 ? file : `Packages/${this.name[0].toLowerCase()}/${file}`;
  }

  get location(): string {
    return this.movedTo ?? `${this.repo}/${this.href}`;
  }
}

/** One primary.xml `<package>` element as a record; undefined for non-rpm entries. */
export function parsePrimaryPackage(repoPath: string, xml: string): PackageRecord | undefined {
  const head = RE.head.exec(xml);
  if (head?.[1] && (attr(head[1], 'type') ?? 'rpm') !== 'rpm') return undefined;
  const v = RE.version.exec(xml)?.[1] ?? '';
  const loc = RE.location.exec(xml)?.[1] ?? '';
  const sum = RE.checksum.exec(xml);
  const size = Number(attr(RE.size.exec(xml)?.[1] ?? '', 'package'));
  const obsoletes = deps(xml, 'obsoletes');
  const srpm = RE.sourcerpm.exec(xml)?.[1];
  const pkgid = sum?.[2].trim();
  const range = RE.headerRange.exec(xml)?.[1];
  const start = range === undefined ? undefined : attr(range, 'start');
  const end = range === undefined ? undefined : attr(range, 'end');
  const headerStart = Number(start);
  const headerEnd = Number(end);
  const hasRange = start !== undefined && end !== undefined && Number.isSafeInteger(headerStart) && Number.isSafeInteger(headerEnd);
  const href = attr(loc, 'href') ?? '';
  const base = attr(loc, 'xml:base');
  const file = location(repoPath, href, base);
  const name = intern(unescapeXml(RE.name.exec(xml)?.[1] ?? ''));
  const version = intern(attr(v, 'ver') ?? '');
  const release = intern(attr(v, 'rel') ?? '');
  const arch = intern(RE.arch.exec(xml)?.[1] ?? '');
  return new SourcePackage(
    name,
    intern(attr(v, 'epoch') || '0'),
    version,
    release,
    arch,
    hrefForm(href, name, version, release, arch),
    repoPath,
    file === `${repoPath}/${href}` ? undefined : copy(file),
    pkgid ? copy(pkgid) : undefined,
    sum ? internOpt(attr(sum[1] ?? '', 'type')) : undefined,
    Number.isFinite(size) ? size : undefined,
    srpm ? intern(unescapeXml(srpm)) : undefined,
    hasRange ? headerStart : undefined,
    hasRange ? headerEnd : undefined,
    deps(xml, 'provides'),
    deps(xml, 'requires', true),
    obsoletes.length ? obsoletes : undefined,
    filesOf(xml),
  );
}

const CACHE_LIMIT = 8;
/** Parsed sources by path, valid while repomd.xml is byte-identical (least recently used first). */
const parsed = new Map<string, RepoMetadata>();

/** Drops the parse cache (tests and benchmarks that measure a cold start). */
export function clearRepoCache(): void {
  parsed.clear();
}

/**
 * Reads repomd.xml and primary.xml of a local repo. Missing repo/repodata, a metadata file that is
 * corrupt, truncated or not what repomd.xml's checksum says → GenerationError naming repo and file.
 */
export async function readRepo(repoPath: string): Promise<RepoMetadata> {
  const { xml, file: repomdPath } = await readRepomdText(repoPath);
  const repomdDigest = createHash('sha256').update(xml).digest('hex');
  const hit = parsed.get(repoPath);
  if (hit && hit.repomdDigest === repomdDigest) {
    parsed.delete(repoPath);
    parsed.set(repoPath, hit);
    return hit;
  }
  const { revision, data } = parseRepomd(repoPath, repomdPath, xml);
  const primary = data.get('primary');
  if (!primary) throw new GenerationError(`Repository ${repoPath} has no primary metadata in repomd.xml.`);
  await verifyMetadataFile(repoPath, primary);
  const packages: PackageRecord[] = [];
  try {
    await scanPackages(repoPath, primary.file, 'metadata', (pkg) => {
      const r = parsePrimaryPackage(repoPath, pkg);
      if (r) packages.push(r);
    });
  } finally {
    interned = new Map();
    depsByText = new Map();
  }
  const meta: RepoMetadata = { path: repoPath, revision, repomdDigest, packages, data, filelists: data.get('filelists')?.file };
  parsed.delete(repoPath);
  parsed.set(repoPath, meta);
  while (parsed.size > CACHE_LIMIT) parsed.delete(parsed.keys().next().value!);
  return meta;
}

/** Full file lists keyed by pkgid; only needed when a file require is not covered by primary. */
export async function readFilelists(repo: RepoMetadata): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const entry = repo.data.get('filelists');
  if (!entry) return out;
  await verifyMetadataFile(repo.path, entry);
  await scanPackages(repo.path, entry.file, 'filelists', (pkg) => {
    const head = /^<package(\s[^>]*)>/.exec(pkg);
    const pkgid = head ? attrs(head[1]).pkgid : undefined;
    if (pkgid) out.set(pkgid, filesOf(pkg));
  }).finally(() => (interned = new Map()));
  return out;
}
