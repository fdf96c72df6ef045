// File checksums for the generator, remembered per file identity (device, inode, size, mtime) in
// this process: a package or metadata file that was hashed once (by an earlier compose, or a
// hard link of it) is not read again until it changes.
import { createHash } from 'node:crypto';
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

/** Size and checksum of a file; ENOENT and other stat errors are thrown as they are. */
export async function cachedDigest(file: string, type: string): Promise<Digest> {
  const st = await stat(file, { bigint: true });
  const id = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`;
  const hit = known.get(id);
  if (hit?.startsWith(`${type}:`)) return { size: Number(st.size), digest: hit.slice(type.length + 1), computed: false };
  const digest = await fileDigest(file, type);
  if (known.size >= LIMIT) known.delete(known.keys().next().value!);
  known.set(id, `${type}:${digest}`);
  return { size: Number(st.size), digest, computed: true };
}

/** Forgets every checksum (benchmarks that measure a cold start). */
export function clearDigestCache(): void {
  known.clear();
}
