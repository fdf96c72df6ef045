// Puts the selected RPMs into an arch tree: hard links, O(1) per package on the same file system,
// copies (reflinked where possible) otherwise. The links are made in the file threads
// (file-threads.ts), so placing overlaps the checks and the repodata work of the main thread.
import path from 'node:path';
import { mkdir, stat } from 'node:fs/promises';
import { linkFiles } from './file-threads.js';
import type { PackageRecord } from './types.js';

export interface PlaceHooks {
  heartbeat?: (detail: string) => void;
  signal?: AbortSignal;
}

/** Relative path inside the os/ dir, Pungi style: Packages/<first letter>/<file>. */
export const packagePath = (p: PackageRecord) => {
  const file = path.basename(p.href || p.location);
  return `Packages/${file[0].toLowerCase()}/${file}`;
};

/** Links every package into osDir; returns the total size in bytes. */
export async function placePackages(osDir: string, pkgs: PackageRecord[], hooks: PlaceHooks = {}): Promise<number> {
  const dests = pkgs.map((p) => `${osDir}/${packagePath(p)}`);
  for (const dir of new Set(dests.map((d) => d.slice(0, d.lastIndexOf('/'))))) await mkdir(dir, { recursive: true });
  await linkFiles(
    pkgs.map((p) => p.location),
    dests,
    { signal: hooks.signal, progress: (n) => n % 512 === 0 && hooks.heartbeat?.(`placed ${n}/${pkgs.length} packages in ${osDir}`) },
  );
  let bytes = 0;
  for (const [i, p] of pkgs.entries()) bytes += p.size ?? (await stat(dests[i])).size;
  return bytes;
}
