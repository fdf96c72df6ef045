// The demo tag's repository: a few small RPMs with dependencies between them, built with rpmbuild
// on first start so that a newcomer's first compose request works.
import fs from 'node:fs';
import path from 'node:path';
import { buildRepo, DEMO_RPMS } from './rpm-fixtures.js';

export async function ensureDemoRepo(dir: string): Promise<{ dir: string; built: boolean }> {
  if (fs.existsSync(path.join(dir, 'repodata', 'repomd.xml'))) return { dir, built: false };
  // Build beside the target and rename, so an interrupted build is simply redone next time.
  const staging = `${dir}.building-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  await buildRepo(staging, DEMO_RPMS);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(staging, dir);
  return { dir, built: true };
}
