// Puts the selected RPMs into an arch tree. Hard links make this O(1) per
// package on the same filesystem; copies are the fallback (EXDEV, or EPERM
// under fs.protected_hardlinks).
import { constants, copyFileSync, linkSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { GenerationError } from './errors.js';
import type { PackageRecord } from './types.js';

export interface PlaceHooks {
  heartbeat?: (detail: string) => void;
  signal?: AbortSignal;
}

/** Relative path inside the os/ dir, Pungi style: Packages/<first letter>/<file>. */
export const packagePath = (p: PackageRecord) => {
  const file = path.basename(p.href || p.location);
  return path.join('Packages', file[0].toLowerCase(), file);
};

/** Hard link, or reflink/copy where linking is impossible; returns whether it copied. */
function linkOrCopy(src: string, dest: string): boolean {
  try {
    linkSync(src, dest);
    return false;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new GenerationError(`Package file ${src} listed in repository metadata does not exist.`);
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK') throw e;
    // Reflink where the filesystem can, plain copy otherwise.
    copyFileSync(src, dest, constants.COPYFILE_FICLONE);
    return true;
  }
}

/** Packages placed per slice of synchronous calls; timers and heartbeats run between slices. */
const SLICE = 128;

/**
 * Links every package into osDir; returns the total size in bytes. Links are synchronous calls
 * (microseconds each: a thread-pool round trip per file costs more than the call); a copy,
 * where linking is impossible, can take longer, so copies go one per slice.
 */
export async function placePackages(osDir: string, pkgs: PackageRecord[], hooks: PlaceHooks = {}): Promise<number> {
  const rel = pkgs.map(packagePath);
  for (const dir of new Set(rel.map((r) => path.dirname(r)))) mkdirSync(path.join(osDir, dir), { recursive: true });
  let bytes = 0;
  let inSlice = 0;
  for (let i = 0; i < pkgs.length; i++) {
    const dest = path.join(osDir, rel[i]);
    const copied = linkOrCopy(pkgs[i].location, dest);
    bytes += pkgs[i].size ?? statSync(dest).size;
    if ((copied || ++inSlice >= SLICE) && i + 1 < pkgs.length) {
      inSlice = 0;
      hooks.heartbeat?.(`placed ${i + 1}/${pkgs.length} packages in ${osDir}`);
      await new Promise((r) => setImmediate(r));
      hooks.signal?.throwIfAborted();
    }
  }
  return bytes;
}
