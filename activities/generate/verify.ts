// Checks that the package files of a compose are what the source metadata says (size, and the
// pkgid checksum) before derived repodata repeats that metadata. A file's checksum is computed
// once per file identity (device, inode, size, mtime) in this process: hard-linked trees and
// later composes from the same source do not read the bytes again.
import { stat } from 'node:fs/promises';
import os from 'node:os';
import { GenerationError } from './errors.js';
import { fileDigest } from './repodata.js';
import type { PackageRecord } from './types.js';

const LIMIT = 500_000;
/** identity -> "<type>:<digest>" */
const verified = new Map<string, string>();

export interface VerifyHooks {
  heartbeat?: (detail: string) => void;
  signal?: AbortSignal;
}

async function verifyOne(p: PackageRecord): Promise<boolean> {
  let st;
  try {
    st = await stat(p.location, { bigint: true });
  } catch {
    throw new GenerationError(`Repository ${p.repo}: package file ${p.href} listed in its metadata does not exist.`);
  }
  if (p.size !== undefined && Number(st.size) !== p.size) {
    throw new GenerationError(`Repository ${p.repo}: package file ${p.href} has ${st.size} bytes, its metadata says ${p.size}.`);
  }
  const type = p.checksumType ?? 'sha256';
  const id = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`;
  const known = verified.get(id);
  let digest: string;
  let computed = false;
  if (known?.startsWith(`${type}:`)) digest = known.slice(type.length + 1);
  else {
    digest = await fileDigest(p.location, type);
    computed = true;
    if (verified.size >= LIMIT) verified.delete(verified.keys().next().value!);
    verified.set(id, `${type}:${digest}`);
  }
  if (digest !== p.pkgid) {
    throw new GenerationError(`Repository ${p.repo}: package file ${p.href} has ${type} ${digest}, its metadata says ${p.pkgid}.`);
  }
  return computed;
}

/** Verifies every package; returns how many had to be read. */
export async function verifyPackages(pkgs: PackageRecord[], hooks: VerifyHooks = {}): Promise<number> {
  let next = 0;
  let read = 0;
  let failed = false;
  const worker = async () => {
    while (next < pkgs.length && !failed) {
      hooks.signal?.throwIfAborted();
      const p = pkgs[next++];
      if (await verifyOne(p)) {
        read++;
        if (read % 50 === 0) hooks.heartbeat?.(`verified ${read} package checksums`);
      }
    }
  };
  const results = await Promise.allSettled(
    Array.from({ length: Math.min(Math.max(2, os.availableParallelism()), pkgs.length) }, () => worker().catch((e) => ((failed = true), Promise.reject(e)))),
  );
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
  return read;
}

/** Forgets every verified checksum (benchmarks that measure a cold start). */
export function clearVerifiedCache(): void {
  verified.clear();
}
