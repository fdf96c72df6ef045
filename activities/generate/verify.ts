// Checks that the package files of a compose are what the source metadata says (size, and the
// pkgid checksum) before derived repodata repeats that metadata. Checksums are remembered per
// file identity (digest.ts), so hard-linked trees and later composes do not read the bytes again.
import os from 'node:os';
import { cachedDigest, cachedDigestSync, SMALL_FILE, type Digest } from './digest.js';
import { GenerationError } from './errors.js';
import type { PackageRecord } from './types.js';

export interface VerifyHooks {
  heartbeat?: (detail: string) => void;
  signal?: AbortSignal;
}

async function verifyOne(p: PackageRecord): Promise<boolean> {
  const type = p.checksumType ?? 'sha256';
  let d: Digest;
  try {
    d = p.size !== undefined && p.size <= SMALL_FILE ? cachedDigestSync(p.location, type) : await cachedDigest(p.location, type);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    throw new GenerationError(`Repository ${p.repo}: package file ${p.href} listed in its metadata does not exist.`);
  }
  if (p.size !== undefined && d.size !== p.size) {
    throw new GenerationError(`Repository ${p.repo}: package file ${p.href} has ${d.size} bytes, its metadata says ${p.size}.`);
  }
  if (d.digest !== p.pkgid) {
    throw new GenerationError(`Repository ${p.repo}: package file ${p.href} has ${type} ${d.digest}, its metadata says ${p.pkgid}.`);
  }
  return d.computed;
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
      // Small files are read synchronously: let timers and heartbeats run now and then.
      if (next % 64 === 0) await new Promise((r) => setImmediate(r));
      if (await verifyOne(p)) {
        read++;
        if (read % 50 === 0) hooks.heartbeat?.(`verified ${read} package checksums`);
      }
    }
  };
  const results = await Promise.allSettled(
    Array.from({ length: Math.min(2 * os.availableParallelism(), pkgs.length) }, () => worker().catch((e) => ((failed = true), Promise.reject(e)))),
  );
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
  return read;
}
