// File checksums for the generator, remembered per file identity (device, inode, size, mtime) in
// this process: a package or metadata file that was hashed once (by an earlier compose, or a
// hard link of it) is not read again until it changes.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';

const LIMIT = 500_000;
/** identity -> "<type>:<digest>" */
const known = new Map<string, string>();

const HASHES = new Set(['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512']);
/** Node's name of a yum checksum type ("sha" is sha1); undefined when unknown. */
export function hashName(type: string): string | undefined {
  const t = type === 'sha' ? 'sha1' : type.toLowerCase();
  return HASHES.has(t) ? t : undefined;
}

/** Hash of a file's bytes, read in pieces of at most 1 MB (one buffer per call, sized to the file). */
export async function fileDigest(file: string, type: string): Promise<string> {
  const h = createHash(hashName(type) ?? type);
  const fh = await open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    const buf = Buffer.allocUnsafe(Math.max(1, Math.min(size, 1 << 20)));
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      h.update(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
  return h.digest('hex');
}

export interface Digest {
  size: number;
  digest: string;
  /** The bytes were read this time (not known from before). */
  computed: boolean;
}

/** Files up to this size are read with synchronous calls: a few microseconds each from the page cache, no thread-pool round trips. */
export const SMALL_FILE = 256 * 1024;

type BigStats = { dev: bigint; ino: bigint; size: bigint; mtimeNs: bigint };

function remembered(st: BigStats, type: string): Digest | string {
  const id = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`;
  const hit = known.get(id);
  return hit?.startsWith(`${type}:`) ? { size: Number(st.size), digest: hit.slice(type.length + 1), computed: false } : id;
}

function remember(id: string, type: string, size: bigint, digest: string): Digest {
  if (known.size >= LIMIT) known.delete(known.keys().next().value!);
  known.set(id, `${type}:${digest}`);
  return { size: Number(size), digest, computed: true };
}

/** Size and checksum of a file; ENOENT and other stat errors are thrown as they are. */
export async function cachedDigest(file: string, type: string): Promise<Digest> {
  const st = await stat(file, { bigint: true });
  const hit = remembered(st, type);
  if (typeof hit !== 'string') return hit;
  return remember(hit, type, st.size, await fileDigest(file, type));
}

/** cachedDigest with synchronous I/O, for small files (SMALL_FILE). */
export function cachedDigestSync(file: string, type: string): Digest {
  const st = statSync(file, { bigint: true });
  const hit = remembered(st, type);
  if (typeof hit !== 'string') return hit;
  return remember(hit, type, st.size, createHash(hashName(type) ?? type).update(readFileSync(file)).digest('hex'));
}

/** Forgets every checksum (benchmarks that measure a cold start). */
export function clearDigestCache(): void {
  known.clear();
}

/** Records a checksum computed elsewhere (while a file was downloaded), so it is not read again. */
export async function rememberDigest(file: string, type: string, digest: string): Promise<void> {
  const st = await stat(file, { bigint: true });
  remember(`${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`, type, st.size, digest);
}
