// Puts the selected RPMs into the arch trees: hard links, O(1) per package on the same file
// system, copies (reflinked where possible) otherwise. A file is checked against its metadata
// first where derived repodata will repeat that metadata (GENERATE_VERIFY size or header), in the
// same pass: checks and links run in the file threads (file-threads.ts), beside the derivation of
// the repodata.
import path from 'node:path';
import { mkdir } from 'node:fs/promises';
import { placeFiles, type Placement } from './file-threads.js';
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

export interface PlaceCheck {
  mode: 'header' | 'size';
  /** Locations of the files to check (a set, or a map by location). */
  files: { has(location: string): boolean };
}

/** Links every tree's packages into its osDir; a file in several trees is checked (when in `check`) once. */
export async function placePackages(trees: Array<{ osDir: string; packages: PackageRecord[] }>, check: PlaceCheck | undefined, hooks: PlaceHooks = {}): Promise<void> {
  const byFile = new Map<string, Placement>();
  const dirs = new Set<string>();
  for (const t of trees) {
    for (const p of t.packages) {
      const dest = `${t.osDir}/${packagePath(p)}`;
      dirs.add(dest.slice(0, dest.lastIndexOf('/')));
      const known = byFile.get(p.location);
      if (known) known.dests.push(dest);
      else byFile.set(p.location, { pkg: p, dests: [dest], check: check?.files.has(p.location) ?? false });
    }
  }
  await Promise.all([...dirs].map((d) => mkdir(d, { recursive: true })));
  const items = [...byFile.values()];
  await placeFiles(items, check?.mode ?? 'size', {
    signal: hooks.signal,
    progress: (n) => n % 512 === 0 && hooks.heartbeat?.(`placed ${n}/${items.length} packages`),
  });
}
