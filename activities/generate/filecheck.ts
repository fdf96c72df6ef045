// The synchronous checks of one package file against its metadata (GENERATE_VERIFY): "size" stats
// it, "header" also reads its RPM header (a few KB: header range, NEVRA, the signature's sha256
// of the header). Plain data in, GenerationError naming the repository and file out, so the
// checks run the same in a file thread (file-worker.ts) as on the main thread.
import { statSync } from 'node:fs';
import { GenerationError } from './errors.js';
import { readRpmHeader, RpmFormatError } from './rpmheader.js';
import type { PackageRecord } from './types.js';

/** What a check needs of a package record (a plain object: it crosses to a worker thread). */
export type FileCheck = Pick<PackageRecord, 'repo' | 'href' | 'location' | 'size' | 'headerStart' | 'headerEnd' | 'name' | 'epoch' | 'version' | 'release' | 'arch'>;

const FIELDS = 11;
const num = (s: string) => (s === '' ? undefined : Number(s));

/**
 * Packages [from, to) as one string for a file thread (a string crosses threads as one copy,
 * where objects are cloned field by field): the check's fields, NUL-separated.
 */
export function encodeFileChecks(pkgs: readonly PackageRecord[], from: number, to: number): string {
  const parts: Array<string | number> = [];
  for (let i = from; i < to; i++) {
    const p = pkgs[i];
    parts.push(p.location, p.repo, p.href || p.location, p.size ?? '', p.headerStart ?? '', p.headerEnd ?? '', p.name, p.epoch, p.version, p.release, p.arch);
  }
  return parts.join('\0');
}

export function decodeFileChecks(text: string): FileCheck[] {
  const f = text.split('\0');
  const out: FileCheck[] = [];
  for (let i = 0; i + FIELDS <= f.length; i += FIELDS) {
    out.push({
      location: f[i],
      repo: f[i + 1],
      href: f[i + 2],
      size: num(f[i + 3]),
      headerStart: num(f[i + 4]),
      headerEnd: num(f[i + 5]),
      name: f[i + 6],
      epoch: f[i + 7],
      version: f[i + 8],
      release: f[i + 9],
      arch: f[i + 10],
    });
  }
  return out;
}

export const fail = (p: Pick<FileCheck, 'repo' | 'href'>, why: string) => new GenerationError(`Repository ${p.repo}: package file ${p.href} ${why}.`);

export function missing(p: Pick<FileCheck, 'repo' | 'href'>, e: unknown): never {
  if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw fail(p, 'listed in its metadata does not exist');
  throw e;
}

export function checkSize(p: FileCheck, size: number) {
  if (p.size !== undefined && size !== p.size) throw fail(p, `has ${size} bytes, its metadata says ${p.size}`);
}

function checkStat(p: FileCheck): void {
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

function checkHeader(p: FileCheck): void {
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

/** One file, as `mode` says; throws GenerationError for a file that is not what the metadata says. */
export function checkFile(p: FileCheck, mode: 'header' | 'size'): void {
  if (mode === 'header') checkHeader(p);
  else checkStat(p);
}
