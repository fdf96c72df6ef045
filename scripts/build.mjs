#!/usr/bin/env node
// The production build: `tsc -p tsconfig.build.json` into dist/ (git-ignored), the workflow bundle
// the compiled worker loads (dist/workflow-bundle.js), plus the files the compiled code reads at run
// time (SQL migrations, the plain-JavaScript helpers of scripts/lib).
// Rebuilt only when missing or stale: a stamp records the sources' newest change and their list.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DIST = path.join(root, 'dist');
const STAMP = path.join(DIST, '.build-stamp');
/** The folders tsconfig.build.json compiles (first path segment of each include) and the migrations. */
const SOURCE_DIRS = [
  ...new Set([...JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.build.json'), 'utf8')).include.map((p) => p.split('/')[0]), 'migrations']),
];
const SOURCE_FILES = ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];
/** Copied as they are: read at run time by compiled code, not compiled. */
const ASSETS = [
  { from: 'migrations', filter: (f) => f.endsWith('.sql') },
  { from: 'scripts/lib', filter: (f) => f.endsWith('.mjs') },
];

function walk(dir, out) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

/** A digest of every source file's path, size and mtime: any edit, addition or removal changes it. */
function sourceDigest() {
  const files = SOURCE_FILES.map((f) => path.join(root, f));
  for (const dir of SOURCE_DIRS) walk(path.join(root, dir), files);
  const hash = createHash('sha256');
  for (const f of files.sort()) {
    const st = fs.statSync(f, { throwIfNoEntry: false });
    hash.update(`${path.relative(root, f)}\0${st ? `${st.size}:${st.mtimeMs}` : '-'}\n`);
  }
  return hash.digest('hex');
}

export function buildIsCurrent() {
  try {
    return fs.readFileSync(STAMP, 'utf8').trim() === sourceDigest();
  } catch {
    return false;
  }
}

/** Builds dist/ when missing or stale. Returns null on success, or a one-line reason. */
export function ensureBuild({ log = () => {}, force = false } = {}) {
  if (!force && buildIsCurrent()) return null;
  log('compiling TypeScript into dist/ (tsc)');
  const digest = sourceDigest();
  fs.rmSync(DIST, { recursive: true, force: true });
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) return `tsc failed (${r.error?.message ?? `exit status ${r.status}`}); run npx tsc -p tsconfig.build.json to see why`;
  // The workflows bundled once here, loaded by the compiled worker (no webpack at its start).
  const b = spawnSync(process.execPath, [path.join(root, 'scripts', 'bundle-workflows.mjs')], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) return `bundling the workflows failed (${b.error?.message ?? `exit status ${b.status}`}); run node scripts/bundle-workflows.mjs to see why`;
  for (const { from, filter } of ASSETS) {
    const src = path.join(root, from);
    const dst = path.join(DIST, from);
    fs.mkdirSync(dst, { recursive: true });
    for (const f of fs.readdirSync(src).filter(filter)) fs.copyFileSync(path.join(src, f), path.join(dst, f));
  }
  fs.writeFileSync(STAMP, `${digest}\n`);
  return null;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const why = ensureBuild({ log: (m) => process.stderr.write(`[build] ${m}\n`), force: process.argv.includes('--force') });
  if (why) {
    process.stderr.write(`[build] error: ${why}\n`);
    process.exit(1);
  }
}
