// Reads a local yum repository's metadata: repomd.xml (with each file's checksums), primary.xml
// into a compact PackageStore (pkgstore.ts, whose views are the PackageRecords), and filelists on
// demand. Every metadata file is checked against the checksum repomd.xml gives for it, and parsed
// sources are kept per repository revision (the repomd.xml content) so a second compose from an
// unchanged source does not parse it again.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cachedDigest, hashName } from './digest.js';
import { GenerationError } from './errors.js';
import { attr, attrs, badMetadata, scanPackages, unescapeXml } from './mdstream.js';
import { copy, StoreBuilder, type DepFields } from './pkgstore.js';
import type { PackageRecord } from './types.js';

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

/**
 * An `<rpm:entry …>`'s attribute text as fields: createrepo_c's `name="value"` pairs read in one
 * pass, any other spelling (single quotes, spaces around `=`) through attr().
 */
function depFields(text: string): DepFields {
  if (text.includes("'") || text.includes('= ') || text.includes(' =')) {
    return { name: attr(text, 'name') ?? '', flags: attr(text, 'flags'), epoch: attr(text, 'epoch'), version: attr(text, 'ver'), release: attr(text, 'rel'), pre: attr(text, 'pre') === '1' };
  }
  const f: DepFields = { name: '', flags: undefined, epoch: undefined, version: undefined, release: undefined, pre: false };
  let seen = 0;
  for (let at = 0; ; ) {
    const eq = text.indexOf('="', at);
    if (eq < 0) break;
    const end = text.indexOf('"', eq + 2);
    if (end < 0) break;
    let k = eq;
    while (k > at && text.charCodeAt(k - 1) > 32) k--;
    // The first of a repeated attribute counts, as in attr().
    const bit = depAttrBit(text, k, eq - k);
    if (bit && !(seen & bit)) {
      seen |= bit;
      const value = unescapeXml(text.slice(eq + 2, end));
      if (bit === 1) f.name = value;
      else if (bit === 2) f.flags = value;
      else if (bit === 4) f.epoch = value;
      else if (bit === 8) f.version = value;
      else if (bit === 16) f.release = value;
      else f.pre = value === '1';
    }
    at = end + 1;
  }
  return f;
}
/** The bit of the dependency attribute named by text[at, at + length) (name, flags, epoch, ver, rel, pre), 0 for any other. */
function depAttrBit(text: string, at: number, length: number): number {
  if (length === 3) return text.startsWith('ver', at) ? 8 : text.startsWith('rel', at) ? 16 : text.startsWith('pre', at) ? 32 : 0;
  if (length === 4) return text.startsWith('name', at) ? 1 : 0;
  if (length === 5) return text.startsWith('flags', at) ? 2 : text.startsWith('epoch', at) ? 4 : 0;
  return 0;
}

const SECTIONS = ['provides', 'requires', 'obsoletes'] as const;
const SECTION_OPEN: Record<string, string> = Object.fromEntries(SECTIONS.map((s) => [s, `<rpm:${s}>`]));
const SECTION_CLOSE: Record<string, string> = Object.fromEntries(SECTIONS.map((s) => [s, `</rpm:${s}>`]));
const ENTRY_RE = /<rpm:entry(\s[^>]*?)\/?>/g;

/** Calls `each` with the attribute text of every entry of one dependency section of a package. */
function entries(xml: string, from: number, section: (typeof SECTIONS)[number], each: (attrText: string) => void): void {
  const open = xml.indexOf(SECTION_OPEN[section], from);
  if (open < 0) return;
  const close = xml.indexOf(SECTION_CLOSE[section], open);
  ENTRY_RE.lastIndex = open;
  for (let m; (m = ENTRY_RE.exec(xml)) && (close < 0 || m.index < close); ) each(m[1]);
}

const FILE_RE = /<file(?:\s[^>]*)?>([^<]*)<\/file>/g;
const NO_FILES: string[] = [];
/** The `<file>` paths of one package element (strings kept once per call of `intern`'s map). */
function filesOf(xml: string, intern: (s: string) => string): string[] {
  const files = Array.from(xml.matchAll(FILE_RE), (m) => intern(unescapeXml(m[1])));
  return files.length ? files : NO_FILES;
}

/** An href that path.resolve would leave as it is under the repository: no `.` or `..` segment, no doubled or edge slash. */
const PLAIN_HREF = /^(?!\.{1,2}(?:\/|$))(?:[^/]+\/)*[^/]+$/;
const hasDotSegment = (href: string) => href.includes('/./') || href.includes('/../') || href.endsWith('/.') || href.endsWith('/..');

function location(repoPath: string, href: string, base: string | undefined): string {
  if (!base) return PLAIN_HREF.test(href) && !hasDotSegment(href) ? `${repoPath}/${href}` : path.resolve(repoPath, href);
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
  // Searched from <format> on (global: lastIndex), past the summary and description.
  sourcerpm: /<rpm:sourcerpm>([^<]*)<\/rpm:sourcerpm>/g,
  headerRange: /<rpm:header-range(\s[^>]*?)\/?>/g,
};

/** The first match of the global `re` at or after `from`. */
function execFrom(re: RegExp, xml: string, from: number): RegExpExecArray | null {
  re.lastIndex = from;
  return re.exec(xml);
}

/** Adds one primary.xml `<package>` element to the store; non-rpm entries are skipped. */
function addPrimaryPackage(store: StoreBuilder, repoPath: string, xml: string): void {
  const head = RE.head.exec(xml);
  if (head?.[1] && (attr(head[1], 'type') ?? 'rpm') !== 'rpm') return;
  const v = RE.version.exec(xml)?.[1] ?? '';
  const loc = RE.location.exec(xml)?.[1] ?? '';
  const sum = RE.checksum.exec(xml);
  const size = Number(attr(RE.size.exec(xml)?.[1] ?? '', 'package'));
  const format = Math.max(0, xml.indexOf('<format>'));
  const srpm = execFrom(RE.sourcerpm, xml, format)?.[1];
  const pkgid = sum?.[2].trim();
  const range = execFrom(RE.headerRange, xml, format)?.[1];
  const start = range === undefined ? undefined : attr(range, 'start');
  const end = range === undefined ? undefined : attr(range, 'end');
  const headerStart = Number(start);
  const headerEnd = Number(end);
  const hasRange = start !== undefined && end !== undefined && Number.isSafeInteger(headerStart) && Number.isSafeInteger(headerEnd);
  const href = attr(loc, 'href') ?? '';
  const file = location(repoPath, href, attr(loc, 'xml:base'));
  store.beginPackage({
    name: unescapeXml(RE.name.exec(xml)?.[1] ?? ''),
    epoch: attr(v, 'epoch') || '0',
    version: attr(v, 'ver') ?? '',
    release: attr(v, 'rel') ?? '',
    arch: RE.arch.exec(xml)?.[1] ?? '',
    href,
    moved: file === `${repoPath}/${href}` ? undefined : file,
    pkgid: pkgid || undefined,
    checksumType: sum ? attr(sum[1] ?? '', 'type') : undefined,
    size: Number.isFinite(size) ? size : undefined,
    sourcerpm: srpm ? unescapeXml(srpm) : undefined,
    headerStart: hasRange ? headerStart : undefined,
    headerEnd: hasRange ? headerEnd : undefined,
  });
  entries(xml, format, 'provides', (t) => store.provide(depFields(t)));
  store.startRequires();
  entries(xml, format, 'requires', (t) => store.require(depFields(t)));
  store.startObsoletes();
  entries(xml, format, 'obsoletes', (t) => store.obsolete(depFields(t)));
  store.startFiles();
  FILE_RE.lastIndex = format;
  for (let m; (m = FILE_RE.exec(xml)); ) store.file(unescapeXml(m[1]));
}

const CACHE_LIMIT = 8;
/** Parsed sources by path, valid while repomd.xml is byte-identical (least recently used first). */
const parsed = new Map<string, RepoMetadata>();

/** Drops the parse cache (tests and benchmarks that measure a cold start). */
export function clearRepoCache(): void {
  parsed.clear();
}

/**
 * Reads repomd.xml and primary.xml of a local repo into a PackageStore. Missing repo/repodata, a
 * metadata file that is corrupt, truncated or not what repomd.xml's checksum says → GenerationError
 * naming repo and file.
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
  let store: StoreBuilder | undefined;
  await scanPackages(
    repoPath,
    primary.file,
    'metadata',
    (pkg) => addPrimaryPackage(store!, repoPath, pkg),
    (root) => void (store = new StoreBuilder(repoPath, Number(root.packages) || undefined)),
  );
  const { packages } = store!.finish();
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
  const interned = new Map<string, string>();
  const intern = (s: string) => {
    let v = interned.get(s);
    if (v === undefined) interned.set((v = copy(s)), v);
    return v;
  };
  await scanPackages(repo.path, entry.file, 'filelists', (pkg) => {
    const head = /^<package(\s[^>]*)>/.exec(pkg);
    const pkgid = head ? attrs(head[1]).pkgid : undefined;
    if (pkgid) out.set(pkgid, filesOf(pkg, intern));
  });
  return out;
}
