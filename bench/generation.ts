// Benchmark 1: generating a compose (activities/generate generateCompose: read metadata, depsolve,
// hard-link, createrepo_c, layout files) against createrepo_c alone on the same RPM files, laid out
// the same way (Packages/<letter>/) and run through the same wrapper (activities/generate/createrepo.ts,
// so the flags are the generator's: --quiet --no-database --workers <min(8, cpus)>).
//
// Fixture per size N: N tiny noarch RPMs bench-NNNN; package i requires `bench-(i+1) >= 1.0` and the
// virtual `bench-cap-(i+2)` (provided by package i+2), so the compose requests only bench-0000 and
// the solver walks a two-wide dependency chain to pull in all N.
//
// Env: BENCH_GEN_SIZES (default "100,1000"), BENCH_GEN_REPEAT (timed runs per side, default 5;
// one extra untimed warm-up run each).
import { link, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { generateCompose, removeComposeTree, type GenerateInput } from '../activities/generate/index.js';
import { createrepo } from '../activities/generate/createrepo.js';
import { buildRepo, type FakeRpm } from '../scripts/rpm-fixtures.js';
import { envInt, envIntList, heading, median, ms, progress, quantile, ratio, table } from './lib.js';

export interface GenerationContext {
  tmp: string;
}

const pad = (i: number) => String(i).padStart(4, '0');

export function chainFixture(n: number, prefix = 'bench'): FakeRpm[] {
  return Array.from({ length: n }, (_, i) => {
    const requires: string[] = [];
    if (i + 1 < n) requires.push(`${prefix}-${pad(i + 1)} >= 1.0`);
    if (i + 2 < n) requires.push(`${prefix}-cap-${pad(i + 2)}`);
    return {
      name: `${prefix}-${pad(i)}`,
      version: '1.0',
      release: '1',
      provides: [`${prefix}-cap-${pad(i)} = 1.0`],
      requires,
    };
  });
}

interface SizeResult {
  size: number;
  gen: number[];
  base: number[];
}

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function benchSize(tmp: string, size: number, repeat: number): Promise<SizeResult> {
  const work = path.join(tmp, `gen-${size}`);
  const source = path.join(work, 'source');
  const target = path.join(work, 'composes');
  const baseline = path.join(work, 'baseline');
  progress(`generation: building ${size} RPMs with rpmbuild`);
  const t0 = Date.now();
  const rpms = await buildRepo(source, chainFixture(size));
  progress(`generation: fixture of ${size} built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  // The baseline tree: the same files, hard-linked as the generator places them (Packages/<letter>/).
  for (const rpm of rpms) {
    const file = path.basename(rpm);
    const dir = path.join(baseline, 'Packages', file[0].toLowerCase());
    await mkdir(dir, { recursive: true });
    await link(rpm, path.join(dir, file));
  }

  let nextId = 1;
  const input = (): GenerateInput => {
    const composeId = nextId++;
    return {
      composeId,
      targetDir: target,
      sourceRepos: [source],
      packages: ['bench-0000'],
      arches: ['x86_64'],
      noDeps: false,
      checkDeps: true,
      resultRepoUrl: `http://localhost/composes/odcs-${composeId}/compose/Temporary`,
    };
  };
  const runGen = async () => {
    const inp = input();
    let packages = 0;
    const t = await timeIt(async () => {
      packages = (await generateCompose(inp)).packages;
    });
    if (packages !== size) throw new Error(`generation of ${size} produced ${packages} packages: the fixture chain is broken`);
    await removeComposeTree(target, inp.composeId);
    return t;
  };
  const runBase = async () => {
    await rm(path.join(baseline, 'repodata'), { recursive: true, force: true });
    return timeIt(() => createrepo(baseline));
  };

  await runGen(); // warm-up: page cache, JIT, createrepo_c's shared libraries
  await runBase();
  const result: SizeResult = { size, gen: [], base: [] };
  for (let r = 0; r < repeat; r++) {
    // Interleaved, so drift in machine load hits both sides alike.
    result.gen.push(await runGen());
    result.base.push(await runBase());
    progress(`generation: ${size} packages, run ${r + 1}/${repeat}: generate ${ms(result.gen.at(-1)!)}, createrepo_c ${ms(result.base.at(-1)!)}`);
  }
  await rm(work, { recursive: true, force: true });
  return result;
}

export async function runGenerationBench(ctx: GenerationContext): Promise<void> {
  const sizes = envIntList('BENCH_GEN_SIZES', [100, 1000]);
  const repeat = envInt('BENCH_GEN_REPEAT', 5);
  const results: SizeResult[] = [];
  for (const size of sizes) results.push(await benchSize(ctx.tmp, size, repeat));

  heading(`generation: generateCompose vs createrepo_c alone (median of ${repeat} runs each, interleaved, after 1 warm-up)`);
  const rows = [['packages', 'generate p50', 'createrepo_c p50', 'ratio', 'overhead', 'generate min..max', 'createrepo_c min..max']];
  for (const r of results) {
    const g = median(r.gen);
    const b = median(r.base);
    rows.push([
      String(r.size),
      ms(g),
      ms(b),
      ratio(g, b),
      ms(g - b),
      `${ms(quantile(r.gen, 0))}..${ms(quantile(r.gen, 1))}`,
      `${ms(quantile(r.base, 0))}..${ms(quantile(r.base, 1))}`,
    ]);
  }
  table(rows);
  console.log('  ratio = generate / createrepo_c (same RPMs, same layout, same flags); overhead = the difference of the medians.');
}
