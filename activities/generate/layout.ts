// Names and small files of the ODCS compose layout, in one place so the API
// (which serves the tree) and the generator agree.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Marks a finished compose dir; holds the result JSON or { failed }. */
export const MARKER = '.odcs-complete';
export const VARIANT = 'Temporary';

export const composeName = (id: number) => `odcs-${id}`;
export const composeDir = (targetDir: string, id: number) => path.join(targetDir, composeName(id));
/** Prefix of in-progress dirs; "-" after the id so odcs-1 never matches odcs-12. */
export const tempPrefix = (id: number) => `.tmp-odcs-${id}-`;

export const variantDir = (root: string) => path.join(root, 'compose', VARIANT);
export const osDir = (root: string, arch: string) => path.join(variantDir(root), arch, 'os');
export const globalLog = (root: string) => path.join(root, 'logs', 'global', 'pungi.global.log');

/** Pungi compose id for release "odcs-<id>" version "1", type test, respin 0. */
export function pungiComposeId(id: number, now = new Date()): string {
  const d = now.toISOString().slice(0, 10).replace(/-/g, '');
  return `${composeName(id)}-1-${d}.t.0`;
}

/** The .repo file ODCS serves next to the arch trees. */
export function repoFileText(id: number, resultRepoUrl: string): string {
  const name = composeName(id);
  return [
    `[${name}]`,
    `name=ODCS repository for compose ${name}`,
    `baseurl=${resultRepoUrl.replace(/\/+$/, '')}/$basearch/os`,
    'type=rpm-md',
    'skip_if_unavailable=False',
    'gpgcheck=0',
    'repo_gpgcheck=0',
    'enabled=1',
    'enabled_metadata=1',
    '',
  ].join('\n');
}

export type Marker<R> = { ok: true; result: R } | { ok: false; failed: string };

/** Reads the completion marker; undefined when absent (dir missing or attempt incomplete). */
export async function readMarker<R>(root: string): Promise<Marker<R> | undefined> {
  let raw: string;
  try {
    raw = await readFile(path.join(root, MARKER), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw e;
  }
  try {
    const data = JSON.parse(raw);
    return typeof data?.failed === 'string' ? { ok: false, failed: data.failed } : { ok: true, result: data as R };
  } catch {
    return undefined; // torn write: treat as incomplete and regenerate
  }
}

export const writeMarker = (root: string, data: unknown) => writeFile(path.join(root, MARKER), JSON.stringify(data) + '\n');
