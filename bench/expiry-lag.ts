// Benchmark 3: expiry lag, time_removed - time_to_expire (both from PostgreSQL), of composes that
// are created through the API, generated and expired by the real workers, against a bare Temporal
// timer for the same deadlines measured at the same time.
//
// Composes: N tag composes of a 3-package chain (flag no_reuse, so each is generated and expired
// on its own), seconds_to_live spread evenly from TTL_MAX down to TTL_MIN in creation order. time_to_expire is set when a
// compose finishes (completion + ttl), so a poller reads each finished compose's time_to_expire
// and at once starts a bench timer workflow (bench/timer-workflow.ts, own bundle, worker and task
// queue) whose deadline is exactly that instant. Both populations thus wake at the same 500
// deadlines on the same loaded machine; each one's lag is its wake time minus its deadline:
//   compose          time_removed (set by the expireCompose activity) - time_to_expire
//   bare timer       workflow clock after sleep() - deadline
//   timer+activity   wall clock in an activity called right after the sleep - deadline
//                    (the same path as timer -> workflow task -> expireCompose)
//
// Env: BENCH_EXPIRY_COMPOSES (default 500), BENCH_EXPIRY_TTL_MIN / _MAX (s, default 20 / 60),
// BENCH_EXPIRY_CONCURRENCY (POSTs in flight while creating, default 8), BENCH_EXPIRY_PUNGI
// (num_concurrent_pungi, default 2), BENCH_EXPIRY_TIMEOUT (s, give up waiting, default 240).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Worker } from '@temporalio/worker';
import { COMPOSE_STATES } from '../core/compose.js';
import { buildRepo } from '../scripts/rpm-fixtures.js';
import { http, startStack } from '../test/harness/stack.js';
import { chainFixture } from './generation.js';
import { envInt, heading, max, ms, pool, progress, quantile, ratio, sleep, table } from './lib.js';
import type { TimerWake } from './timer-workflow.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

interface Lags {
  label: string;
  values: number[];
}

export async function runExpiryLagBench(): Promise<void> {
  const n = envInt('BENCH_EXPIRY_COMPOSES', 500);
  const ttlMin = envInt('BENCH_EXPIRY_TTL_MIN', 20);
  const ttlMax = envInt('BENCH_EXPIRY_TTL_MAX', 60);
  const concurrency = envInt('BENCH_EXPIRY_CONCURRENCY', 8);
  const pungi = envInt('BENCH_EXPIRY_PUNGI', 2);
  const timeoutS = envInt('BENCH_EXPIRY_TIMEOUT', 240);
  if (ttlMax < ttlMin) throw new Error(`BENCH_EXPIRY_TTL_MAX (${ttlMax}) < BENCH_EXPIRY_TTL_MIN (${ttlMin})`);

  const base = fs.mkdtempSync(path.join(process.env.ODCS_TEST_TMP ?? os.tmpdir(), 'expiry-'));
  const repo = path.join(base, 'repos', 'bench');
  await buildRepo(repo, chainFixture(3));

  progress(`expiry: starting the stack (workers running, num_concurrent_pungi=${pungi}) and the bench timer worker`);
  const stack = await startStack({
    settings: { tags: { bench: { repos: [repo] } }, num_concurrent_pungi: pungi },
    env: { REPO_ROOTS: path.join(base, 'repos') },
  });
  // Another benchmark's stack on the same Temporal server counts ids from 1 too: keep the workflow ids apart.
  await stack.pool.query(`SELECT setval(pg_get_serial_sequence('composes', 'id'), 2000000)`);

  const wakes = new Map<number, { deadline: number; workflowWake: number; activityWake: number }>();
  const timerQueue = `bench-timer-${randomBytes(4).toString('hex')}`;
  const connection = await NativeConnection.connect({ address: stack.config.temporalAddress });
  const timerWorker = await Worker.create({
    connection,
    namespace: stack.config.temporalNamespace,
    taskQueue: timerQueue,
    workflowBundle: await bundleWorkflowCode({ workflowsPath: path.join(HERE, 'timer-workflow.ts'), logger: new DefaultLogger('WARN') }),
    activities: {
      async recordWake(w: TimerWake) {
        wakes.set(w.key, { deadline: w.deadline, workflowWake: w.workflowWake, activityWake: Date.now() });
      },
    },
    maxCachedWorkflows: 500, // as the compose worker (worker/workers.ts)
  });
  const timerRun = timerWorker.run();

  let polling = true;
  const timersStarted = new Set<number>();
  let lateStarts = 0;
  let pollerError: unknown = null;
  // Starts one timer per finished compose, its deadline the compose's time_to_expire.
  const poller = (async () => {
    try {
      while (polling) {
        const { rows } = await stack.pool.query<{ id: number; expire_ms: number }>(
          `SELECT id, (extract(epoch FROM time_to_expire) * 1000)::float8 AS expire_ms FROM composes
            WHERE state IN ($1, $2, $3) AND time_done IS NOT NULL`,
          [COMPOSE_STATES.done, COMPOSE_STATES.failed, COMPOSE_STATES.removed],
        );
        const fresh = rows.filter((r) => !timersStarted.has(r.id));
        await pool(fresh, 8, async (r) => {
          timersStarted.add(r.id);
          const deadline = Math.round(r.expire_ms);
          await stack.temporal.client.workflow.start('benchTimerWorkflow', {
            taskQueue: timerQueue,
            workflowId: `${timerQueue}-${r.id}`,
            args: [r.id, deadline],
          });
          if (Date.now() > deadline) lateStarts++;
        });
        await sleep(250);
      }
    } catch (err) {
      pollerError = err;
      polling = false;
    }
  })();
  try {
    const t0 = Date.now();
    progress(`expiry: creating ${n} composes through the API (seconds_to_live ${ttlMin}..${ttlMax})`);
    // Longest-lived first. time_to_expire = done + ttl, and composes finish in about the order
    // they were sent (over G seconds of generation), so with ttl falling as done rises the deadlines
    // land within about |G - (TTL_MAX - TTL_MIN)| seconds of each other; ascending ttls would
    // spread them over G + (TTL_MAX - TTL_MIN) (two minutes on a 2-core machine).
    const ttls = Array.from({ length: n }, (_, i) => (n === 1 ? ttlMax : Math.round(ttlMax - ((ttlMax - ttlMin) * i) / (n - 1))));
    await pool(ttls, concurrency, async (ttl) => {
      const res = await http(stack, 'POST', '/api/1/composes/', {
        source: { type: 'tag', source: 'bench', packages: ['bench-0000'] },
        flags: ['no_reuse'],
        seconds_to_live: ttl,
      });
      if (res.status !== 200) throw new Error(`POST failed: HTTP ${res.status} ${res.text.slice(0, 500)}`);
    });
    const created = Date.now();
    progress(`expiry: created in ${((created - t0) / 1000).toFixed(1)} s; waiting for generation and expiry`);

    const giveUp = t0 + timeoutS * 1000;
    let lastReport = 0;
    let allDoneAt: number | null = null;
    for (;;) {
      const { rows } = await stack.pool.query<{ state: number; n: number }>('SELECT state, count(*)::int AS n FROM composes GROUP BY state');
      const count = (s: number) => rows.find((r) => r.state === s)?.n ?? 0;
      const finished = count(COMPOSE_STATES.done) + count(COMPOSE_STATES.failed) + count(COMPOSE_STATES.removed);
      if (allDoneAt === null && finished === n) allDoneAt = Date.now();
      if (count(COMPOSE_STATES.removed) === n && wakes.size === n) break;
      if (pollerError) throw pollerError;
      if (Date.now() > giveUp) {
        progress(`expiry: gave up after ${timeoutS} s (BENCH_EXPIRY_TIMEOUT)`);
        break;
      }
      if (Date.now() - lastReport > 10_000) {
        lastReport = Date.now();
        const summary = Object.entries(COMPOSE_STATES).map(([name, s]) => `${name}=${count(s)}`).join(' ');
        progress(`expiry: t+${((Date.now() - t0) / 1000).toFixed(0)} s: ${summary}; timers started=${timersStarted.size} woke=${wakes.size}`);
      }
      await sleep(500);
    }
    polling = false;
    await poller;
    if (pollerError) throw pollerError;

    const { rows } = await stack.pool.query<{ id: number; state: number; lag_ms: number | null; gen_ms: number | null }>(
      `SELECT id, state,
              (extract(epoch FROM (time_removed - time_to_expire)) * 1000)::float8 AS lag_ms,
              (extract(epoch FROM (time_done - time_submitted)) * 1000)::float8 AS gen_ms
         FROM composes`,
    );
    const removed = rows.filter((r) => r.lag_ms !== null);
    // completeCompose sets pungi_compose_id; a compose without one failed to generate.
    const failed = await stack.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM composes WHERE pungi_compose_id IS NULL');
    const composeLags: Lags = { label: 'compose: time_removed - time_to_expire', values: removed.map((r) => r.lag_ms!) };
    const w = [...wakes.values()];
    const timerLags: Lags = { label: 'bare timer: workflow clock after sleep - deadline', values: w.map((x) => x.workflowWake - x.deadline) };
    const timerActLags: Lags = { label: 'timer + activity: activity wall clock - deadline', values: w.map((x) => x.activityWake - x.deadline) };
    const deadlinesSpan = w.length ? (max(w.map((x) => x.deadline)) - Math.min(...w.map((x) => x.deadline))) / 1000 : 0;

    heading(`expiry: lag of ${n} composes expiring vs a bare Temporal timer at the same deadlines (workers running, num_concurrent_pungi=${pungi})`);
    const row = (l: Lags) => [l.label, String(l.values.length), ms(quantile(l.values, 0.5)), ms(quantile(l.values, 0.95)), ms(max(l.values))];
    table([['lag', 'n', 'p50', 'p95', 'max'], row(composeLags), row(timerLags), row(timerActLags)]);
    const ratios = (base: Lags) =>
      `p50 ${ratio(quantile(composeLags.values, 0.5), quantile(base.values, 0.5))}, ` +
      `p95 ${ratio(quantile(composeLags.values, 0.95), quantile(base.values, 0.95))}, ` +
      `max ${ratio(max(composeLags.values), max(base.values))}`;
    console.log(`  ratio compose / bare timer:       ${ratios(timerLags)}`);
    console.log(`  ratio compose / timer + activity: ${ratios(timerActLags)}`);
    const genMs = rows.filter((x) => x.gen_ms !== null).map((x) => x.gen_ms!);
    console.log(
      `  ${n} composes created in ${((created - t0) / 1000).toFixed(1)} s, all finished after ${allDoneAt ? ((allDoneAt - t0) / 1000).toFixed(1) + ' s' : 'timeout'} ` +
        `(submit->done p50 ${ms(quantile(genMs, 0.5))}, max ${ms(max(genMs))}; ${failed.rows[0].n} failed); ` +
        `deadlines spread over ${deadlinesSpan.toFixed(1)} s; whole run ${((Date.now() - t0) / 1000).toFixed(1)} s.`,
    );
    if (removed.length < n || wakes.size < n) console.log(`  INCOMPLETE: ${removed.length}/${n} composes removed, ${wakes.size}/${n} timers woke before the timeout.`);
    if (lateStarts) console.log(`  note: ${lateStarts} timer workflows were started after their deadline (their lag is overstated).`);
  } finally {
    polling = false;
    await poller;
    timerWorker.shutdown();
    await timerRun.catch(() => undefined);
    await connection.close();
    await stack.stop();
    fs.rmSync(base, { recursive: true, force: true });
  }
}
