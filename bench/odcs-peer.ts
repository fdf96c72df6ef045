// Benchmark: odcs-flow's API against the real ODCS 0.9.2 API, same requests, same machine.
//
// ODCS: the `odcs` package from PyPI (test/harness/odcs-venv.ts, the `server` virtualenv), its API
// only, as the issue ran it: gunicorn with 2 (sync) workers, SQLite, auth_backend noauth, no backend
// (no Celery broker: composes stay in `wait`), logging at warning. Configured the ODCS way:
// ODCS_CONFIG_DIR/config.py with a section named by ODCS_CONFIG_SECTION, PUNGI_CONF_PATH, and
// `odcs-manager db upgrade` for the schema.
//
// odcs-flow: the API configured as production runs it, compiled (dist/api/main.js) with
// API_PROCESSES=2 (a primary and two API processes sharing the port, as gunicorn's two workers),
// and a compiled worker process with its starter, so every POST starts a workflow that resolves a
// one-package tag and generates (the first) or reuses (the rest) while the load runs; PostgreSQL
// and the Temporal dev server from `npm run bench`. Logging at warn. BENCH_ODCS_API_PROCESSES and
// BENCH_ODCS_COMPILED=0 (tsx, as `npm start` runs it) change that.
//
// The same request to both, from a load generator in a worker thread (bench/http-load-worker.mjs),
// CONCURRENCY in flight, in ROUNDS alternating which side goes first: POST /api/1/composes/, GET one
// compose (ids taken in turn), GET the default list page, GET a filtered list
// (owner=unknown&source_type=1&per_page=50). Ratios: throughput ours/ODCS, latency ODCS/ours, so
// 1.00x or more is "as fast as ODCS or faster" everywhere.
//
// Env: BENCH_ODCS_REQUESTS (per side, kind and round; default 300), BENCH_ODCS_CONCURRENCY (8),
// BENCH_ODCS_ROUNDS (3), BENCH_ODCS_WARMUP (50 per side), BENCH_ODCS_WORKERS (gunicorn workers, 2),
// BENCH_ODCS_API_PROCESSES (ours, 2), BENCH_ODCS_COMPILED (1).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker as ThreadWorker } from 'node:worker_threads';
import { buildRepo } from '../scripts/rpm-fixtures.js';
import { freePort } from '../scripts/services/process-utils.js';
import { ensureOdcsVenv, ODCS_VERSION } from '../test/harness/odcs-venv.js';
import { ROOT, startStack, type Stack } from '../test/harness/stack.js';
import { composeWorkflowId } from '../workflows/messages.js';
import { envInt, heading, median, ms, pool, progress, quantile, ratio, sleep, table } from './lib.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

const BODY = JSON.stringify({
  source: { type: 'tag', source: 'bench', packages: ['bench-app'] },
  arches: ['x86_64'],
  seconds_to_live: 3600,
});

type Kind = 'POST one compose' | 'GET one compose' | 'GET default list' | 'GET filtered list';
const KINDS: Kind[] = ['POST one compose', 'GET one compose', 'GET default list', 'GET filtered list'];
const FILTER = '?owner=unknown&source_type=1&per_page=50';

interface Sample {
  elapsedMs: number;
  latencies: number[];
}

interface Side {
  name: 'odcs-flow' | 'ODCS';
  baseUrl: string;
  ids: number[];
  samples: Map<Kind, Sample>;
}

function load(thread: ThreadWorker, job: { urls: string[]; method: 'GET' | 'POST'; total: number; concurrency: number }): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: { elapsedMs: number; latencies: number[]; statuses: Record<string, number>; firstError: string | null }) => {
      thread.off('error', reject);
      if (m.firstError) reject(new Error(`${job.method} failed (${JSON.stringify(m.statuses)}): ${m.firstError}`));
      else resolve(m);
    };
    thread.once('message', onMessage);
    thread.once('error', reject);
    thread.postMessage({ ...job, body: BODY });
  });
}

async function waitForHttp(url: string, child: ChildProcess, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before answering`);
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok) return;
    } catch {
      /* not yet */
    }
    await sleep(200);
  }
  throw new Error(`${what} did not answer ${url} within ${timeoutMs / 1000} s`);
}

function stopChild(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** ODCS's API under gunicorn, configured as its docs say; returns the process and its base URL. */
async function startOdcs(dir: string, workers: number): Promise<{ child: ChildProcess; baseUrl: string; log: string }> {
  const venv = ensureOdcsVenv('server', progress);
  const pkg = spawnSync(venv.python, ['-c', "import importlib.util, os; print(os.path.dirname(importlib.util.find_spec('odcs').origin))"], { encoding: 'utf8' });
  if (pkg.status !== 0) throw new Error(`cannot locate the odcs package: ${pkg.stderr}`);
  const pungiConf = path.join(pkg.stdout.trim(), 'server', 'conf', 'pungi.conf');
  fs.mkdirSync(path.join(dir, 'composes'), { recursive: true });
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  fs.writeFileSync(
    path.join(dir, 'config.py'),
    [
      'import os',
      'from odcs.server.conf.config import BaseConfiguration',
      '',
      'class BenchConfiguration(BaseConfiguration):',
      `    SQLALCHEMY_DATABASE_URI = "sqlite:///${path.join(dir, 'odcs.db')}"`,
      '    LOG_BACKEND = "console"',
      '    LOG_LEVEL = "warning"',
      '    AUTH_BACKEND = "noauth"',
      `    TARGET_DIR = "${path.join(dir, 'composes')}"`,
      `    TARGET_DIR_URL = "${baseUrl}/composes"`,
      '    PUNGI_CONF_PATH = os.environ["PUNGI_CONF_PATH"]',
      '',
    ].join('\n'),
  );
  const env: NodeJS.ProcessEnv = { ...process.env, ODCS_CONFIG_DIR: dir, ODCS_CONFIG_SECTION: 'BenchConfiguration', PUNGI_CONF_PATH: pungiConf, PYTHONDONTWRITEBYTECODE: '1' };
  delete env.ODCS_CELERY_BROKER_URL;
  const upgrade = spawnSync(venv.python, [venv.bin('odcs-manager'), 'db', 'upgrade'], { cwd: dir, env, encoding: 'utf8' });
  if (upgrade.status !== 0) throw new Error(`odcs-manager db upgrade failed:\n${upgrade.stderr.slice(-3000)}`);
  const log = path.join(dir, 'gunicorn.log');
  const out = fs.openSync(log, 'a');
  const child = spawn(venv.python, [venv.bin('gunicorn'), '--workers', String(workers), '--bind', `127.0.0.1:${port}`, 'odcs.server:app'], {
    cwd: dir,
    env,
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  await waitForHttp(`${baseUrl}/api/1/about/`, child, 'ODCS (gunicorn)');
  return { child, baseUrl, log };
}

/** odcs-flow's API as its own process (a cluster primary with API_PROCESSES > 1), on the stack's database and task queues. */
async function startOurApi(stack: Stack, opts: { compiled: boolean; processes: number }): Promise<{ child: ChildProcess; baseUrl: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, opts.compiled ? ['dist/api/main.js'] : ['--import', 'tsx', 'api/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...stack.env, PORT: String(port), HOST: '127.0.0.1', API_PROCESSES: String(opts.processes) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitForHttp(`${baseUrl}/healthz`, child, 'odcs-flow API');
  return { child, baseUrl };
}

async function newestIds(baseUrl: string, n: number): Promise<number[]> {
  const res = await fetch(`${baseUrl}/api/1/composes/?per_page=${n}`);
  const body = (await res.json()) as { items: Array<{ id: number }> };
  return body.items.map((c) => c.id);
}

function urlsFor(side: Side, kind: Kind): string[] {
  const api = `${side.baseUrl}/api/1/composes/`;
  if (kind === 'GET one compose') return side.ids.map((id) => `${api}${id}`);
  if (kind === 'GET default list') return [api];
  if (kind === 'GET filtered list') return [`${api}${FILTER}`];
  return [api];
}

export async function runOdcsPeerBench({ tmp }: { tmp: string }): Promise<void> {
  const perRound = envInt('BENCH_ODCS_REQUESTS', 300);
  const concurrency = envInt('BENCH_ODCS_CONCURRENCY', 8);
  const rounds = envInt('BENCH_ODCS_ROUNDS', 3);
  const warmup = envInt('BENCH_ODCS_WARMUP', 50, 0);
  const gunicornWorkers = envInt('BENCH_ODCS_WORKERS', 2);
  const apiProcesses = envInt('BENCH_ODCS_API_PROCESSES', 2);
  const compiled = envInt('BENCH_ODCS_COMPILED', 1, 0) === 1;
  if (compiled) {
    progress('odcs: building dist/ when stale (scripts/build.mjs)');
    const built = spawnSync(process.execPath, [path.join(HERE, '..', 'scripts', 'build.mjs')], { stdio: 'inherit' });
    if (built.status !== 0) throw new Error(`odcs: scripts/build.mjs failed (exit status ${built.status})`);
  }

  const dir = fs.mkdtempSync(path.join(tmp, 'odcs-peer-'));
  progress(`odcs: starting ODCS ${ODCS_VERSION} (gunicorn, ${gunicornWorkers} workers, SQLite, noauth)`);
  const odcs = await startOdcs(path.join(dir, 'odcs'), gunicornWorkers);
  const repo = path.join(dir, 'repo');
  await buildRepo(repo, [{ name: 'bench-app', version: '1.0', requires: ['bench-lib'] }, { name: 'bench-lib', version: '1.0' }]);
  progress('odcs: starting odcs-flow (API and worker processes)');
  const stack = await startStack({ settings: { tags: { bench: { repos: [repo] } } }, workers: false });
  // Other benchmarks' stacks on the same Temporal server count ids from 1 too: keep the workflow ids apart.
  await stack.pool.query(`SELECT setval(pg_get_serial_sequence('composes', 'id'), 2000000)`);
  let ours: { child: ChildProcess; baseUrl: string } | null = null;
  let worker: ChildProcess | null = null;
  const thread = new ThreadWorker(path.join(HERE, 'http-load-worker.mjs'));
  const sides: Side[] = [];
  try {
    ours = await startOurApi(stack, { compiled, processes: apiProcesses });
    worker = stack.spawnWorker({}, { compiled });
    sides.push({ name: 'odcs-flow', baseUrl: ours.baseUrl, ids: [], samples: new Map() }, { name: 'ODCS', baseUrl: odcs.baseUrl, ids: [], samples: new Map() });
    if (warmup > 0) {
      for (const side of sides) {
        await load(thread, { urls: urlsFor(side, 'POST one compose'), method: 'POST', total: warmup, concurrency });
        await load(thread, { urls: [`${side.baseUrl}/api/1/composes/`], method: 'GET', total: warmup, concurrency });
      }
    }
    for (const kind of KINDS) {
      if (kind === 'GET one compose') for (const side of sides) side.ids = await newestIds(side.baseUrl, 100);
      for (let r = 0; r < rounds; r++) {
        // Alternate which side goes first, so drift in the machine's load hits both alike.
        const order = r % 2 === 0 ? sides : [...sides].reverse();
        for (const side of order) {
          const s = await load(thread, { urls: urlsFor(side, kind), method: kind.startsWith('POST') ? 'POST' : 'GET', total: perRound, concurrency });
          const into = side.samples.get(kind) ?? { elapsedMs: 0, latencies: [] };
          into.elapsedMs += s.elapsedMs;
          into.latencies.push(...s.latencies);
          side.samples.set(kind, into);
        }
        progress(`odcs: ${kind}: round ${r + 1}/${rounds} done`);
      }
    }
  } finally {
    await thread.terminate();
    await stopChild(ours?.child ?? null);
    await stopChild(worker);
    await stopChild(odcs.child);
    const { rows } = await stack.pool.query('SELECT id FROM composes').catch(() => ({ rows: [] as { id: number }[] }));
    progress(`odcs: terminating ${rows.length} workflows`);
    await pool(rows, 8, (r: { id: number }) =>
      stack.temporal.client.workflow.getHandle(composeWorkflowId(r.id)).terminate('benchmark over').catch(() => undefined),
    );
    await stack.stop();
  }

  const [us, them] = sides;
  heading(
    `odcs: odcs-flow vs ODCS ${ODCS_VERSION} (gunicorn ${gunicornWorkers} workers, SQLite, noauth, no backend); ` +
      `${perRound} requests x ${rounds} alternating rounds per side and kind, concurrency ${concurrency}`,
  );
  const rows: string[][] = [['request', 'side', 'req/s', 'p50', 'p99', 'req/s ours/ODCS', 'p50 ODCS/ours', 'p99 ODCS/ours']];
  for (const kind of KINDS) {
    const a = us.samples.get(kind)!;
    const b = them.samples.get(kind)!;
    const rps = (s: Sample) => (s.latencies.length / s.elapsedMs) * 1000;
    const p = (s: Sample, q: number) => quantile(s.latencies, q);
    rows.push([kind, 'odcs-flow', rps(a).toFixed(1), ms(median(a.latencies)), ms(p(a, 0.99)), ratio(rps(a), rps(b)), ratio(median(b.latencies), median(a.latencies)), ratio(p(b, 0.99), p(a, 0.99))]);
    rows.push(['', 'ODCS', rps(b).toFixed(1), ms(median(b.latencies)), ms(p(b, 0.99)), '', '', '']);
  }
  table(rows);
  console.log('  goal: every ratio >= 1.00x (throughput ours/ODCS; latency ODCS/ours, so higher is better for us too)');
  const apiShape = apiProcesses > 1 ? `API_PROCESSES=${apiProcesses} (a primary and ${apiProcesses} API processes sharing the port)` : 'one API process';
  console.log(`  odcs-flow, as production runs it: ${compiled ? 'compiled' : 'under tsx'}, ${apiShape}, and one worker process running the workflows meanwhile; ODCS: its API only`);
  console.log(`  ODCS log: ${odcs.log} (removed with the bench's temporary directory unless --keep-tmp)`);
}
