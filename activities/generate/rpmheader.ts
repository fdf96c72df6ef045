// Reads the start of an RPM file (lead, signature header, main header) without touching the
// payload: where the main header lies, its NEVRA, and what the signature header says about it
// (the header's sha256 and the header+payload size), so a package can be checked cheaply against
// its repository metadata (verify.ts).
import { hash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const LEAD = 96;
const LEAD_MAGIC = 0xedabeedb;
const HEADER_MAGIC = 0x8eade801;
/** A header larger than this is not believed (rpm's own limit is 256 MB; Fedora's largest are a few MB). */
const MAX_HEADER = 64 * 1024 * 1024;

export interface RpmHeaderInfo {
  /** File size from fstat. */
  size: number;
  /** Byte range of the main header (createrepo_c's `<rpm:header-range>`). */
  start: number;
  end: number;
  name: string;
  epoch: string;
  version: string;
  release: string;
  /** ARCH, or "src"/"nosrc" for source packages (as createrepo_c reports them). */
  arch: string;
  /** Whether the signature header's SHA256 of the main header matches its bytes (undefined: no such tag). */
  headerDigestOk?: boolean;
  /** Signature header's SIZE/LONGSIZE: main header plus payload, bytes. */
  signedSize?: number;
}

export class RpmFormatError extends Error {}

interface Entry {
  type: number;
  offset: number;
  count: number;
}

interface Header {
  tags: Map<number, Entry>;
  store: number;
  end: number;
}

/** The index entries of `wanted` tags of the header structure at `at` in `buf` (which must hold all of it). */
function entries(buf: Buffer, at: number, wanted: ReadonlySet<number>): Header {
  const count = buf.readUInt32BE(at + 8);
  const dataSize = buf.readUInt32BE(at + 12);
  const store = at + 16 + count * 16;
  const tags = new Map<number, Entry>();
  for (let e = at + 16; e < store; e += 16) {
    const tag = buf.readUInt32BE(e);
    if (wanted.has(tag)) tags.set(tag, { type: buf.readUInt32BE(e + 4), offset: buf.readUInt32BE(e + 8), count: buf.readUInt32BE(e + 12) });
  }
  return { tags, store, end: store + dataSize };
}

/** Signature header: SIZE, SHA256, LONGSIZE. Main header: NAME, VERSION, RELEASE, EPOCH, ARCH, SOURCERPM, NOSOURCE, NOPATCH. */
const SIG_TAGS = new Set([1000, 273, 270]);
const MAIN_TAGS = new Set([1000, 1001, 1002, 1003, 1022, 1044, 1051, 1052]);

function headerLength(buf: Buffer, at: number): number {
  if (buf.readUInt32BE(at) !== HEADER_MAGIC) throw new RpmFormatError(`no RPM header at byte ${at}`);
  const len = 16 + buf.readUInt32BE(at + 8) * 16 + buf.readUInt32BE(at + 12);
  if (len > MAX_HEADER) throw new RpmFormatError(`header at byte ${at} claims ${len} bytes`);
  return len;
}

function str(buf: Buffer, h: Header, tag: number): string | undefined {
  const e = h.tags.get(tag);
  if (!e || (e.type !== 6 && e.type !== 8 && e.type !== 9)) return undefined;
  const from = h.store + e.offset;
  const to = buf.indexOf(0, from);
  if (from >= h.end || to < 0 || to > h.end) throw new RpmFormatError(`tag ${tag} runs past its header`);
  return buf.toString('utf8', from, to);
}

function int(buf: Buffer, h: Header, tag: number): number | undefined {
  const e = h.tags.get(tag);
  if (!e || e.count < 1) return undefined;
  const at = h.store + e.offset;
  if (e.type === 4 && at + 4 <= h.end) return buf.readUInt32BE(at);
  if (e.type === 5 && at + 8 <= h.end) return Number(buf.readBigUInt64BE(at));
  return undefined;
}

/** One buffer for the reads of ordinary headers (the reads are synchronous): no allocation per package. */
const shared = Buffer.allocUnsafe(256 * 1024);

function readAt(fd: number, length: number, position: number): Buffer {
  const buf = length <= shared.length ? shared : Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

/**
 * The header information from the first bytes of an RPM of `size` bytes, or how many bytes from
 * the start it needs when `buf` holds fewer. Throws RpmFormatError for what is not an RPM.
 */
function inspect(buf: Buffer, size: number): RpmHeaderInfo | number {
  if (buf.length < LEAD + 16 || buf.readUInt32BE(0) !== LEAD_MAGIC) throw new RpmFormatError('not an RPM file (no lead)');
  const sigLen = headerLength(buf, LEAD);
  const start = LEAD + sigLen + ((8 - (sigLen % 8)) % 8);
  if (buf.length < start + 16) {
    if (size < start + 16 || buf.length >= size) throw new RpmFormatError('cut short in the signature header');
    return start + 16;
  }
  const end = start + headerLength(buf, start);
  if (end > size) throw new RpmFormatError(`cut short: the header ends at byte ${end}, the file has ${size}`);
  if (buf.length < end) return end;
  const sig = entries(buf, LEAD, SIG_TAGS);
  const main = entries(buf, start, MAIN_TAGS);
  const epoch = int(buf, main, 1003);
  const sourceRpm = main.tags.has(1044);
  const name = str(buf, main, 1000);
  const version = str(buf, main, 1001);
  const release = str(buf, main, 1002);
  if (name === undefined || version === undefined || release === undefined) throw new RpmFormatError('the header has no name, version or release');
  const sha = str(buf, sig, 273);
  return {
    size,
    start,
    end,
    name,
    epoch: String(epoch ?? 0),
    version,
    release,
    arch: sourceRpm ? (str(buf, main, 1022) ?? '') : main.tags.has(1051) || main.tags.has(1052) ? 'nosrc' : 'src',
    headerDigestOk: sha === undefined ? undefined : hash('sha256', buf.subarray(start, end), 'hex') === sha,
    signedSize: int(buf, sig, 270) ?? int(buf, sig, 1000),
  };
}

/** Bytes to read first: the metadata's header-range end when known (the whole header in one read). */
const firstRead = (size: number, expectedEnd?: number) => Math.min(size, Math.max(expectedEnd ?? 0, 16 * 1024));

/**
 * Lead, signature and main header of the RPM `file`, read with synchronous calls (a few KB from
 * the page cache). `expectedEnd` (the metadata's header-range end) sizes the first read.
 * Throws RpmFormatError when the file is not an RPM or is cut short; fs errors as they are.
 */
export function readRpmHeader(file: string, expectedEnd?: number): RpmHeaderInfo {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    let got = inspect(readAt(fd, firstRead(size, expectedEnd), 0), size);
    if (typeof got === 'number') got = inspect(readAt(fd, got, 0), size);
    if (typeof got === 'number') got = inspect(readAt(fd, got, 0), size);
    if (typeof got === 'number') throw new RpmFormatError('cut short');
    return got;
  } finally {
    closeSync(fd);
  }
}
