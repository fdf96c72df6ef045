// A parsed source repository kept compactly, as libsolv keeps one: each distinct string once in a
// pool, per-package fields and dependency lists as typed arrays of pool ids, checksums as bytes.
// Packages are seen through small view objects (PackageRecord) whose fields are read from the arrays.
import type { Dep, DepFlag, PackageRecord } from './types.js';

const FLAGS: Array<DepFlag | undefined> = [undefined, 'EQ', 'LT', 'LE', 'GT', 'GE'];
const FLAG_CODE: Record<string, number> = { EQ: 1, LT: 2, LE: 3, GT: 4, GE: 5 };
const PRE = 8;

// Per-package Int32 columns (stride P): pool ids, or NONE.
const NAME = 0;
const EPOCH = 1;
const VER = 2;
const REL = 3;
const ARCH = 4;
/** The href: a pool id, or HREF_FILE (`<file>`) / HREF_PACKAGES (`Packages/<first letter>/<file>`), <file> = name-version-release.arch.rpm. */
const HREF = 5;
/** The file's absolute path when it is not `<repo>/<href>` (xml:base, or an href path.resolve changes). */
const MOVED = 6;
const CSUM = 7;
/**
 * The source RPM: a pool id, NONE, or -2 - pool id of its name when it is `<that name>-<version>-<release>.src.rpm`
 * with the package's own version and release (every binary package of a build).
 */
const SRPM = 8;
/** Checksum bytes: offset into the byte slab (length in pkgidLength), NONE, or -2 - pool id (not plain hex). */
const PKGID = 9;
/** Start of the package's run in `refs`: provides, then requires, obsoletes, files (the next three columns). */
const PROV = 10;
const REQ = 11;
const OBS = 12;
const FILES = 13;
const P = 14;
const NONE = -1;
const HREF_FILE = -2;
const HREF_PACKAGES = -3;
// Per-package Float64 columns (stride F): sizes and the header range, NaN when absent.
const SIZE = 0;
const HSTART = 1;
const HEND = 2;
const F = 3;
// Dependency entries: name, epoch, version, release (Int32, stride D) and flags (Uint8).
const D = 4;

/** One `<rpm:entry>` as the parser reads it. */
export interface DepFields {
  name: string;
  flags?: string;
  epoch?: string;
  version?: string;
  release?: string;
  pre?: boolean;
}

/** Growable typed array. */
function grow<T extends Int32Array | Float64Array | Uint8Array>(a: T, need: number): T {
  if (need <= a.length) return a;
  const b = new (a.constructor as new (n: number) => T)(Math.max(need, Math.ceil(a.length * 1.5) + 16));
  b.set(a);
  return b;
}

/** The first `n` elements: a copy when much room is left over, else a view (no second copy alive at once). */
const fit = <T extends Int32Array | Float64Array | Uint8Array>(a: T, n: number): T => (a.length - n > a.length / 8 ? (a.slice(0, n) as T) : (a.subarray(0, n) as T));

const HEX_RE = /^(?:[0-9a-f]{2})+$/;
const rpmFileName = (name: string, version: string, release: string, arch: string) => `${name}-${version}-${release}.${arch}.rpm`;
// Strings cut from the metadata text keep the whole text alive (V8 slices share their parent):
// what the pool keeps is copied out, through one reused buffer (no buffer per string).
const scratch = Buffer.allocUnsafe(1 << 16);
export function copy(s: string): string {
  if (s.length < 13) return s;
  if (s.length * 3 > scratch.length) return Buffer.from(s, 'utf8').toString('utf8');
  return scratch.toString('utf8', 0, scratch.write(s, 'utf8'));
}

/** Writes hex digits (checked: lowercase, even length) into `to` at `at` as bytes. */
function putHex(hex: string, to: Uint8Array, at: number): void {
  const digit = (c: number) => (c <= 57 ? c - 48 : c - 87);
  for (let k = 0; k < hex.length; k += 2) to[at + k / 2] = (digit(hex.charCodeAt(k)) << 4) | digit(hex.charCodeAt(k + 1));
}

/**
 * Open-addressing hash table of ids (an Int32Array of slots: a tenth of what a Map of the same
 * keys takes, and nothing for the collector to trace). The caller hashes keys and says which id
 * matches; `hashOf` rehashes a stored id when the table grows.
 */
class IdTable<K> {
  private slots = new Int32Array(1 << 12).fill(-1);
  private used = 0;

  constructor(
    private readonly hashOf: (id: number) => number,
    private readonly same: (id: number, key: K) => boolean,
  ) {}

  /** The id stored for `key`, or -1 - the free slot where it goes. */
  find(hash: number, key: K): number {
    const mask = this.slots.length - 1;
    for (let at = hash & mask; ; at = (at + 1) & mask) {
      const id = this.slots[at];
      if (id < 0) return -1 - at;
      if (this.same(id, key)) return id;
    }
  }

  insert(slot: number, id: number): void {
    this.slots[slot] = id;
    if (++this.used * 2 <= this.slots.length) return;
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2).fill(-1);
    const mask = this.slots.length - 1;
    for (const v of old) {
      if (v < 0) continue;
      let at = this.hashOf(v) & mask;
      while (this.slots[at] >= 0) at = (at + 1) & mask;
      this.slots[at] = v;
    }
  }
}

function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < s.length; k++) h = Math.imul(h ^ s.charCodeAt(k), 0x01000193);
  return h >>> 0;
}

function hashInts(a: number, b: number, c: number, d: number, e: number): number {
  let h = 0x811c9dc5;
  h = Math.imul(h ^ a, 0x01000193);
  h = Math.imul(h ^ b, 0x01000193);
  h = Math.imul(h ^ c, 0x01000193);
  h = Math.imul(h ^ d, 0x01000193);
  h = Math.imul(h ^ e, 0x01000193);
  return h >>> 0;
}

/** The arrays of one parsed repository, read-only once built (StoreBuilder makes them). */
export class PackageStore {
  /** Views of the packages, in the order of primary.xml. */
  readonly packages: StoredPackage[];
  /** File lists read from filelists.xml, replacing primary's partial ones (by package index). */
  private readonly fullFiles = new Map<number, string[]>();
  /** The checksum bytes as one Buffer (hex strings are cut from it, no Buffer made per package). */
  private readonly hex: Buffer;
  /** Dep objects of the requirements asked for so far, by entry. */
  private readonly requirements = new Map<number, Dep>();

  constructor(
    readonly repo: string,
    private readonly strings: string[],
    private readonly cols: Int32Array,
    private readonly nums: Float64Array,
    private readonly refs: Int32Array,
    private readonly deps: Int32Array,
    private readonly depFlags: Uint8Array,
    bytes: Uint8Array,
    private readonly pkgidLength: Uint8Array,
    count: number,
  ) {
    this.packages = Array.from({ length: count }, (_, i) => new StoredPackage(this, i));
    this.hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  }

  str(i: number, col: number): string {
    return this.strings[this.cols[i * P + col]];
  }

  opt(i: number, col: number): string | undefined {
    const id = this.cols[i * P + col];
    return id < 0 ? undefined : this.strings[id];
  }

  sourcerpm(i: number): string | undefined {
    const id = this.cols[i * P + SRPM];
    if (id >= NONE) return id === NONE ? undefined : this.strings[id];
    return `${this.strings[-2 - id]}-${this.str(i, VER)}-${this.str(i, REL)}.src.rpm`;
  }

  num(i: number, col: number): number | undefined {
    const v = this.nums[i * F + col];
    return Number.isNaN(v) ? undefined : v;
  }

  href(i: number): string {
    const form = this.cols[i * P + HREF];
    if (form >= 0) return this.strings[form];
    const file = rpmFileName(this.str(i, NAME), this.str(i, VER), this.str(i, REL), this.str(i, ARCH));
    return form === HREF_FILE ? file : `Packages/${file[0].toLowerCase()}/${file}`;
  }

  location(i: number): string {
    return this.opt(i, MOVED) ?? `${this.repo}/${this.href(i)}`;
  }

  pkgid(i: number): string | undefined {
    const ref = this.cols[i * P + PKGID];
    if (ref === NONE) return undefined;
    if (ref < NONE) return this.strings[-2 - ref];
    return this.hex.toString('hex', ref, ref + this.pkgidLength[i]);
  }

  hasPkgid(i: number): boolean {
    return this.cols[i * P + PKGID] !== NONE;
  }

  /** The dependency entries of one list (PROV, REQ or OBS) as Dep objects, made when asked. */
  depList(i: number, col: number): Dep[] {
    const from = this.cols[i * P + col];
    const to = this.cols[i * P + col + 1];
    const out = new Array<Dep>(to - from);
    for (let k = from; k < to; k++) out[k - from] = col === REQ ? this.requirement(this.refs[k]) : this.dep(this.refs[k]);
    return out;
  }

  /** A requirement's Dep, made once when first asked and then shared (read-only), as its entry is. */
  private requirement(e: number): Dep {
    let d = this.requirements.get(e);
    if (d === undefined) this.requirements.set(e, (d = this.dep(e)));
    return d;
  }

  /** Does an entry of one dependency list with this name pass `test`? Makes Dep objects only for entries of that name. */
  someDep(i: number, col: number, name: string, test: (d: Dep) => boolean): boolean {
    const to = this.cols[i * P + col + 1];
    for (let k = this.cols[i * P + col]; k < to; k++) {
      const e = this.refs[k];
      if (this.strings[this.deps[e * D]] === name && test(this.dep(e))) return true;
    }
    return false;
  }

  /** Calls `fn` with each name of one dependency list, or each file (FILES), without making objects. */
  eachName(i: number, col: number, fn: (name: string) => void): void {
    if (col === FILES) {
      const full = this.fullFiles.get(i);
      if (full) return full.forEach(fn);
    }
    const from = this.cols[i * P + col];
    const to = col < FILES ? this.cols[i * P + col + 1] : i + 1 < this.packages.length ? this.cols[(i + 1) * P + PROV] : this.refs.length;
    for (let k = from; k < to; k++) fn(col === FILES ? this.strings[this.refs[k]] : this.strings[this.deps[this.refs[k] * D]]);
  }

  hasObsoletes(i: number): boolean {
    return this.cols[i * P + FILES] > this.cols[i * P + OBS];
  }

  private dep(e: number): Dep {
    const f = this.depFlags[e];
    const s = this.strings;
    const epoch = this.deps[e * D + 1];
    const ver = this.deps[e * D + 2];
    const rel = this.deps[e * D + 3];
    const d: Dep = {
      name: s[this.deps[e * D]],
      flags: FLAGS[f & 7],
      epoch: epoch < 0 ? undefined : s[epoch],
      version: ver < 0 ? undefined : s[ver],
      release: rel < 0 ? undefined : s[rel],
    };
    if (f & PRE) d.pre = true;
    return d;
  }

  files(i: number): string[] {
    const full = this.fullFiles.get(i);
    if (full) return full;
    const from = this.cols[i * P + FILES];
    const to = i + 1 < this.packages.length ? this.cols[(i + 1) * P + PROV] : this.refs.length;
    const out = new Array<string>(to - from);
    for (let k = from; k < to; k++) out[k - from] = this.strings[this.refs[k]];
    return out;
  }

  setFiles(i: number, files: string[]): void {
    this.fullFiles.set(i, files);
  }
}

/**
 * A package of a PackageStore. Its fields are read from the store's arrays when asked (the
 * dependency lists as fresh arrays each time); `plainRecord` makes an ordinary object of it.
 */
export class StoredPackage implements PackageRecord {
  constructor(
    private readonly store: PackageStore,
    private readonly i: number,
  ) {}

  get name() {
    return this.store.str(this.i, NAME);
  }
  get epoch() {
    return this.store.str(this.i, EPOCH);
  }
  get version() {
    return this.store.str(this.i, VER);
  }
  get release() {
    return this.store.str(this.i, REL);
  }
  get arch() {
    return this.store.str(this.i, ARCH);
  }
  get repo() {
    return this.store.repo;
  }
  get href() {
    return this.store.href(this.i);
  }
  get location() {
    return this.store.location(this.i);
  }
  get pkgid() {
    return this.store.pkgid(this.i);
  }
  get hasPkgid() {
    return this.store.hasPkgid(this.i);
  }
  get checksumType() {
    return this.store.opt(this.i, CSUM);
  }
  get size() {
    return this.store.num(this.i, SIZE);
  }
  get sourcerpm() {
    return this.store.sourcerpm(this.i);
  }
  get headerStart() {
    return this.store.num(this.i, HSTART);
  }
  get headerEnd() {
    return this.store.num(this.i, HEND);
  }
  get provides() {
    return this.store.depList(this.i, PROV);
  }
  get requires() {
    return this.store.depList(this.i, REQ);
  }
  /** Does one of the provides named `name` pass `test`? */
  someProvide(name: string, test: (d: Dep) => boolean): boolean {
    return this.store.someDep(this.i, PROV, name, test);
  }

  /** Calls `fn` with each name of the provides or requires, or each file, without making Dep objects or arrays. */
  eachName(list: 'provides' | 'requires' | 'files', fn: (name: string) => void): void {
    this.store.eachName(this.i, list === 'provides' ? PROV : list === 'requires' ? REQ : FILES, fn);
  }
  get obsoletes() {
    return this.store.hasObsoletes(this.i) ? this.store.depList(this.i, OBS) : undefined;
  }
  get files() {
    return this.store.files(this.i);
  }
  set files(files: string[]) {
    this.store.setFiles(this.i, files);
  }
}

/** An ordinary object with the record's fields (what leaves the solver: spreadable, no store behind it). */
export function plainRecord(p: PackageRecord): PackageRecord {
  if (!(p instanceof StoredPackage)) return p;
  const r: PackageRecord = {
    name: p.name,
    epoch: p.epoch,
    version: p.version,
    release: p.release,
    arch: p.arch,
    location: p.location,
    href: p.href,
    repo: p.repo,
    pkgid: p.pkgid,
    checksumType: p.checksumType,
    size: p.size,
    sourcerpm: p.sourcerpm,
    headerStart: p.headerStart,
    headerEnd: p.headerEnd,
    provides: p.provides,
    requires: p.requires,
    files: p.files,
  };
  const obsoletes = p.obsoletes;
  if (obsoletes) r.obsoletes = obsoletes;
  return r;
}

/** Package fields as the parser reads them from one `<package>` element. */
export interface PackageFields {
  name: string;
  epoch: string;
  version: string;
  release: string;
  arch: string;
  href: string;
  /** The absolute file path when it is not `<repo>/<href>`. */
  moved?: string;
  pkgid?: string;
  checksumType?: string;
  size?: number;
  sourcerpm?: string;
  headerStart?: number;
  headerEnd?: number;
}

/**
 * Fills a PackageStore while primary.xml streams by: strings interned once, entries written into
 * arrays that grow by half. Requires repeat (sonames, /usr/bin paths): one entry per distinct
 * attribute text, shared; provides are mostly unique: one entry each.
 */
export class StoreBuilder {
  private readonly strings: string[] = [];
  private readonly pool = new IdTable<string>(
    (id) => hashString(this.strings[id]),
    (id, s) => this.strings[id] === s,
  );
  /** Requirements by their fields: one entry per distinct requirement, shared by every package listing it. */
  private readonly requirements = new IdTable<Int32Array>(
    (e) => this.depHash(e),
    (e, key) => {
      const at = e * D;
      return this.deps[at] === key[0] && this.deps[at + 1] === key[2] && this.deps[at + 2] === key[3] && this.deps[at + 3] === key[4] && this.depFlags[e] === key[1];
    },
  );
  private readonly key = new Int32Array(5);
  private cols: Int32Array;
  private nums: Float64Array;
  private refs: Int32Array;
  private deps: Int32Array;
  private depFlags: Uint8Array;
  private bytes: Uint8Array;
  private pkgidLength: Uint8Array;
  private count = 0;
  private nRefs = 0;
  private nDeps = 0;
  private nBytes = 0;

  constructor(
    private readonly repo: string,
    expected = 1024,
  ) {
    const n = Math.max(16, expected);
    this.cols = new Int32Array(n * P);
    this.nums = new Float64Array(n * F);
    this.bytes = new Uint8Array(n * 32);
    this.pkgidLength = new Uint8Array(n);
    // First guesses (grown by half when short): about eight list entries and three distinct dependencies per package.
    this.refs = new Int32Array(n * 8);
    this.deps = new Int32Array(n * 3 * D);
    this.depFlags = new Uint8Array(n * 3);
  }

  /** The pool id of a string (copied into the pool the first time). */
  id(s: string): number {
    const v = this.pool.find(hashString(s), s);
    if (v >= 0) return v;
    this.strings.push(copy(s));
    this.pool.insert(-1 - v, this.strings.length - 1);
    return this.strings.length - 1;
  }

  private optId(s: string | undefined): number {
    return s === undefined ? NONE : this.id(s);
  }

  /** Starts a package; its provides, requires, obsoletes and files follow, in that order (each list may be absent). */
  beginPackage(f: PackageFields): void {
    const i = this.count++;
    if ((i + 1) * P > this.cols.length) {
      this.cols = grow(this.cols, (i + 1) * P);
      this.nums = grow(this.nums, (i + 1) * F);
      this.pkgidLength = grow(this.pkgidLength, i + 1);
    }
    const c = this.cols;
    const at = i * P;
    c[at + NAME] = this.id(f.name);
    c[at + EPOCH] = this.id(f.epoch);
    c[at + VER] = this.id(f.version);
    c[at + REL] = this.id(f.release);
    c[at + ARCH] = this.id(f.arch);
    const file = rpmFileName(f.name, f.version, f.release, f.arch);
    c[at + HREF] =
      f.href === file
        ? HREF_FILE
        : f.name && f.href.length === file.length + 11 && f.href.endsWith(file) && f.href === `Packages/${f.name[0].toLowerCase()}/${file}`
          ? HREF_PACKAGES
          : this.id(f.href);
    c[at + MOVED] = this.optId(f.moved);
    c[at + CSUM] = this.optId(f.checksumType);
    c[at + SRPM] = this.sourcerpm(f);
    c[at + PKGID] = this.pkgid(i, f.pkgid);
    const n = i * F;
    this.nums[n + SIZE] = f.size ?? NaN;
    this.nums[n + HSTART] = f.headerStart ?? NaN;
    this.nums[n + HEND] = f.headerEnd ?? NaN;
    this.section(PROV);
  }

  private sourcerpm(f: PackageFields): number {
    const srpm = f.sourcerpm;
    if (srpm === undefined) return NONE;
    const tail = `-${f.version}-${f.release}.src.rpm`;
    return srpm.length > tail.length && srpm.endsWith(tail) ? -2 - this.id(srpm.slice(0, -tail.length)) : this.id(srpm);
  }

  private pkgid(i: number, hex: string | undefined): number {
    if (hex === undefined) return NONE;
    if (hex.length > 510 || !HEX_RE.test(hex)) return -2 - this.id(hex);
    const len = hex.length / 2;
    this.bytes = grow(this.bytes, this.nBytes + len);
    putHex(hex, this.bytes, this.nBytes);
    this.pkgidLength[i] = len;
    const at = this.nBytes;
    this.nBytes += len;
    return at;
  }

  private ref(v: number): void {
    if (this.nRefs === this.refs.length) this.refs = grow(this.refs, this.nRefs + 1);
    this.refs[this.nRefs++] = v;
  }

  private depHash(e: number): number {
    const at = e * D;
    return hashInts(this.deps[at], this.depFlags[e], this.deps[at + 1], this.deps[at + 2], this.deps[at + 3]);
  }

  private newDep(d: DepFields): number {
    const e = this.nDeps++;
    this.deps = grow(this.deps, this.nDeps * D);
    this.depFlags = grow(this.depFlags, this.nDeps);
    const at = e * D;
    this.deps[at] = this.id(d.name);
    this.deps[at + 1] = this.optId(d.epoch);
    this.deps[at + 2] = this.optId(d.version);
    this.deps[at + 3] = this.optId(d.release);
    this.depFlags[e] = (d.flags ? FLAG_CODE[d.flags] ?? 0 : 0) | (d.pre ? PRE : 0);
    return e;
  }

  /** Marks where a list of the open package starts; the lists come in column order, any may be empty. */
  private section(col: number): void {
    for (let c = col; c <= FILES; c++) this.cols[(this.count - 1) * P + c] = this.nRefs;
  }

  provide(d: DepFields): void {
    this.ref(this.newDep(d));
  }

  startRequires(): void {
    this.section(REQ);
  }

  /**
   * A requirement, one entry shared by every package that lists the same one (sonames, /usr/bin
   * paths, common names repeat); rpmlib() features are left out (rpm checks those itself, no
   * package provides them).
   */
  require(d: DepFields): void {
    if (d.name.startsWith('rpmlib(')) return;
    const k = this.key;
    k[0] = this.id(d.name);
    k[1] = (d.flags ? FLAG_CODE[d.flags] ?? 0 : 0) | (d.pre ? PRE : 0);
    k[2] = this.optId(d.epoch);
    k[3] = this.optId(d.version);
    k[4] = this.optId(d.release);
    let e = this.requirements.find(hashInts(k[0], k[1], k[2], k[3], k[4]), k);
    if (e < 0) {
      const slot = -1 - e;
      e = this.newDep(d);
      this.requirements.insert(slot, e);
    }
    this.ref(e);
  }

  startObsoletes(): void {
    this.section(OBS);
  }

  obsolete(d: DepFields): void {
    this.ref(this.newDep(d));
  }

  startFiles(): void {
    this.section(FILES);
  }

  file(path: string): void {
    this.ref(this.id(path));
  }

  /** The finished store. The builder is spent. */
  finish(): PackageStore {
    const n = this.count;
    return new PackageStore(
      this.repo,
      this.strings,
      fit(this.cols, n * P),
      fit(this.nums, n * F),
      fit(this.refs, this.nRefs),
      fit(this.deps, this.nDeps * D),
      fit(this.depFlags, this.nDeps),
      fit(this.bytes, this.nBytes),
      fit(this.pkgidLength, n),
      n,
    );
  }
}
