// Benchmark 1: generating a compose (activities/generate generateCompose: read metadata, depsolve,
// hard-link, check the files against the source metadata, derive the repodata, layout files)
// against createrepo_c alone on the same RPM files, laid out the same way (Packages/<letter>/) and
// run through the same wrapper (activities/generate/createrepo.ts, so the flags are the
// generator's: --quiet --no-database --workers <min(8, cpus)>).
//
// Fixture per size N: N noarch RPMs bench-NNNN; package i requires `bench-(i+1) >= 1.0` and the
// virtual `bench-cap-(i+2)` (provided by package i+2), so the compose requests only bench-0000 and
// the solver walks a two-wide dependency chain to pull in all N. "tiny" RPMs are a few KB;
// "realistic" ones carry an uncompressed zero payload with Fedora-like spread: half 200 KB, 37.5 %
// 1 MB, 10 % 3 MB, 2 % 10 MB, 0.5 % 50 MB (mean 1.2 MB).
//
// generate is measured three ways: "cold" after dropping the worker's caches (the source metadata
// parsed again; each package checked as GENERATE_VERIFY's default says: its size and RPM header,
// the checksums taken from the source metadata), "full" cold with GENERATE_VERIFY=full (every file
// read and hashed, as createrepo_c does), and "warm" with the caches (a worker composing again from
// the same source). The page cache is warm for every side. Beside the wall times, the CPU time of
// each side (generate's main thread and all its threads; createrepo_c's threads) and the load
// average of each round, since wall times on a shared machine follow its load.
//
// The generator runs compiled (dist/, built by scripts/build.mjs when stale), as the production
// worker runs it; BENCH_GEN_TSX=1 runs the TypeScript through tsx instead, as the tests do.
//
// Env: BENCH_GEN_SIZES (tiny sizes, default "100,1000"), BENCH_GEN_REALISTIC (realistic sizes,
// default "1000"; "0" skips), BENCH_GEN_REPEAT (timed runs per side, default 5; before them, three
// untimed warm-up runs of each side: a worker composes again and again, its code compiled by then).
import { readFileSync } from 'node:fs';
import { link, mkdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { GenerateInput } from '../activities/generate/index.js';
import { buildRepo, type FakeRpm } from '../scripts/rpm-fixtures.js';
import { buildDist, envInt, envIntList, heading, median, ms, progress, quantile, ratio, ROOT, table } from './lib.js';

export interface GenerationContext {
  tmp: string;
}

const pad = (i: number) => String(i).padStart(4, '0');

const MB = 1024 * 1024;

/** Package sizes with Fedora-like spread for n packages: mean about 1.2 MB, the largest 50 MB. */
export function realisticSizes(n: number): number[] {
  const shares: Array<[number, number]> = [
    [0.005, 50 * MB],
    [0.02, 10 * MB],
    [0.1, 3 * MB],
    [0.375, 1 * MB],
  ];
  const out: number[] = [];
  for (const [share, bytes] of shares) for (let k = Math.max(1, Math.round(share * n)); k > 0 && out.length < n; k--) out.push(bytes);
  while (out.length < n) out.push(200 * 1024);
  // Spread big and small through the chain rather than in blocks.
  return out.map((b, i) => [b, (i * 7919) % n] as const).sort((a, b) => a[1] - b[1]).map(([b]) => b);
}

export function chainFixture(n: number, prefix = 'bench', sizes?: number[]): FakeRpm[] {
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
      ...(sizes ? { payloadBytes: sizes[i] } : {}),
    };
  });
}

interface SizeResult {
  kind: 'tiny' | 'realistic';
  size: number;
  bytes: number;
  cold: number[];
  full: number[];
  warm: number[];
  base: number[];
  /** CPU time of each cold generate: this process's main thread, and all its threads. */
  coldMainCpu: number[];
  coldCpu: number[];
  /** CPU time of each createrepo_c run (its threads). */
  baseCpu: number[];
  /** 1-minute load average at each interleaved round. */
  load: number[];
}

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

// CPU time in ms (Linux /proc; NaN elsewhere): on a machine shared with other work, wall times
// follow its load, CPU times much less.
const procNumbers = (file: string) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};
/** This process's main thread (schedstat: ns on a CPU). */
const mainThreadCpu = () => Number(procNumbers(`/proc/self/task/${process.pid}/schedstat`)?.split(' ')[0] ?? NaN) / 1e6;
const processCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
/** Waited-for children (createrepo_c), in clock ticks of 10 ms. */
const childrenCpu = () => {
  const f = procNumbers('/proc/self/stat')?.split(') ')[1]?.split(' ');
  return f ? (Number(f[13]) + Number(f[14])) * 10 : NaN;
};

/** The generator's modules: compiled from dist/ (the default), or the TypeScript under tsx (BENCH_GEN_TSX=1). */
async function loadGenerator() {
  const tsx = process.env.BENCH_GEN_TSX === '1';
  if (!tsx) buildDist('generation');
  const dir = tsx ? path.join(ROOT, 'activities', 'generate') : path.join(ROOT, 'dist', 'activities', 'generate');
  const ext = tsx ? '.ts' : '.js';
  const load = (name: string) => import(path.join(dir, name + ext));
  const [index, createrepo, repodata, digest] = await Promise.all([load('index'), load('createrepo'), load('repodata'), load('digest')]);
  return {
    generateCompose: index.generateCompose as typeof import('../activities/generate/index.js').generateCompose,
    removeComposeTree: index.removeComposeTree as typeof import('../activities/generate/index.js').removeComposeTree,
    createrepo: createrepo.createrepo as typeof import('../activities/generate/createrepo.js').createrepo,
    clearRepoCache: repodata.clearRepoCache as () => void,
    clearDigestCache: digest.clearDigestCache as () => void,
  };
}
type Generator = Awaited<ReturnType<typeof loadGenerator>>;

const WARM_UPS = 3;

async function benchSize(gen: Generator, tmp: string, kind: SizeResult['kind'], size: number, repeat: number): Promise<SizeResult> {
  const work = path.join(tmp, `gen-${kind}-${size}`);
  const source = path.join(work, 'source');
  const target = path.join(work, 'composes');
  const baseline = path.join(work, 'baseline');
  progress(`generation: building ${size} ${kind} RPMs with rpmbuild`);
  const t0 = Date.now();
  const sizes = kind === 'realistic' ? realisticSizes(size) : undefined;
  const rpms = await buildRepo(source, chainFixture(size, 'bench', sizes));
  let bytes = 0;
  for (const rpm of rpms) bytes += (await stat(rpm)).size;
  progress(`generation: fixture of ${size} (${(bytes / MB).toFixed(0)} MB) built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

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
  const result: SizeResult = { kind, size, bytes, cold: [], full: [], warm: [], base: [], coldMainCpu: [], coldCpu: [], baseCpu: [], load: [] };
  const runGen = async (cold: boolean, verify?: 'full') => {
    if (cold) {
      gen.clearRepoCache();
      gen.clearDigestCache();
    }
    const inp = input();
    let packages = 0;
    const [main0, cpu0] = [mainThreadCpu(), processCpu()];
    const t = await timeIt(async () => {
      packages = (await gen.generateCompose(inp, { verify })).packages;
    });
    if (cold && !verify) result.coldMainCpu.push(mainThreadCpu() - main0), result.coldCpu.push(processCpu() - cpu0);
    if (packages !== size) throw new Error(`generation of ${size} produced ${packages} packages: the fixture chain is broken`);
    await gen.removeComposeTree(target, inp.composeId);
    return t;
  };
  const runBase = async () => {
    await rm(path.join(baseline, 'repodata'), { recursive: true, force: true });
    const cpu0 = childrenCpu();
    const t = await timeIt(() => gen.createrepo(baseline));
    result.baseCpu.push(childrenCpu() - cpu0);
    return t;
  };

  // Warm-ups: page cache, JIT, createrepo_c's shared libraries, the file threads.
  for (let w = 0; w < WARM_UPS; w++) await runGen(true), await runBase();
  result.coldMainCpu.length = result.coldCpu.length = result.baseCpu.length = 0;
  for (let r = 0; r < repeat; r++) {
    // Interleaved, so drift in machine load hits every side alike.
    result.load.push(os.loadavg()[0]);
    result.cold.push(await runGen(true));
    result.warm.push(await runGen(false));
    result.base.push(await runBase());
    result.full.push(await runGen(true, 'full'));
    progress(
      `generation: ${size} ${kind} packages, run ${r + 1}/${repeat}: generate cold ${ms(result.cold.at(-1)!)}, warm ${ms(result.warm.at(-1)!)}, full ${ms(result.full.at(-1)!)}, createrepo_c ${ms(result.base.at(-1)!)} (load ${result.load.at(-1)!.toFixed(1)})`,
    );
  }
  await rm(work, { recursive: true, force: true });
  return result;
}

export async function runGenerationBench(ctx: GenerationContext): Promise<void> {
  const tiny = envIntList('BENCH_GEN_SIZES', [100, 1000]);
  const realistic = process.env.BENCH_GEN_REALISTIC === '0' ? [] : envIntList('BENCH_GEN_REALISTIC', [1000]);
  const repeat = envInt('BENCH_GEN_REPEAT', 5);
  const results: SizeResult[] = [];
  const gen = await loadGenerator();
  for (const size of tiny) results.push(await benchSize(gen, ctx.tmp, 'tiny', size, repeat));
  for (const size of realistic) results.push(await benchSize(gen, ctx.tmp, 'realistic', size, repeat));

  heading(`generation: generateCompose vs createrepo_c alone (median of ${repeat} runs each, interleaved, after ${WARM_UPS} warm-ups; ${process.env.BENCH_GEN_TSX === '1' ? 'TypeScript under tsx' : 'compiled'})`);
  const rows = [['packages', 'MB', 'createrepo_c p50', 'cold p50', 'ratio cold', 'warm p50', 'ratio warm', 'cold full p50', 'ratio full', 'cold min..max', 'createrepo_c min..max']];
  for (const r of results) {
    const b = median(r.base);
    rows.push([
      `${r.size} ${r.kind}`,
      (r.bytes / MB).toFixed(0),
      ms(b),
      ms(median(r.cold)),
      ratio(median(r.cold), b),
      ms(median(r.warm)),
      ratio(median(r.warm), b),
      ms(median(r.full)),
      ratio(median(r.full), b),
      `${ms(quantile(r.cold, 0))}..${ms(quantile(r.cold, 1))}`,
      `${ms(quantile(r.base, 0))}..${ms(quantile(r.base, 1))}`,
    ]);
  }
  table(rows);
  const cpuRows = [['packages', 'load (1 min) min..max', 'cold: main thread CPU p50', 'cold: all threads CPU p50', 'createrepo_c CPU p50', 'cold ratios per run (generate / createrepo_c)']];
  for (const r of results) {
    cpuRows.push([
      `${r.size} ${r.kind}`,
      `${quantile(r.load, 0).toFixed(1)}..${quantile(r.load, 1).toFixed(1)}`,
      ms(median(r.coldMainCpu)),
      ms(median(r.coldCpu)),
      ms(median(r.baseCpu)),
      r.cold.map((c, i) => (c / r.base[i]).toFixed(2)).join(' '),
    ]);
  }
  table(cpuRows);
  console.log('  CPU: generate\'s main thread is its critical path; its other threads (file threads: links and header checks; gzip in the');
  console.log('  thread pool) run beside it, as createrepo_c\'s --workers threads do. createrepo_c\'s CPU is counted in 10 ms ticks.');
  console.log('  ratio = generate / createrepo_c (same RPMs, same layout, same flags). cold: worker caches dropped, packages checked by size and');
  console.log('  RPM header (GENERATE_VERIFY=header, the default); full: the same with GENERATE_VERIFY=full (every package hashed);');
  console.log('  warm: source metadata parsed by an earlier compose in the same worker.');
}
