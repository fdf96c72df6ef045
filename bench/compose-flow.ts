// Benchmark: composes through the whole stack (API, PostgreSQL, starter, Temporal, worker), one stack.
//
//   1. submit -> generating on an idle stack: composes one at a time (no_reuse, so each generates),
//      each after the previous one is done; latency from sending the POST to the transaction that
//      moved the compose to `generating` (its outbox row). The POST's own latency is the reference.
//   2. composes reaching `done` per second: REUSE identical requests (the first generates, the rest
//      reuse it), then DISTINCT ones (no_reuse: each generates), CONCURRENCY POSTs in flight;
//      done/s = composes / (last time_done - first time_submitted), next to the POST rate of the
//      same requests (1.00x: the backend keeps up with the API). A round ends once its last composes'
//      workflows have run their first task (reused at admission, a compose is done before that), so
//      the next round does not queue behind it.
//   3. worker RSS with LIVE composes alive at once (long lifetimes: each workflow waits on its
//      expiry timer), the worker process sampled every second; against its RSS when idle.
//
// The worker is its own process (worker/main.ts, as `npm start` runs it), the API the stack's
// in-process one, the load from a worker thread (bench/http-load-worker.mjs).
//
// Env: BENCH_FLOW_LATENCY (30), BENCH_FLOW_REUSE (2000), BENCH_FLOW_DISTINCT (500),
// BENCH_FLOW_LIVE (10000, composes alive at the end, the earlier ones included),
// BENCH_FLOW_CONCURRENCY (8), BENCH_FLOW_COMPILED (0; 1: the worker runs compiled, dist/worker/main.js,
// as in production, with production's node flags, WORKER_NODE_ARGS; built first when stale),
// BENCH_FLOW_WORKER_NODE_ARGS (unset: those flags when compiled, none under tsx; else the worker's node
// flags, space-separated, "" for none), BENCH_FLOW_CPU_PROFILE (unset; a directory: the worker
// writes a V8 CPU profile there when it exits).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker as ThreadWorker } from 'node:worker_threads';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { buildRepo } from '../scripts/rpm-fixtures.js';
import { WORKER_NODE_ARGS } from '../scripts/cluster/topology.js';
import { http, startStack, type Stack } from '../test/harness/stack.js';
import { composeWorkflowId } from '../workflows/messages.js';
import { envInt, heading, median, ms, progress, quantile, ratio, sleep, table } from './lib.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PACKAGES = 50;
const pkg = (i: number) => `flow-p${String(i).padStart(2, '0')}`;

interface LoadResult {
  elapsedMs: number;
  latencies: number[];
}

function postLoad(thread: ThreadWorker, url: string, bodies: unknown[], concurrency: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    thread.once('message', (m: LoadResult & { statuses: Record<string, number>; firstError: string | null }) => {
      if (m.firstError) reject(new Error(`POST failed (${JSON.stringify(m.statuses)}): ${m.firstError}`));
      else resolve(m);
    });
    thread.postMessage({ url, method: 'POST', bodies: bodies.map((b) => JSON.stringify(b)), total: bodies.length, concurrency });
  });
}

function rssMb(pid: number): { rss: number; peak: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** Waits until every compose with id > `after` has left wait/generating; returns how many there are. */
async function settle(stack: Stack, after: number, expected: number, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const { rows } = await stack.pool.query(
      `SELECT count(*) FILTER (WHERE state IN (0, 1))::int AS busy, count(*) FILTER (WHERE state = 4)::int AS failed, count(*)::int AS n
         FROM composes WHERE id > $1`,
      [after],
    );
    const r = rows[0];
    if (r.failed > 0) {
      const { rows: f } = await stack.pool.query('SELECT id, state_reason FROM composes WHERE id > $1 AND state = 4 LIMIT 1', [after]);
      throw new Error(`${what}: compose ${f[0].id} failed: ${f[0].state_reason}`);
    }
    if (r.n >= expected && r.busy === 0) return;
    const line = `${what}: ${r.n - r.busy}/${expected} finished`;
    if (line !== last) progress(line);
    last = line;
    if (Date.now() > deadline) throw new Error(`${what}: timed out (${line})`);
    await sleep(500);
  }
}

async function maxId(stack: Stack): Promise<number> {
  const { rows } = await stack.pool.query('SELECT coalesce(max(id), 0)::int AS id FROM composes');
  return rows[0].id;
}

/** composes per second from the first submission to the last completion (PostgreSQL's clock). */
async function doneRate(stack: Stack, after: number): Promise<{ n: number; perSecond: number; spanS: number }> {
  const { rows } = await stack.pool.query(
    `SELECT count(*)::int AS n, extract(epoch FROM max(time_done) - min(time_submitted))::float AS span FROM composes WHERE id > $1`,
    [after],
  );
  return { n: rows[0].n, perSecond: rows[0].n / rows[0].span, spanS: rows[0].span };
}

/** Waits until every compose with id > `after` has its workflow running (its start record done). */
async function settleStarts(stack: Stack, after: number, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await stack.pool.query(
      `SELECT count(*)::int AS n FROM workflow_commands WHERE compose_id > $1 AND kind = 'start' AND done_at IS NULL`,
      [after],
    );
    if (rows[0].n === 0) return;
    progress(`${what}: ${rows[0].n} workflow starts pending`);
    if (Date.now() > deadline) throw new Error(`${what}: workflow starts timed out (${rows[0].n} pending)`);
    await sleep(500);
  }
}

/**
 * Waits until the round's last composes (the newest `sample`) have run their first workflow task:
 * a compose reused at admission is done, and its start accepted, before the worker has run its
 * workflow (the expiry timer). The next round must not queue behind this one's workflow tasks.
 */
async function settleFirstTasks(stack: Stack, after: number, what: string, timeoutMs: number, sample = 20): Promise<void> {
  const { rows } = await stack.pool.query('SELECT id FROM composes WHERE id > $1 ORDER BY id DESC LIMIT $2', [after, sample]);
  const deadline = Date.now() + timeoutMs;
  let waiting = rows.map((r) => Number(r.id));
  while (waiting.length > 0) {
    const still: number[] = [];
    for (const id of waiting) {
      const history = await stack.temporal.client.workflow.getHandle(composeWorkflowId(id)).fetchHistory();
      if (!(history.events ?? []).some((e) => e.eventType === WFT_COMPLETED)) still.push(id);
    }
    waiting = still;
    if (waiting.length === 0) return;
    progress(`${what}: ${waiting.length} of the last ${rows.length} workflows wait for their first task`);
    if (Date.now() > deadline) throw new Error(`${what}: first workflow tasks timed out`);
    await sleep(1_000);
  }
}

/**
 * Which path each compose of a round took: reuse decided at admission (done before its workflow's
 * start was taken) or through its workflow; submission -> done of each; and the rate
 * at which the round's workflows were running (start records taken: every compose has its
 * workflow, if only for the expiry timer).
 */
async function pathBreakdown(stack: Stack, after: number): Promise<string[][]> {
  const { rows } = await stack.pool.query(
    `SELECT (c.reused_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM workflow_commands w
               WHERE w.compose_id = c.id AND w.kind = 'start' AND w.done_at IS NOT NULL AND w.done_at <= c.time_done)) AS admitted,
            extract(epoch FROM c.time_done - c.time_submitted)::float * 1000 AS to_done
       FROM composes c WHERE c.id > $1`,
    [after],
  );
  const { rows: starts } = await stack.pool.query(
    `SELECT count(*)::int AS n, extract(epoch FROM max(w.done_at) - min(c.time_submitted))::float AS span
       FROM composes c JOIN workflow_commands w ON w.compose_id = c.id AND w.kind = 'start' WHERE c.id > $1`,
    [after],
  );
  const line = (name: string, xs: number[]) => [name, String(xs.length), xs.length ? ms(median(xs)) : '-', xs.length ? ms(quantile(xs, 0.9)) : '-', xs.length ? ms(quantile(xs, 1)) : '-'];
  return [
    ['path', 'composes', 'submitted -> done p50', 'p90', 'max'],
    line('reuse decided at admission (starter)', rows.filter((r) => r.admitted).map((r) => r.to_done)),
    line('through the workflow', rows.filter((r) => !r.admitted).map((r) => r.to_done)),
    [`workflows running (start taken): ${(starts[0].n / starts[0].span).toFixed(1)}/s over ${starts[0].span.toFixed(1)} s`, String(starts[0].n), '', '', ''],
  ];
}

const tsMs = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;
/** History event types (temporal.api.enums.v1.EventType). */
const STARTED = 1;
const WFT_SCHEDULED = 5;
const WFT_STARTED = 6;
const WFT_COMPLETED = 7;

/**
 * Where a round's time went, from a sample of its composes' histories: submission -> workflow started
 * (the starter), started -> its first workflow task picked up (the task queue: pollers and matching),
 * picked up -> completed (the worker: workflow code and the local prepare), and the workflow tasks
 * each compose took.
 */
async function stageBreakdown(stack: Stack, after: number, sample: number): Promise<string[][]> {
  const { rows } = await stack.pool.query(
    `SELECT id, extract(epoch FROM time_submitted)::float * 1000 AS submitted FROM composes WHERE id > $1 ORDER BY random() LIMIT $2`,
    [after, sample],
  );
  const stages: Record<string, number[]> = { starter: [], queue: [], worker: [], tasks: [] };
  let pending = 0;
  for (const r of rows) {
    const history = await stack.temporal.client.workflow.getHandle(composeWorkflowId(r.id)).fetchHistory();
    const events = history.events ?? [];
    const at = (type: number) => events.find((e) => e.eventType === type)?.eventTime;
    if (!at(WFT_COMPLETED)) {
      pending++; // started (the starter's record is done) but its first workflow task has not run yet
      continue;
    }
    stages.starter.push(tsMs(at(STARTED)) - r.submitted);
    stages.queue.push(tsMs(at(WFT_STARTED)) - tsMs(at(WFT_SCHEDULED)));
    stages.worker.push(tsMs(at(WFT_COMPLETED)) - tsMs(at(WFT_STARTED)));
    stages.tasks.push(events.filter((e) => e.eventType === WFT_COMPLETED).length);
  }
  const line = (name: string, xs: number[]) => [name, ms(median(xs)), ms(quantile(xs, 0.9)), ms(quantile(xs, 1))];
  return [
    ['stage (from workflow histories)', 'p50', 'p90', 'max'],
    line('submitted -> workflow started (starter)', stages.starter),
    line('first workflow task: queued -> picked up', stages.queue),
    line('first workflow task: picked up -> completed', stages.worker),
    ['workflow tasks per compose', String(median(stages.tasks)), String(quantile(stages.tasks, 0.9)), String(quantile(stages.tasks, 1))],
    ...(pending ? [[`(${pending} of the sample still waited for their first workflow task)`, '', '', '']] : []),
  ];
}

export async function runComposeFlowBench({ tmp }: { tmp: string }): Promise<void> {
  const latencyN = envInt('BENCH_FLOW_LATENCY', 30);
  const reuseN = envInt('BENCH_FLOW_REUSE', 2000);
  const distinctN = envInt('BENCH_FLOW_DISTINCT', 500);
  const liveN = envInt('BENCH_FLOW_LIVE', 10_000);
  const concurrency = envInt('BENCH_FLOW_CONCURRENCY', 8);
  const compiled = envInt('BENCH_FLOW_COMPILED', 0) === 1;
  const cpuProfileDir = process.env.BENCH_FLOW_CPU_PROFILE;
  const flagsEnv = process.env.BENCH_FLOW_WORKER_NODE_ARGS;
  const nodeFlags = flagsEnv !== undefined ? flagsEnv.split(/\s+/).filter(Boolean) : compiled ? WORKER_NODE_ARGS : [];
  if (compiled) {
    progress('flow: building dist/ when stale (scripts/build.mjs)');
    const built = spawnSync(process.execPath, [path.join(HERE, '..', 'scripts', 'build.mjs')], { stdio: 'inherit' });
    if (built.status !== 0) throw new Error(`flow: scripts/build.mjs failed (exit status ${built.status})`);
  }

  const repo = path.join(tmp, 'flow-repo');
  progress(`flow: building a ${PACKAGES}-package repository`);
  await buildRepo(
    repo,
    Array.from({ length: PACKAGES }, (_, i) => ({ name: pkg(i), version: '1.0', requires: i > 0 ? [pkg(i - 1)] : [] })),
  );
  const stack = await startStack({ settings: { tags: { flow: { repos: [repo] } } }, workers: false });
  // Other benchmarks' stacks on the same Temporal server count ids from 1 too: keep the workflow ids apart.
  await stack.pool.query(`SELECT setval(pg_get_serial_sequence('composes', 'id'), 3000000)`);
  const url = `${stack.baseUrl}/api/1/composes/`;
  const thread = new ThreadWorker(path.join(HERE, 'http-load-worker.mjs'));
  let worker: ChildProcess | null = null;
  const samples: Array<{ live: number; rss: number }> = [];
  let sampler: NodeJS.Timeout | null = null;
  const out: string[][] = [];
  try {
    worker = stack.spawnWorker({}, { compiled, nodeArgs: [...nodeFlags, ...(cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] : [])] });
    progress(`flow: worker ${compiled ? 'compiled (dist/worker/main.js)' : 'under tsx (worker/main.ts)'}, node flags: ${nodeFlags.join(' ') || 'none'}`);
    // Ready when it has run a compose.
    const first = (await http(stack, 'POST', '/api/1/composes/', { source: { type: 'tag', source: 'flow', packages: [pkg(0)] }, flags: ['no_reuse'] })).body;
    await settle(stack, first.id - 1, 1, 'flow: worker start', 180_000);
    await sleep(2_000);
    const idle = rssMb(worker.pid!);

    // 1. submit -> generating, one at a time on an idle stack.
    const latencies: number[] = [];
    const posts: number[] = [];
    for (let i = 0; i < latencyN; i++) {
      const sent = Date.now();
      const t0 = performance.now();
      const c = (await http(stack, 'POST', '/api/1/composes/', { source: { type: 'tag', source: 'flow', packages: [pkg(i % PACKAGES)] }, flags: ['no_reuse'] })).body;
      posts.push(performance.now() - t0);
      await settle(stack, c.id - 1, 1, 'flow: latency', 60_000);
      const { rows } = await stack.pool.query(
        `SELECT extract(epoch FROM min(created_at))::float * 1000 AS at FROM compose_events WHERE compose_id = $1 AND state = 1`,
        [c.id],
      );
      latencies.push(rows[0].at - sent);
    }
    heading(`flow: submit -> generating, ${latencyN} composes one at a time on an idle stack (each generates)`);
    table([
      ['', 'p50', 'p99', 'max'],
      ['POST answered (reference)', ms(median(posts)), ms(quantile(posts, 0.99)), ms(quantile(posts, 1))],
      ['submit -> generating', ms(median(latencies)), ms(quantile(latencies, 0.99)), ms(quantile(latencies, 1))],
    ]);
    console.log(`  goal: p50 <= 100 ms, p99 <= 500 ms; generating/POST at p50 = ${ratio(median(latencies), median(posts))}`);

    sampler = setInterval(() => {
      if (worker?.pid) stack.pool.query('SELECT count(*)::int AS n FROM composes WHERE state IN (0, 1, 2)').then(
        ({ rows }) => samples.push({ live: rows[0].n, rss: rssMb(worker!.pid!).rss }),
        () => undefined,
      );
    }, 1_000);

    // 2. done per second: identical requests (reuse), then distinct ones (generation).
    const rounds: Array<[string, unknown[]]> = [
      [`${reuseN} identical requests (reuse)`, Array.from({ length: reuseN }, () => ({ source: { type: 'tag', source: 'flow', packages: [pkg(49)] } }))],
      [
        `${distinctN} distinct requests (each generates)`,
        Array.from({ length: distinctN }, (_, i) => ({ source: { type: 'tag', source: 'flow', packages: [pkg(i % PACKAGES)] }, flags: ['no_reuse'] })),
      ],
    ];
    out.push(['requests', 'POST/s', 'done/s', 'done/POST', 'span']);
    const breakdowns: Array<[string, string[][]]> = [];
    const paths: Array<[string, string[][]]> = [];
    for (const [name, bodies] of rounds) {
      const before = await maxId(stack);
      progress(`flow: ${name}`);
      const load = await postLoad(thread, url, bodies, concurrency);
      await settle(stack, before, bodies.length, `flow: ${name}`, 30 * 60_000);
      const rate = await doneRate(stack, before);
      await settleStarts(stack, before, `flow: ${name}`, 30 * 60_000);
      paths.push([name, await pathBreakdown(stack, before)]);
      await settleFirstTasks(stack, before, `flow: ${name}`, 30 * 60_000);
      breakdowns.push([name, await stageBreakdown(stack, before, 100)]);
      const postRate = (bodies.length / load.elapsedMs) * 1000;
      out.push([name, postRate.toFixed(1), rate.perSecond.toFixed(1), ratio(rate.perSecond, postRate), `${rate.spanS.toFixed(1)} s`]);
    }
    heading(`flow: composes reaching done per second (concurrency ${concurrency})`);
    table(out);
    console.log('  goal (reuse path): >= 4x the 20-25 done/s measured before issue 10 (so >= 80-100/s); done/POST 1.00x = the backend keeps up with the API');
    for (const [name, rows] of paths) {
      heading(`flow: which path, ${name}`);
      table(rows);
    }
    for (const [name, rows] of breakdowns) {
      heading(`flow: where the time went, ${name} (100 sampled composes)`);
      table(rows);
    }

    // 3. worker RSS with many live composes.
    const { rows: liveRows } = await stack.pool.query('SELECT count(*)::int AS n FROM composes WHERE state IN (0, 1, 2)');
    const more = Math.max(0, liveN - liveRows[0].n);
    if (more > 0) {
      const before = await maxId(stack);
      progress(`flow: ${more} more long-lived composes (${liveN} live in all)`);
      const bodies = Array.from({ length: more }, () => ({ source: { type: 'tag', source: 'flow', packages: [pkg(49)] }, seconds_to_live: 86400 }));
      await postLoad(thread, url, bodies, concurrency);
      await settle(stack, before, more, 'flow: live composes', 60 * 60_000);
    }
    // Composes reused at admission are done before their workflows start: measure once all run.
    await settleStarts(stack, 0, 'flow: live composes', 60 * 60_000);
    await settleFirstTasks(stack, 0, 'flow: live composes', 60 * 60_000);
    await sleep(5_000);
    const end = rssMb(worker.pid!);
    const { rows: live } = await stack.pool.query('SELECT count(*)::int AS n FROM composes WHERE state IN (0, 1, 2)');
    const peakSample = samples.reduce((m, s) => (s.rss > m.rss ? s : m), { live: 0, rss: 0 });
    heading(`flow: worker RSS with ${live[0].n} live compose workflows (each waiting on its expiry timer), worker ${compiled ? 'compiled' : 'under tsx'}, node flags: ${nodeFlags.join(' ') || 'none'}`);
    table([
      ['', 'RSS', 'vs idle'],
      ['worker idle (after one compose)', `${idle.rss.toFixed(0)} MB`, '1.00x'],
      [`worker with ${live[0].n} live composes`, `${end.rss.toFixed(0)} MB`, ratio(end.rss, idle.rss)],
      [`worker peak (VmHWM; sampled peak ${peakSample.rss.toFixed(0)} MB at ${peakSample.live} live)`, `${end.peak.toFixed(0)} MB`, ratio(end.peak, idle.rss)],
    ]);
    console.log('  goal: <= 400 MB with 10,000 live composes');
  } finally {
    if (sampler) clearInterval(sampler);
    await thread.terminate();
    if (worker && worker.exitCode === null) {
      const exited = new Promise((r) => worker!.once('exit', r));
      worker.kill('SIGTERM');
      await Promise.race([exited, sleep(15_000)]);
    }
    // The live workflows stay on this run's private Temporal server (stopped at the end); ids are apart.
    await stack.stop();
  }
}
