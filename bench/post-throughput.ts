// Benchmark 2: POST /api/1/composes/ throughput against its floor.
//
// API side: the real app (test/harness/stack.ts: Hono on a free port, in this process) receives
// POSTs from a load generator in a worker thread (bench/http-load-worker.mjs), CONCURRENCY in
// flight. Floor: the one statement the create path cannot avoid (insertCompose in store/composes.ts:
// the row and its start record), made directly with the same concurrency and pool. The ratio is what
// HTTP, validation, permission checks, logging and JSON cost on top. Temporal is not on the request path: the starter (worker) starts workflows.
//
// Workers are NOT running: the start records stay pending, so only the create path is measured
// (no generation competes for the CPU).
//
// Env: BENCH_POST_TOTAL (requests per side, default 300), BENCH_POST_CONCURRENCY (default 8),
// BENCH_POST_WARMUP (untimed requests per side first, default 20), BENCH_POST_ROUNDS (the total is
// split into this many alternating API/floor rounds, default 3).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker as ThreadWorker } from 'node:worker_threads';
import { insertCompose } from '../store/composes.js';
import { parseNewComposeRequest } from '../core/compose-request.js';
import { startStack, type Stack } from '../test/harness/stack.js';
import { composeWorkflowId } from '../workflows/messages.js';
import { envInt, heading, median, ms, pool, progress, quantile, ratio, table } from './lib.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

const BODY = {
  source: { type: 'tag', source: 'bench', packages: ['bench-0000'] },
  arches: ['x86_64'],
  seconds_to_live: 3600,
};

interface Sample {
  elapsedMs: number;
  latencies: number[];
}

function httpLoad(thread: ThreadWorker, url: string, total: number, concurrency: number): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: { elapsedMs: number; latencies: number[]; statuses: Record<string, number>; firstError: string | null }) => {
      thread.off('error', reject);
      if (m.firstError) reject(new Error(`POST ${url} failed (${JSON.stringify(m.statuses)}): ${m.firstError}`));
      else resolve(m);
    };
    thread.once('message', onMessage);
    thread.once('error', reject);
    thread.postMessage({ url, body: JSON.stringify(BODY), total, concurrency });
  });
}

async function floorLoad(stack: Stack, total: number, concurrency: number): Promise<Sample> {
  // Validation is not part of the floor: parse once, outside the timing.
  const { seconds_to_live, ...input } = parseNewComposeRequest(BODY, stack.settings);
  const latencies: number[] = [];
  const start = performance.now();
  await pool(Array.from({ length: total }), concurrency, async () => {
    const t0 = performance.now();
    await insertCompose(stack.pool, input, 'unknown', seconds_to_live, { start: true });
    latencies.push(performance.now() - t0);
  });
  return { elapsedMs: performance.now() - start, latencies };
}

export async function runPostThroughputBench(): Promise<void> {
  const total = envInt('BENCH_POST_TOTAL', 300);
  const concurrency = envInt('BENCH_POST_CONCURRENCY', 8);
  const warmup = envInt('BENCH_POST_WARMUP', 20, 0);
  const rounds = Math.min(envInt('BENCH_POST_ROUNDS', 3), total);

  progress('post: starting the stack (API only, workers not running)');
  const stack = await startStack({
    settings: { tags: { bench: { repos: ['/nonexistent/bench-repo'] } } },
    workers: false,
  });
  // Another benchmark's stack on the same Temporal server counts ids from 1 too: keep the workflow ids apart.
  await stack.pool.query(`SELECT setval(pg_get_serial_sequence('composes', 'id'), 1000000)`);
  const thread = new ThreadWorker(path.join(HERE, 'http-load-worker.mjs'));
  const url = `${stack.baseUrl}/api/1/composes/`;
  const api: Sample = { elapsedMs: 0, latencies: [] };
  const floor: Sample = { elapsedMs: 0, latencies: [] };
  try {
    if (warmup > 0) {
      await httpLoad(thread, url, warmup, concurrency);
      await floorLoad(stack, warmup, concurrency);
    }
    for (let r = 0; r < rounds; r++) {
      const n = Math.floor(total / rounds) + (r < total % rounds ? 1 : 0);
      const add = (into: Sample, s: Sample) => {
        into.elapsedMs += s.elapsedMs;
        into.latencies.push(...s.latencies);
      };
      // Alternate which side goes first, so drift in the machine's load hits both alike.
      const sides = r % 2 === 0 ? (['api', 'floor'] as const) : (['floor', 'api'] as const);
      for (const side of sides) {
        if (side === 'api') add(api, await httpLoad(thread, url, n, concurrency));
        else add(floor, await floorLoad(stack, n, concurrency));
      }
      progress(`post: round ${r + 1}/${rounds} (${n} per side) done`);
    }
    const { rows } = await stack.pool.query('SELECT count(*)::int AS n FROM composes');
    if (rows[0].n !== 2 * (total + warmup)) throw new Error(`expected ${2 * (total + warmup)} compose rows, found ${rows[0].n}`);
  } finally {
    await thread.terminate();
    // Leave no queued workflow behind for a later stack that reuses the ids.
    const { rows } = await stack.pool.query('SELECT id FROM composes').catch(() => ({ rows: [] as { id: number }[] }));
    progress(`post: terminating ${rows.length} queued workflows`);
    await pool(rows, 8, (r: { id: number }) =>
      stack.temporal.client.workflow.getHandle(composeWorkflowId(r.id)).terminate('benchmark over').catch(() => undefined),
    );
    await stack.stop();
  }

  const apiRps = (api.latencies.length / api.elapsedMs) * 1000;
  const floorRps = (floor.latencies.length / floor.elapsedMs) * 1000;
  heading(`post: POST /api/1/composes/ vs its statement (INSERT compose + start record) done directly (${total} each, concurrency ${concurrency}, workers not running)`);
  table([
    ['path', 'req/s', 'p50 latency', 'p95 latency', 'max latency'],
    ['POST /api/1/composes/', apiRps.toFixed(1), ms(median(api.latencies)), ms(quantile(api.latencies, 0.95)), ms(quantile(api.latencies, 1))],
    ['floor: insertCompose + start record, one statement', floorRps.toFixed(1), ms(median(floor.latencies)), ms(quantile(floor.latencies, 0.95)), ms(quantile(floor.latencies, 1))],
  ]);
  console.log(`  throughput ratio API/floor = ${ratio(apiRps, floorRps)}  (1.00x = the API adds nothing over its one unavoidable statement)`);
  console.log(`  same pg pool (stack: 5 connections) for both; ${warmup} untimed warm-up requests per side; ${rounds} alternating rounds.`);
}
