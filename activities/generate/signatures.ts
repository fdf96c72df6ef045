// Which key signed each RPM, read from its header with `rpm -qp`. ODCS's sigkeys name keys by
// their short (8 hex) or long (16 hex) id; "" in the list accepts unsigned packages.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { PackageRecord } from './types.js';

const execFileAsync = promisify(execFile);
const BATCH = 200;
const QUERY = '%{SIGPGP:pgpsig}|%{SIGGPG:pgpsig}|%{RSAHEADER:pgpsig}|%{DSAHEADER:pgpsig}\\n';

/** The signing key id (16 lower-case hex) of each file, or null when unsigned. */
export async function signingKeys(files: string[]): Promise<Map<string, string | null>> {
  const keys = new Map<string, string | null>();
  for (let i = 0; i < files.length; i += BATCH) {
    const batch = files.slice(i, i + BATCH);
    const { stdout } = await execFileAsync('rpm', ['-qp', '--nosignature', '--nodigest', '--qf', QUERY, ...batch], {
      maxBuffer: 64 * 1024 * 1024,
    });
    const lines = stdout.split('\n').filter((l) => l.includes('|'));
    batch.forEach((file, j) => {
      const m = /Key ID ([0-9a-f]{16})/i.exec(lines[j] ?? '');
      keys.set(file, m ? m[1].toLowerCase() : null);
    });
  }
  return keys;
}

export function keyAccepted(key: string | null, sigkeys: string[]): boolean {
  return sigkeys.some((wanted) => {
    const w = wanted.trim().toLowerCase();
    if (w === '') return key === null;
    return key !== null && key.endsWith(w);
  });
}

/** The packages none of `sigkeys` signed, by name. */
export async function unacceptablySigned(packages: PackageRecord[], sigkeys: string[]): Promise<string[]> {
  const keys = await signingKeys(packages.map((p) => p.location));
  return [...new Set(packages.filter((p) => !keyAccepted(keys.get(p.location) ?? null, sigkeys)).map((p) => p.name))].sort();
}
