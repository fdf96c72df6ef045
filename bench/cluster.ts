// `npm run bench -- --only cluster`: the production topology (`npm run cluster`: four Temporal
// services on PostgreSQL, two workers, two APIs, compiled) against the same odcs-flow processes on
// the Temporal dev server (the baseline, same run): POST throughput across both APIs and composes
// reaching `done` per second; peak RSS of every process (Temporal per service); and each odcs-flow
// process compiled against the same program under tsx.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { CLUSTER_PORT_COUNT, MAX_TEMPORAL_PORT, TEMPORAL_SERVICES, clusterPorts, type ClusterPorts } from '../scripts/cluster/topology.js';
import { startLocalTemporal } from '../scripts/services/temporal.js';
import { freePort, portIsFree, stopPid } from '../scripts/services/process-utils.js';
import { envInt, heading, pool, progress, ratio, sleep, table } from './lib.js';

const ROOT = path.resolve(import.meta.dirname, '..');

interface Rss {
  rssMb: number;
  peakMb: number;
}

/** Resident and peak resident memory of a process, from /proc. */
function rss(pid: number): Rss {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

async function freeBase(): Promise<number> {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * (MAX_TEMPORAL_PORT - CLUSTER_PORT_COUNT - 20_000));
    let free = true;
    for (let i = 0; i < CLUSTER_PORT_COUNT && free; i++) free = await portIsFree(base + i);
    if (free) return base;
  }
}

async function until(what: string, fn: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await Promise.resolve().then(fn).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

interface Topology {
  dir: string;
  ports: ClusterPorts;
  supervisor: ChildProcess;
  pid(name: string): number;
  db: pg.Pool;
  stop(): Promise<void>;
}

/** `npm run cluster` (compiled) in `dir` on free ports; with temporalAddress, on that Temporal instead of its own. */
async function startTopology(dir: string, opts: { temporalAddress?: string; tsxSupervisor?: boolean }): Promise<Topology> {
  const ports = clusterPorts(await freeBase());
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dir, ODCS_CLUSTER_PORT_BASE: String(ports.postgres), LOG_LEVEL: 'info', PROVIDER_SCHEDULES: 'false' };
  delete env.DATABASE_URL;
  delete env.TEMPORAL_ADDRESS;
  if (opts.temporalAddress) env.TEMPORAL_ADDRESS = opts.temporalAddress;
  const args = opts.tsxSupervisor ? ['--import', 'tsx', path.join(ROOT, 'scripts', 'cluster.ts')] : [path.join(ROOT, 'dist', 'scripts', 'cluster.js')];
  const supervisor = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  for (const s of [supervisor.stdout!, supervisor.stderr!]) s.on('data', (d: Buffer) => (out += d.toString()));
  await until('the topology to start', () => {
    if (supervisor.exitCode !== null) throw new Error(`the cluster exited: ${out.slice(-2000)}`);
    return out.includes('odcs-flow cluster is running');
  }, 900_000).catch((err) => {
    throw new Error(`${err.message}\n${out.slice(-2000)}`);
  });
  const db = new pg.Pool({ connectionString: `postgres://postgres@127.0.0.1:${ports.postgres}/odcs_flow`, max: 2 });
  return {
    dir,
    ports,
    supervisor,
    db,
    pid: (name) => (name === 'supervisor' ? supervisor.pid! : Number(fs.readFileSync(path.join(dir, 'run', `${name}.pid`), 'utf8'))),
    async stop() {
      await db.end();
      supervisor.kill('SIGTERM');
      await new Promise((r) => (supervisor.exitCode !== null ? r(null) : supervisor.once('exit', r)));
    },
  };
}

interface LoadResult {
  postsPerS: number;
  donePerS: number;
  statuses: Record<string, number>;
}

/** N composes POSTed across both APIs (concurrency C); POST/s over the submission, done/s until the last is done. */
async function load(t: Topology, total: number, concurrency: number): Promise<LoadResult> {
  const statuses: Record<string, number> = {};
  const body = JSON.stringify({ source: { type: 'tag', source: 'demo', packages: ['odcs-demo-app'] }, seconds_to_live: 3600, flags: ['no_reuse'] });
  const t0 = performance.now();
  await pool(
    Array.from({ length: total }, (_, i) => i),
    concurrency,
    async (i) => {
      const api = t.ports.apis[i % t.ports.apis.length];
      const r = await fetch(`http://127.0.0.1:${api}/api/1/composes/`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      await r.text();
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    },
  );
  const postS = (performance.now() - t0) / 1000;
  await until('every compose to be done', async () => (await t.db.query('SELECT count(*)::int AS n FROM composes WHERE state IN (0, 1)')).rows[0].n === 0, 1_800_000);
  const doneS = (performance.now() - t0) / 1000;
  const done = (await t.db.query('SELECT count(*)::int AS n FROM composes WHERE state = 2')).rows[0].n as number;
  return { postsPerS: total / postS, donePerS: done / doneS, statuses };
}

/** The same program as a compiled process, run under tsx beside it: idle RSS once ready. */
async function tsxTwins(t: Topology, temporalAddress: string): Promise<Record<'worker' | 'api', Rss>> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: t.dir,
    DATABASE_URL: `postgres://postgres@127.0.0.1:${t.ports.postgres}/odcs_flow`,
    TEMPORAL_ADDRESS: temporalAddress,
    LOG_LEVEL: 'info',
    PROVIDER_SCHEDULES: 'false',
  };
  let workerOut = '';
  const worker = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  worker.stdout!.on('data', (d: Buffer) => (workerOut += d.toString()));
  const api = spawn(process.execPath, ['--import', 'tsx', 'api/main.ts'], { cwd: ROOT, env: { ...env, PORT: String(port) }, stdio: 'ignore' });
  try {
    await until('the tsx worker', () => workerOut.includes('"msg":"worker started"'), 300_000);
    await until('the tsx API', async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, 120_000);
    await sleep(5000);
    return { worker: rss(worker.pid!), api: rss(api.pid!) };
  } finally {
    await Promise.all([stopPid(worker.pid!, 'SIGTERM', 30_000), stopPid(api.pid!, 'SIGTERM', 30_000)]);
  }
}

const mb = (x: number) => `${x.toFixed(0)} MB`;
const ODCS = ['supervisor', 'worker-1', 'worker-2', 'api-1', 'api-2'];

export async function runClusterBench(opts: { tmp: string }): Promise<void> {
  const total = envInt('BENCH_CLUSTER_COMPOSES', 200);
  const concurrency = envInt('BENCH_CLUSTER_CONCURRENCY', 8);
  heading(`cluster: ${total} composes POSTed across two APIs (concurrency ${concurrency}), two workers; Temporal cluster on PostgreSQL vs the dev server`);

  // Baseline: the dev server (SQLite in memory, one process), supervisor under tsx.
  progress('baseline: the same topology on the Temporal dev server');
  const devPort = await freePort();
  const dev = await startLocalTemporal({ port: devPort, namespace: 'default' });
  let base: LoadResult;
  const baseRss: Record<string, Rss> = {};
  try {
    const t = await startTopology(path.join(opts.tmp, 'dev'), { temporalAddress: dev.address, tsxSupervisor: true });
    try {
      base = await load(t, total, concurrency);
      for (const name of ODCS) baseRss[name] = rss(t.pid(name));
      baseRss['Temporal dev server'] = rss(dev.pid);
    } finally {
      await t.stop();
    }
  } finally {
    await dev.stop();
  }

  progress('the cluster: four Temporal services on PostgreSQL');
  const t = await startTopology(path.join(opts.tmp, 'cluster'), {});
  let result: LoadResult;
  const clusterRss: Record<string, Rss> = {};
  let idleCompiled: Record<'worker' | 'api', Rss>;
  let idleTsx: Record<'worker' | 'api', Rss>;
  try {
    idleCompiled = { worker: rss(t.pid('worker-1')), api: rss(t.pid('api-1')) };
    idleTsx = await tsxTwins(t, `127.0.0.1:${t.ports.grpc.frontend}`);
    result = await load(t, total, concurrency);
    for (const name of ODCS) clusterRss[name] = rss(t.pid(name));
    for (const s of TEMPORAL_SERVICES) clusterRss[`temporal-${s}`] = rss(t.pid(`temporal-${s}`));
    clusterRss['temporal-ui'] = rss(t.pid('temporal-ui'));
  } finally {
    await t.stop();
  }

  table([
    ['figure', 'dev server', 'cluster', 'cluster / dev'],
    ['POST /api/1/composes/ per s', base.postsPerS.toFixed(1), result.postsPerS.toFixed(1), ratio(result.postsPerS, base.postsPerS)],
    ['composes done per s', base.donePerS.toFixed(2), result.donePerS.toFixed(2), ratio(result.donePerS, base.donePerS)],
  ]);
  console.log(`  statuses: dev ${JSON.stringify(base.statuses)}, cluster ${JSON.stringify(result.statuses)}`);
  console.log('\n  peak RSS after the load (VmHWM):');
  const names = [...new Set([...Object.keys(baseRss), ...Object.keys(clusterRss)])];
  table([
    ['process', 'dev server', 'cluster'],
    ...names.map((n) => [n, baseRss[n] ? mb(baseRss[n].peakMb) : '-', clusterRss[n] ? mb(clusterRss[n].peakMb) : '-']),
    ['Temporal total', mb(baseRss['Temporal dev server'].peakMb), mb(TEMPORAL_SERVICES.reduce((a, s) => a + clusterRss[`temporal-${s}`].peakMb, 0))],
  ]);
  console.log('\n  compiled (node dist/...) vs tsx, RSS once ready and idle; supervisor: peak after the load');
  table([
    ['process', 'tsx', 'compiled', 'compiled / tsx'],
    ['worker', mb(idleTsx.worker.rssMb), mb(idleCompiled.worker.rssMb), ratio(idleCompiled.worker.rssMb, idleTsx.worker.rssMb)],
    ['API', mb(idleTsx.api.rssMb), mb(idleCompiled.api.rssMb), ratio(idleCompiled.api.rssMb, idleTsx.api.rssMb)],
    ['supervisor', mb(baseRss.supervisor.peakMb), mb(clusterRss.supervisor.peakMb), ratio(clusterRss.supervisor.peakMb, baseRss.supervisor.peakMb)],
  ]);
}
