// The production topology under faults (`npm run test:cluster`, run by .ci/run after `npm test`):
// `npm run cluster`'s compiled supervisor on free ports, composes submitted across both APIs while
// one history, one matching, one odcs-flow worker and one API are SIGKILLed (the supervisor brings
// each back). Every accepted compose ends done with exactly one directory, generated once; each
// expires on time; every Schedule fires once per interval although two workers ensure them; both
// APIs answer list and get alike. CLUSTER_TEST_COMPOSES scales the run (default 300).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { CLUSTER_PORT_COUNT, MAX_TEMPORAL_PORT, clusterPorts, type ClusterPorts } from '../../scripts/cluster/topology.js';
import { portIsFree } from '../../scripts/services/process-utils.js';
import { reconcileScheduleId, providerSchedules } from '../../worker/schedules.js';
import { loadConfig } from '../../core/config.js';
import { INTERVAL_KEYS } from '../../core/providers/registry.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const COMPOSES = Number(process.env.CLUSTER_TEST_COMPOSES ?? 300);
const SECONDS_TO_LIVE = Number(process.env.CLUSTER_TEST_TTL ?? 150);
const PROVIDER_INTERVAL_S = 40;

let tmp: string;
let dataDir: string;
let ports: ClusterPorts;
let cluster: ChildProcess;
let clusterOut = '';
let db: pg.Pool;
let connection: Connection;
let temporal: Client;
const apis = () => ports.apis.map((p) => `http://127.0.0.1:${p}`);
const env: NodeJS.ProcessEnv = {};

async function freePortBase(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * (MAX_TEMPORAL_PORT - CLUSTER_PORT_COUNT - 20_000));
    let free = true;
    for (let i = 0; i < CLUSTER_PORT_COUNT && free; i++) free = await portIsFree(base + i);
    if (free) return base;
  }
  throw new Error('no run of free ports found');
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, everyMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await Promise.resolve()
      .then(fn)
      .catch(() => undefined);
    if (v) return v as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; cluster output:\n${clusterOut.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const pidOf = (name: string) => Number(fs.readFileSync(path.join(dataDir, 'run', `${name}.pid`), 'utf8'));
const restarts = (): Record<string, number> => JSON.parse(fs.readFileSync(path.join(dataDir, 'run', 'restarts.json'), 'utf8'));

before(async () => {
  tmp = fs.mkdtempSync(path.join(process.env.ODCS_TEST_TMP ?? os.tmpdir(), 'odcs-cluster-'));
  fs.chmodSync(tmp, 0o755);
  dataDir = path.join(tmp, 'data');
  const base = await freePortBase();
  ports = clusterPorts(base);
  // The providers' upstreams: a port nothing listens on, so each scheduled refresh fails at once
  // and never overlaps the next firing.
  const closed = await freePortBase();
  Object.assign(env, {
    DATA_DIR: dataDir,
    ODCS_CLUSTER_PORT_BASE: String(base),
    LOG_LEVEL: 'info',
    // A generation on a killed worker moves to the other one within seconds.
    GENERATE_HEARTBEAT_TIMEOUT: '5',
    PROVIDER_INTERVALS: JSON.stringify(Object.fromEntries(INTERVAL_KEYS.map((k) => [k, `${PROVIDER_INTERVAL_S}s`]))),
    REFRESH_ATTEMPTS: '1',
    UPSTREAM_ATTEMPTS: '1',
    ...Object.fromEntries(['BODHI_URL', 'PAGURE_URL', 'KOSCHEI_URL', 'MDAPI_URL', 'BUGZILLA_URL', 'FAF_URL'].map((k) => [k, `http://127.0.0.1:${closed}`])),
  });
  const childEnv = { ...process.env, ...env };
  delete childEnv.DATABASE_URL;
  delete childEnv.TEMPORAL_ADDRESS;
  cluster = spawn(process.execPath, [path.join(ROOT, 'dist', 'scripts', 'cluster.js')], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const s of [cluster.stdout!, cluster.stderr!]) s.on('data', (d: Buffer) => (clusterOut += d.toString()));
  const exited = new Promise<never>((_, reject) =>
    cluster.once('exit', (code, signal) => reject(new Error(`the cluster exited (${signal ?? code}):\n${clusterOut.slice(-3000)}`))),
  );
  exited.catch(() => undefined);
  await Promise.race([exited, until('the cluster to start', () => clusterOut.includes('odcs-flow cluster is running'), 900_000)]);
  db = new pg.Pool({ connectionString: `postgres://postgres@127.0.0.1:${ports.postgres}/odcs_flow`, max: 4 });
  connection = await Connection.connect({ address: `127.0.0.1:${ports.grpc.frontend}` });
  temporal = new Client({ connection, namespace: 'default' });
});

after(async () => {
  await connection?.close();
  await db?.end();
  if (cluster && cluster.exitCode === null) {
    cluster.kill('SIGTERM');
    await new Promise((r) => cluster.once('exit', r));
  }
  if (process.env.CLUSTER_TEST_KEEP) process.stderr.write(`kept ${tmp}\n`);
  else fs.rmSync(tmp, { recursive: true, force: true });
});

async function post(api: string): Promise<number | null> {
  try {
    const r = await fetch(`${api}/api/1/composes/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ source: { type: 'tag', source: 'demo', packages: ['odcs-demo-app'] }, seconds_to_live: SECONDS_TO_LIVE, flags: ['no_reuse'] }),
      signal: AbortSignal.timeout(60_000),
    });
    const body = await r.json();
    return r.status === 200 ? body.id : null; // 503 while a dependency is down: not accepted
  } catch {
    return null; // the API was killed under this request: not accepted
  }
}

/** SIGKILLs a supervised process and waits until the supervisor has started it again. */
async function killAndAwaitRestart(name: string): Promise<void> {
  const before = restarts()[name] ?? 0;
  const pid = pidOf(name);
  process.kill(pid, 'SIGKILL');
  await until(`${name} to be restarted`, () => (restarts()[name] ?? 0) > before && pidOf(name) !== pid, 300_000);
}

const accepted: number[] = [];
let faultsDoneAt = 0;

test(`${COMPOSES} composes across both APIs while a history, a matching, a worker and an API are SIGKILLed`, async () => {
  const faults = ['temporal-history', 'temporal-matching', 'worker-1', 'api-1'];
  let submitted = 0;
  const submitter = async (lane: number) => {
    while (submitted < COMPOSES) {
      const n = submitted++;
      const urls = apis();
      // Alternate between the APIs; when one is down, a client retries on the other.
      for (let attempt = 0; attempt < 20; attempt++) {
        const id = await post(urls[(n + lane + attempt) % urls.length]);
        if (id !== null) {
          accepted.push(id);
          break;
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  };
  const faulting = (async () => {
    for (const [i, name] of faults.entries()) {
      await until(`${Math.round(((i + 1) * COMPOSES) / (faults.length + 2))} composes accepted`, () => accepted.length >= ((i + 1) * COMPOSES) / (faults.length + 2), 600_000, 100);
      await killAndAwaitRestart(name);
    }
    faultsDoneAt = Date.now();
  })();
  await Promise.all([...Array.from({ length: 6 }, (_, lane) => submitter(lane)), faulting]);
  assert.ok(accepted.length >= COMPOSES * 0.95, `accepted ${accepted.length} of ${COMPOSES}`);
  assert.equal(new Set(accepted).size, accepted.length, 'every accepted compose has its own id');

  // Every compose that exists ends done, also one whose POST died with its API (its row and start
  // record were committed). An activity that ran on the SIGKILLed worker stops heartbeating and is
  // retried elsewhere within its heartbeat timeout (seconds, workflows/compose.ts).
  await until(
    'every compose to be done',
    async () => (await db.query(`SELECT count(*)::int AS n FROM composes WHERE state IN (0, 1)`)).rows[0].n === 0,
    600_000,
    1000,
  );
  const rows = (await db.query('SELECT id, state, state_reason FROM composes ORDER BY id')).rows as Array<{ id: number; state: number; state_reason: string }>;
  for (const id of accepted) {
    const row = rows.find((r) => Number(r.id) === id);
    assert.ok(row && (row.state === 2 || row.state === 3), `accepted compose ${id} is done: ${JSON.stringify(row)}`);
  }
  // Writes need only PostgreSQL: no compose fails for want of Temporal.
  assert.deepEqual(rows.filter((r) => r.state === 4), [], 'no compose failed');
});

test('exactly one directory per compose, each generated once (its workflow history)', async () => {
  const rows = (await db.query(`SELECT id FROM composes WHERE state = 2 ORDER BY id`)).rows.map((r) => ({ id: Number(r.id) }));
  const composeRoot = path.join(dataDir, 'composes');
  const dirs = fs.readdirSync(composeRoot).filter((n) => n.startsWith('odcs-') || n.startsWith('.tmp-'));
  assert.deepEqual(dirs.filter((n) => n.startsWith('.tmp-')), [], 'no half-written generation left');
  for (const { id } of rows) assert.ok(dirs.includes(`odcs-${id}`), `odcs-${id} exists`);

  const all = (await db.query('SELECT id FROM composes WHERE state <> 4 ORDER BY id')).rows.map((r) => Number(r.id));
  // Temporal's history: one completed generateCompose per compose workflow.
  for (const id of all) {
    const history = await temporal.workflow.getHandle(`compose-${id}`).fetchHistory();
    const scheduled = new Map<string, string>();
    let completed = 0;
    for (const e of history.events ?? []) {
      const s = e.activityTaskScheduledEventAttributes;
      if (s) scheduled.set(String(e.eventId), s.activityType?.name ?? '');
      const c = e.activityTaskCompletedEventAttributes;
      if (c && scheduled.get(String(c.scheduledEventId)) === 'generateCompose') completed++;
    }
    assert.equal(completed, 1, `compose-${id}: one completed generation in its history`);
  }
});

test('list and get agree across the two APIs, and the search attributes find the composes', async () => {
  const [a, b] = apis();
  const json = async (url: string) => (await fetch(url)).json();
  // Both read one database; a compose expiring between two reads is the only possible difference.
  await until('both APIs to list the same composes', async () => {
    const [x, y] = await Promise.all([a, b].map((api) => json(`${api}/api/1/composes/?per_page=100&order_by=id`)));
    return x.items.length > 0 && JSON.stringify(x.items) === JSON.stringify(y.items);
  }, 60_000);
  const ids = (await db.query('SELECT id FROM composes ORDER BY id')).rows.map((r) => Number(r.id));
  for (const id of ids.filter((_, i) => i % Math.max(1, Math.floor(ids.length / 50)) === 0)) {
    await until(`both APIs to answer GET /api/1/composes/${id} alike`, async () => {
      const [x, y] = await Promise.all([a, b].map((api) => json(`${api}/api/1/composes/${id}`)));
      return x.id === id && JSON.stringify(x) === JSON.stringify(y);
    }, 60_000);
  }
  // SQL visibility: the custom search attributes work in list queries (a compose refused with a 503
  // has no workflow).
  const started = (await db.query('SELECT count(*)::int AS n FROM composes WHERE state <> 4')).rows[0].n as number;
  const count = await until(
    'visibility to catch up',
    async () => {
      const { count } = await temporal.workflow.count(`WorkflowType = 'composeWorkflow' AND ComposeOwner = 'unknown'`);
      return count >= started ? count : undefined;
    },
    120_000,
  );
  assert.ok(count >= started);
});

test('every compose expires on time after the faults', async () => {
  const expected = (await db.query(`SELECT max(time_to_expire) AS last FROM composes WHERE state <> 4`)).rows[0].last as Date;
  await until('every compose to be removed', async () => (await db.query(`SELECT count(*)::int AS n FROM composes WHERE state NOT IN (3, 4)`)).rows[0].n === 0, expected.getTime() - Date.now() + 300_000, 2000);
  const lags = (await db.query(`SELECT id, extract(epoch FROM time_removed - time_to_expire)::float AS lag FROM composes WHERE state = 3`)).rows as Array<{ id: number; lag: number }>;
  assert.ok(lags.length > 0);
  for (const { id, lag } of lags) {
    assert.ok(lag >= 0, `compose ${id} removed ${-lag} s before its time`);
    // Seconds on a quiet machine; the bound only catches a compose nobody removed for minutes.
    assert.ok(lag < 300, `compose ${id} removed ${lag} s after its time`);
  }
  // On time means by its own workflow's durable timer, not by the reconciler restarting a lost
  // workflow: each compose had exactly one workflow run (timings are no proof on a busy machine).
  for (const { id } of lags) {
    const { count } = await temporal.workflow.count(`WorkflowId = 'compose-${id}'`);
    assert.equal(count, 1, `compose-${id}: ${count} workflow runs`);
  }
  const left = fs.readdirSync(path.join(dataDir, 'composes')).filter((n) => n.startsWith('odcs-'));
  assert.deepEqual(left, [], 'every compose directory is gone');
  assert.ok(faultsDoneAt > 0);
});

test('each Schedule fires once per interval with two workers; the reconciler once per minute', async () => {
  const config = loadConfig({ ...process.env, ...env }, ROOT);
  const expected = [
    ...providerSchedules(config).map((s) => ({ id: s.scheduleId, seconds: s.everySeconds })),
    { id: reconcileScheduleId(config), seconds: 60 },
  ];
  const ids: string[] = [];
  for await (const s of temporal.schedule.list()) ids.push(s.scheduleId);
  assert.deepEqual(ids.sort(), expected.map((e) => e.id).sort(), 'one Schedule each, although two workers ensure them');
  for (const { id, seconds } of expected) {
    const d = await temporal.schedule.getHandle(id).describe();
    const elapsedS = (Date.now() - d.info.createdAt.getTime()) / 1000;
    const times = d.info.recentActions.map((a) => a.scheduledAt.getTime()).sort((x, y) => x - y);
    // Never two firings in one interval. A firing is skipped (overlap policy SKIP) while the previous
    // run still works, e.g. when its worker was SIGKILLed: then the gap is a whole number of intervals.
    for (let i = 1; i < times.length; i++) {
      const gap = (times[i] - times[i - 1]) / 1000;
      assert.ok(gap >= seconds && gap % seconds === 0, `${id}: firings ${gap} s apart, not a whole number of ${seconds} s intervals`);
    }
    // Every firing started exactly one workflow.
    const started = await temporal.workflow.count(`TemporalScheduledById = '${id}'`);
    assert.equal(started.count, d.info.numActionsTaken, `${id}: workflows started = actions taken`);
    // Each interval is decided once: taken or skipped, never both, never twice.
    const decided = d.info.numActionsTaken + d.info.numActionsSkippedOverlap;
    assert.ok(decided <= Math.ceil(elapsedS / seconds) + 1, `${id}: ${decided} intervals decided in ${elapsedS.toFixed(0)} s`);
    assert.ok(decided >= Math.floor(elapsedS / seconds) - 2, `${id}: ${decided} intervals decided in ${elapsedS.toFixed(0)} s`);
  }
});
