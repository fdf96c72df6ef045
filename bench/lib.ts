// Small helpers shared by the benchmarks: env-var sizes, statistics and aligned output.
// Benchmarks print ratios against a baseline measured in the same run; nothing here asserts a time.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** mulberry32: a small deterministic PRNG, so generated fixtures are the same in every run. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A positive integer from the environment, or the default. A bad value stops the run with a clear message. */
export function envInt(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name}=${JSON.stringify(raw)}: expected an integer >= ${min}`);
  return n;
}

/** A comma-separated list of positive integers from the environment, or the default. */
export function envIntList(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const list = raw.split(',').map((s) => Number(s.trim()));
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new Error(`${name}=${JSON.stringify(raw)}: expected comma-separated integers >= 1`);
  }
  return list;
}

export function median(xs: number[]): number {
  return quantile(xs, 0.5);
}

/** Linear-interpolated quantile (q in [0,1]) of an unsorted sample. */
export function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export function max(xs: number[]): number {
  return xs.reduce((m, x) => (x > m ? x : m), -Infinity);
}

export const ms = (x: number) => `${x.toFixed(x < 10 ? 1 : 0)} ms`;
export const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a');

/** Prints rows as an aligned table (first row = header). */
export function table(rows: string[][]): void {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  for (const [i, r] of rows.entries()) {
    console.log('  ' + r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
    if (i === 0) console.log('  ' + widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

export function heading(title: string): void {
  console.log(`\n== ${title}`);
}

/** Progress to stderr, so stdout carries only the results. */
export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** The repository's root. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Builds dist/ when stale (scripts/build.mjs), for a bench that runs the compiled code as production does. */
export function buildDist(bench: string): void {
  progress(`${bench}: building dist/ when stale (scripts/build.mjs)`);
  const built = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  if (built.status !== 0) throw new Error(`${bench}: scripts/build.mjs failed (exit status ${built.status})`);
}

export function machineLine(): string {
  return `node ${process.version}, ${os.availableParallelism()} cpus (${os.cpus()[0]?.model ?? 'unknown'}), ${os.platform()} ${os.release()}`;
}

export const sleep = (msec: number) => new Promise<void>((r) => setTimeout(r, msec));

/** Runs fn over items with at most n in flight; resolves when all are done (rejects on the first error). */
export async function pool<T, R>(items: T[], n: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}
