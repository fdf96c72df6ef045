// Work of a compose off the main thread: each package file's GENERATE_VERIFY size/header check and
// its hard links into the compose trees (place.ts) run in worker threads, one pass over a slice of
// files per message, and so does the derivation of each metadata type (derive.ts), one message
// each. The main thread, which also runs the Temporal worker, only hands the work out. The threads
// (one per core, at most 4: the main thread waits on them while they work) start with the first
// use and stay for later composes (unref'd: they never keep the process alive); one that dies is
// replaced at the next use.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { GenerationError } from './errors.js';
import { encodeFileChecks } from './filecheck.js';
import type { DeriveJob, DerivedFile, FileJob, FileJobResult } from './file-jobs.js';
import type { PackageRecord } from './types.js';

/** Files per message: large enough that messaging costs little, small enough to stop soon on abort or failure. */
const SLICE = 64;
const MAX_THREADS = 4;

interface Thread {
  worker: Worker;
  pending: Map<number, (r: FileJobResult) => void>;
}

const threads: Thread[] = [];
let nextJob = 1;

/**
 * Compiled, this module is a .js file next to file-worker.js. Run through tsx (development, tests),
 * both are .ts, and tsx registers its loader on the main thread only: the thread registers it first.
 */
function newWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./file-worker.js', import.meta.url));
  const entry = new URL('./file-worker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(entry)}); })`, { eval: true });
}

function startThread(): Thread {
  const t: Thread = { worker: newWorker(), pending: new Map() };
  const lost = (why: string) => {
    const i = threads.indexOf(t);
    if (i >= 0) threads.splice(i, 1);
    for (const done of t.pending.values()) done({ id: 0, failure: { message: `file thread ${why}`, generation: false } });
    t.pending.clear();
  };
  t.worker.on('message', (r: FileJobResult) => {
    const done = t.pending.get(r.id);
    t.pending.delete(r.id);
    done?.(r);
  });
  t.worker.on('error', (e) => lost(`failed: ${e.message}`));
  t.worker.on('exit', (code) => lost(`exited (${code})`));
  t.worker.unref();
  threads.push(t);
  return t;
}

function pool(): Thread[] {
  const want = Math.max(1, Math.min(MAX_THREADS, os.availableParallelism()));
  while (threads.length < want) startThread();
  return threads;
}

/** Starts the threads ahead of their first job (their start overlaps the caller's other work). */
export function warmFileThreads(): void {
  pool();
}

type Job = FileJob extends infer J ? (J extends { id: number } ? Omit<J, 'id'> : never) : never;

function send(t: Thread, job: Job, id = nextJob++): Promise<FileJobResult> {
  return new Promise((resolve) => {
    t.pending.set(id, resolve);
    t.worker.ref();
    t.worker.postMessage({ ...job, id });
  }).finally(() => {
    if (!t.pending.size) t.worker.unref();
  }) as Promise<FileJobResult>;
}

function failureOf(r: FileJobResult): Error | undefined {
  const f = r.failure;
  if (!f) return undefined;
  if (f.generation) return new GenerationError(f.message);
  return Object.assign(new Error(f.message), f.code ? { code: f.code } : {});
}

export interface FileWorkHooks {
  signal?: AbortSignal;
  /** Called with the number of items done so far, after each slice. */
  progress?: (done: number) => void;
}

/**
 * Runs items [0, count) through the threads, a slice per message (`job` encodes a slice), each
 * thread one slice at a time. The first failure (or an abort) stops the dispatch; every slice in
 * flight is waited for before the failure is thrown, so nothing is written after the caller has
 * moved on.
 */
async function run(count: number, job: (from: number, to: number) => Job, hooks: FileWorkHooks): Promise<void> {
  if (!count) return;
  let next = 0;
  let done = 0;
  let failure: Error | undefined;
  const lane = async (t: Thread) => {
    while (next < count && !failure && !hooks.signal?.aborted) {
      const from = next;
      const to = (next = Math.min(count, next + SLICE));
      const r = await send(t, job(from, to));
      const err = failureOf(r);
      if (err) failure ??= err;
      else hooks.progress?.((done += to - from));
    }
  };
  await Promise.all(pool().slice(0, Math.ceil(count / SLICE)).map(lane));
  hooks.signal?.throwIfAborted();
  if (failure) throw failure;
}

/** A file to place: checked first when `check` is set, then linked (or copied) to each destination, whose dirs must exist. */
export interface Placement {
  pkg: PackageRecord;
  dests: string[];
  check: boolean;
}

/** Places the files in the threads (file-worker.ts); `mode` is the check of those whose `check` is set. */
export function placeFiles(items: readonly Placement[], mode: 'header' | 'size', hooks: FileWorkHooks = {}): Promise<void> {
  const job = (from: number, to: number) => {
    const links: string[] = [];
    const checked: PackageRecord[] = [];
    for (let i = from; i < to; i++) {
      const { pkg, dests, check } = items[i];
      if (check) checked.push(pkg);
      for (const d of dests) links.push(pkg.location, d);
    }
    return { kind: 'place' as const, mode, checks: encodeFileChecks(checked, 0, checked.length), links: links.join('\0') };
  };
  return run(items.length, job, hooks);
}

/**
 * Runs the derive jobs at once, spread over the threads; their files in job order. An abort
 * cancels the jobs in flight; a failure cancels the others. Every job is waited for before the
 * failure is thrown, so nothing is written after the caller has moved on.
 */
export async function deriveInThreads(jobs: DeriveJob[], hooks: { signal?: AbortSignal; done?: (job: number) => void } = {}): Promise<DerivedFile[][]> {
  hooks.signal?.throwIfAborted();
  // Each job to the thread with the least stored metadata so far, largest first.
  const threads = pool();
  const load = threads.map(() => 0);
  const stored = (j: DeriveJob) => j.repos.reduce((n, r) => n + (r.entry.size ?? 0), 0);
  const sent: Array<{ thread: Thread; id: number }> = new Array(jobs.length);
  for (const j of jobs.map((_, j) => j).sort((a, b) => stored(jobs[b]) - stored(jobs[a]))) {
    const t = load.indexOf(Math.min(...load));
    load[t] += stored(jobs[j]);
    sent[j] = { thread: threads[t], id: nextJob++ };
  }
  const cancel = () => {
    for (const { thread, id } of sent) if (thread.pending.has(id)) thread.worker.postMessage({ kind: 'cancel', target: id, id: nextJob++ } satisfies FileJob);
  };
  hooks.signal?.addEventListener('abort', cancel, { once: true });
  let failure: Error | undefined;
  try {
    const results = await Promise.all(
      jobs.map(async (job, j) => {
        const r = await send(sent[j].thread, { kind: 'derive', job }, sent[j].id);
        const err = failureOf(r);
        if (err && !failure) {
          failure = err;
          cancel();
        }
        if (!err) hooks.done?.(j);
        return r.files ?? [];
      }),
    );
    hooks.signal?.throwIfAborted();
    if (failure) throw failure;
    return results;
  } finally {
    hooks.signal?.removeEventListener('abort', cancel);
  }
}
