// Benchmark: the closure of N requested packages out of a synthetic Fedora-size source (70,000
// packages, bench/synthetic-source.ts) with the generator's resolver, against dnf resolving the
// same request from the same metadata with a cold cache (`dnf repoquery --requires --resolve
// --recursive`). Each side runs as its own process under /usr/bin/time: wall time and peak RSS. The
// generator's process also resolves the request a second time, from its parsed-source cache. The
// generator runs as production runs it: compiled (dist/, built when stale), under plain node.
//
// Env: BENCH_CLOSURE_PACKAGES (source size, default 70000), BENCH_CLOSURE_REQUEST (default 500),
// BENCH_CLOSURE_REPEAT (default 3), BENCH_CLOSURE_TSX (0; 1: the generator's TypeScript under tsx instead).
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildDist, envInt, ROOT, heading, median, ms, progress, ratio, table } from './lib.js';
import { requestNames, syntheticPackages, writeSyntheticRepo } from './synthetic-source.js';

export interface ClosureContext {
  tmp: string;
}

interface Timed {
  wallMs: number;
  maxRssKb: number;
  stdout: string;
}

/** Runs a command under GNU time; wall time and peak RSS of the command. */
function timed(cmd: string, args: string[]): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '@@TIME %e %M', cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const m = /@@TIME ([\d.]+) (\d+)/.exec(err);
      if (code !== 0 || !m) return reject(new Error(`${cmd} failed (${code}): ${err.slice(-2000)}`));
      resolve({ wallMs: Number(m[1]) * 1000, maxRssKb: Number(m[2]), stdout: out });
    });
  });
}

export async function runClosureBench(ctx: ClosureContext): Promise<void> {
  const size = envInt('BENCH_CLOSURE_PACKAGES', 70000);
  const request = envInt('BENCH_CLOSURE_REQUEST', 500);
  const repeat = envInt('BENCH_CLOSURE_REPEAT', 3);
  const repo = path.join(ctx.tmp, `closure-${size}`);
  progress(`closure: writing a synthetic source of ${size} packages`);
  const t0 = Date.now();
  const pkgs = syntheticPackages(size);
  await writeSyntheticRepo(repo, pkgs);
  const names = requestNames(pkgs, request);
  const namesFile = path.join(ctx.tmp, 'closure-request.json');
  await writeFile(namesFile, JSON.stringify(names));
  progress(`closure: source written in ${((Date.now() - t0) / 1000).toFixed(1)} s; requesting ${names.length} packages`);

  const worker = path.join(ROOT, 'bench', 'closure-worker.mjs');
  const underTsx = envInt('BENCH_CLOSURE_TSX', 0, 0) === 1;
  if (!underTsx) buildDist('closure');
  const generator = underTsx
    ? [...['--import', 'tsx'], worker, path.join(ROOT, 'activities', 'generate')]
    : [worker, path.join(ROOT, 'dist', 'activities', 'generate')];
  const ours: Array<Timed & { cold: number; cached: number; closure: number; rss: number; startRss: number }> = [];
  const dnf: Array<Timed & { closure: number }> = [];
  for (let r = 0; r < repeat; r++) {
    const o = await timed(process.execPath, [...generator, repo, namesFile]);
    const j = JSON.parse(o.stdout.trim().split('\n').at(-1)!);
    ours.push({ ...o, cold: j.cold.ms, cached: j.cached.ms, closure: j.cold.closure, rss: j.maxRssKb, startRss: j.startRssKb });
    const cache = await mkdtemp(path.join(ctx.tmp, 'dnf-cache-'));
    const d = await timed('dnf', [
      'repoquery', '-q', '--setopt=reposdir=/dev/null', `--setopt=cachedir=${cache}`, '--releasever=0', '--forcearch=x86_64',
      `--repofrompath=s,${repo}`, '--repo=s', '--requires', '--resolve', '--recursive', ...names,
    ]);
    await rm(cache, { recursive: true, force: true });
    const resolved = new Set(d.stdout.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => l.replace(/-[^-]+-[^-]+$/, '')));
    for (const n of names) resolved.add(n);
    dnf.push({ ...d, closure: resolved.size });
    progress(`closure: run ${r + 1}/${repeat}: generator ${ms(o.wallMs)} (resolve ${ms(j.cold.ms)}, cached ${ms(j.cached.ms)}, ${j.cold.closure} packages, ${(o.maxRssKb / 1024).toFixed(0)} MB), dnf ${ms(d.wallMs)} (${resolved.size} names, ${(d.maxRssKb / 1024).toFixed(0)} MB)`);
  }
  await rm(repo, { recursive: true, force: true });

  heading(
    `closure: ${names.length} requested packages out of ${size} (synthetic), generator (${underTsx ? 'under tsx' : 'compiled'}) vs dnf repoquery --resolve --recursive, cold (median of ${repeat})`,
  );
  const oWall = median(ours.map((o) => o.wallMs));
  const dWall = median(dnf.map((d) => d.wallMs));
  const oRss = median(ours.map((o) => o.maxRssKb));
  const dRss = median(dnf.map((d) => d.maxRssKb));
  table([
    ['side', 'process wall p50', 'peak RSS p50', 'closure'],
    ['generator (cold process)', ms(oWall), `${(oRss / 1024).toFixed(0)} MB`, String(ours[0].closure)],
    ['dnf (cold cache)', ms(dWall), `${(dRss / 1024).toFixed(0)} MB`, String(dnf[0].closure)],
    ['ratio', ratio(oWall, dWall), ratio(oRss, dRss), ''],
  ]);
  console.log(`  generator inside its process: parse + resolve ${ms(median(ours.map((o) => o.cold)))}, again from the parsed-source cache ${ms(median(ours.map((o) => o.cached)))}`);
  console.log(`  generator RSS once its modules are loaded, before reading anything: ${(median(ours.map((o) => o.startRss)) / 1024).toFixed(0)} MB`);
  console.log('  closure: packages selected (generator) / distinct names requested or printed (dnf, one per name+arch).');
}
