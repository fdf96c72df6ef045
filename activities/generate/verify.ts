// Checks that the package files of a compose are what the source metadata says before derived
// repodata repeats that metadata (GENERATE_VERIFY): "size" stats each file, "header" also reads
// its RPM header (a few KB: header range, NEVRA, the signature's sha256 of the header), "full"
// hashes every byte against the pkgid checksum. Full checksums are remembered per file identity
// (digest.ts), so hard-linked trees and later composes do not read the bytes again.
import { statSync } from 'node:fs';
import os from 'node:os';
import type { GenerateVerifyMode } from '../../core/config.js';
import { cachedDigest, cachedDigestSync, SMALL_FILE, type Digest } from './digest.js';
import { GenerationError } from './errors.js';
import { readRpmHeader, RpmFormatError } from './rpmheader.js';
import type { PackageRecord } from './types.js';

export type VerifyMode = GenerateVerifyMode;

export interface VerifyHooks {
  heartbeat?: (detail: string) => void;
  signal?: AbortSignal;
}

const fail = (p: PackageRecord, why: string) => new GenerationError(`Repository ${p.repo}: package file ${p.href} ${why}.`);

function missing(p: PackageRecord, e: unknown): never {
  if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw fail(p, 'listed in its metadata does not exist');
  throw e;
}

function checkSize(p: PackageRecord, size: number) {
  if (p.size !== undefined && size !== p.size) throw fail(p, `has ${size} bytes, its metadata says ${p.size}`);
}

function checkStat(p: PackageRecord): void {
  let st;
  try {
    st = statSync(p.location);
  } catch (e) {
    missing(p, e);
  }
  if (!st.isFile()) throw fail(p, 'is not a regular file');
  checkSize(p, st.size);
}

const nevra = (x: { name: string; epoch: string; version: string; release: string; arch: string }) => `${x.name}-${x.epoch}:${x.version}-${x.release}.${x.arch}`;

function checkHeader(p: PackageRecord): void {
  let h;
  try {
    h = readRpmHeader(p.location, p.headerEnd);
  } catch (e) {
    if (e instanceof RpmFormatError) throw fail(p, `is not a usable RPM: ${e.message}`);
    missing(p, e);
  }
  checkSize(p, h.size);
  if (p.headerStart !== undefined && p.headerEnd !== undefined && (h.start !== p.headerStart || h.end !== p.headerEnd)) {
    throw fail(p, `has its header at bytes ${h.start}-${h.end}, its metadata says ${p.headerStart}-${p.headerEnd}`);
  }
  if (h.headerDigestOk === false) throw fail(p, 'has a header that does not match its signed sha256 (corrupt)');
  if (h.signedSize !== undefined && h.signedSize !== h.size - h.start) throw fail(p, `has ${h.size - h.start} bytes of header and payload, its signature says ${h.signedSize}`);
  if (nevra(h) !== nevra(p)) throw fail(p, `is ${nevra(h)}, its metadata says ${nevra(p)}`);
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

/** Synchronous checks run in slices of this many packages, so timers and heartbeats run between. */
const SLICE = 128;

/** Verifies every package as `mode` says; returns how many full checksums had to be computed. */
export async function verifyPackages(pkgs: PackageRecord[], mode: VerifyMode, hooks: VerifyHooks = {}): Promise<number> {
  if (mode !== 'full') {
    const check = mode === 'header' ? checkHeader : checkStat;
    for (let i = 0; i < pkgs.length; i += SLICE) {
      hooks.signal?.throwIfAborted();
      for (const p of pkgs.slice(i, i + SLICE)) check(p);
      if (i + SLICE < pkgs.length) await new Promise((r) => setImmediate(r));
    }
    return 0;
  }
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
