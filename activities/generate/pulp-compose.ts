// A `pulp` compose is only its .repo file, in ODCS's layout, written into a temporary directory
// and renamed into place like every other compose.
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { composeDir, composeName, pungiComposeId, readMarker, tempPrefix, variantDir, writeMarker } from './layout.js';
import type { GenerateResult } from './index.js';

export interface PulpPlan {
  composeId: number;
  targetDir: string;
  repoFileText: string;
  arches: string[];
}

export async function writePulpCompose(plan: PulpPlan): Promise<GenerateResult> {
  const finalDir = composeDir(plan.targetDir, plan.composeId);
  const existing = await readMarker<GenerateResult>(finalDir);
  if (existing?.ok) return existing.result;
  await mkdir(plan.targetDir, { recursive: true });
  const tmp = path.join(plan.targetDir, tempPrefix(plan.composeId) + randomBytes(6).toString('hex'));
  const result: GenerateResult = { packages: 0, arches: plan.arches, bytes: 0, pungiComposeId: pungiComposeId(plan.composeId) };
  await mkdir(variantDir(tmp), { recursive: true });
  await writeFile(path.join(variantDir(tmp), `${composeName(plan.composeId)}.repo`), plan.repoFileText);
  await writeMarker(tmp, result);
  await rm(finalDir, { recursive: true, force: true });
  await rename(tmp, finalDir);
  return result;
}
