// Puts the selected RPMs into an arch tree. Hard links make this O(1) per
// package on the same filesystem; copies are the fallback (EXDEV, or EPERM
// under fs.protected_hardlinks). The calls run in the thread pool, so linking
// overlaps the checks and the repodata work of the main thread (index.ts).
import { constants } from 'node:fs';
import { copyFile, link, mkdir, stat } from 'node:fs/promises';
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

async function linkOrCopy(src: string, dest: string): Promise<void> {
  try {
    await link(src, dest);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new GenerationError(`Package file ${src} listed in repository metadata does not exist.`);
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK') throw e;
    // Reflink where the filesystem can, plain copy otherwise.
    await copyFile(src, dest, constants.COPYFILE_FICLONE);
  }
}

/** Links every package into osDir; returns the total size in bytes. */
export async function placePackages(osDir: string, pkgs: PackageRecord[], hooks: PlaceHooks = {}): Promise<number> {
  const rel = pkgs.map(packagePath);
  for (const dir of new Set(rel.map((r) => path.dirname(r)))) await mkdir(path.join(osDir, dir), { recursive: true });
  let bytes = 0;
  let done = 0;
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < pkgs.length && !failed) {
      hooks.signal?.throwIfAborted();
      const i = next++;
      const dest = path.join(osDir, rel[i]);
      await linkOrCopy(pkgs[i].location, dest);
      bytes += pkgs[i].size ?? (await stat(dest)).size;
      if (++done % 100 === 0) hooks.heartbeat?.(`placed ${done}/${pkgs.length} packages in ${osDir}`);
    }
  };
  // A few parallel syscalls hide filesystem latency without flooding libuv.
  // Wait for every worker to stop before failing, so the caller's cleanup
  // never races with a link still being written into the tree.
  const results = await Promise.allSettled(
    Array.from({ length: Math.min(16, pkgs.length) }, () => worker().catch((e) => ((failed = true), Promise.reject(e)))),
  );
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
  return bytes;
}
