// Checks that the package files of a compose are what the source metadata says before derived
// repodata repeats that metadata (GENERATE_VERIFY): "size" and "header" checks are made as the
// files are placed (place.ts, in the file threads: filecheck.ts); "full" hashes every byte
// against the pkgid checksum, here. Full checksums are remembered per file identity (digest.ts),
// so hard-linked trees and later composes do not read the bytes again.
import os from 'node:os';
import type { GenerateVerifyMode } from '../../core/config.js';
import { cachedDigest, cachedDigestSync, SMALL_FILE, type Digest } from './digest.js';
import { checkSize, fail, missing } from './filecheck.js';
import type { PackageRecord } from './types.js';

export type VerifyMode = GenerateVerifyMode;

export interface VerifyHooks {
  heartbeat?: (detail: string) => void;
  signal?: AbortSignal;
}

async function checkDigest(p: PackageRecord): Promise<boolean> {
  const type = p.checksumType ?? 'sha256';
  let d: Digest;
  try {
    d = p.size !== undefined && p.size <= SMALL_FILE ? cachedDigestSync(p.location, type) : await cachedDigest(p.location, type);
  } catch (e) {
    missing(p, e);
  }
  checkSize(p, d.size);
  if (d.digest !== p.pkgid) throw fail(p, `has ${type} ${d.digest}, its metadata says ${p.pkgid}`);
  return d.computed;
}

/** Checks every package's checksum (GENERATE_VERIFY=full); returns how many had to be computed. */
export async function verifyChecksums(pkgs: PackageRecord[], hooks: VerifyHooks = {}): Promise<number> {
  let next = 0;
  let read = 0;
  let failed = false;
  const worker = async () => {
    while (next < pkgs.length && !failed) {
      hooks.signal?.throwIfAborted();
      const p = pkgs[next++];
      // Small files are read synchronously: let timers and heartbeats run now and then.
      if (next % 64 === 0) await new Promise((r) => setImmediate(r));
      if (await checkDigest(p)) {
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
