// /healthz and /readyz against a real API process whose PostgreSQL and Temporal are stopped and
// started again under it: 503 naming PostgreSQL when it is down, 200 `degraded` while only Temporal
// is (writes still work), never a hang or a crash, then recovery.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { migrate } from '../../store/migrate.js';
import { freePort } from '../../scripts/services/process-utils.js';
import { startLocalPostgres, type LocalPostgres } from '../../scripts/services/postgres.js';
import { startLocalTemporal, type LocalTemporal } from '../../scripts/services/temporal.js';
import { ROOT, testTmpDir } from '../harness/stack.js';

let tmp: string;
let pgPort: number;
let temporalPort: number;
let postgres: LocalPostgres | null = null;
let temporal: LocalTemporal | null = null;
let api: ChildProcess;
let base: string;

const startPostgres = async () => (postgres = await startLocalPostgres({ dataDir: path.join(tmp, 'pg'), port: pgPort, database: 'odcs' }));
const startTemporal = async () =>
  (temporal = await startLocalTemporal({ port: temporalPort, dbFile: path.join(tmp, 'temporal.db'), pidFile: path.join(tmp, 'temporal.pid') }));

async function get(p: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${p}`, { ...init, signal: AbortSignal.timeout(60_000) });
  return { status: res.status, body: await res.json() };
}

async function eventually(what: string, fn: () => Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

before(async () => {
  tmp = testTmpDir('readiness');
  [pgPort, temporalPort] = [await freePort(), await freePort()];
  await Promise.all([startPostgres(), startTemporal()]);
  await migrate(postgres!.url);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  api = spawn(process.execPath, ['--import', 'tsx', 'api/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), DATABASE_URL: postgres!.url, TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`, DATA_DIR: tmp, LOG_LEVEL: 'fatal' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await eventually('API up', async () => (await get('/healthz')).status === 200);
});

after(async () => {
  api?.kill('SIGTERM');
  await Promise.allSettled([postgres?.stop(), temporal?.stop()]);
});

test('ready when both dependencies answer', async () => {
  const ready = await get('/readyz');
  assert.equal(ready.status, 200);
  assert.equal(ready.body.status, 'ready');
});

test('PostgreSQL down: /readyz 503 naming it, reads 503 with the error body, then recovery', async () => {
  await postgres!.stop();
  const ready = await get('/readyz');
  assert.equal(ready.status, 503);
  assert.deepEqual(ready.body.down, ['postgres']);
  assert.equal((await get('/healthz')).status, 200, 'liveness does not touch dependencies');
  const list = await get('/api/1/composes/');
  assert.equal(list.status, 503);
  assert.equal(list.body.error, 'Service Unavailable');
  assert.match(list.body.message, /database is unavailable/);
  await startPostgres();
  await eventually('recovery', async () => (await get('/readyz')).status === 200);
  assert.equal((await get('/api/1/composes/')).status, 200);
});

test('Temporal down: /readyz 200 degraded naming it; a new compose is accepted, its start waits in PostgreSQL', async () => {
  await temporal!.stop();
  const ready = await get('/readyz');
  assert.equal(ready.status, 200, 'writes still work, so a load balancer keeps sending traffic');
  assert.equal(ready.body.status, 'degraded');
  assert.deepEqual(ready.body.degraded, ['temporal']);
  assert.equal(ready.body.checks.postgres.ok, true);
  assert.equal(ready.body.checks.temporal.ok, false);
  assert.match(ready.body.message, /temporal unavailable; writes are accepted/);
  const before = ready.body.details.workflowStarts.pending;
  const post = await get('/api/1/composes/', { method: 'POST', body: JSON.stringify({ source: { type: 'tag', source: 'demo' } }) });
  assert.equal(post.status, 200, JSON.stringify(post.body));
  assert.equal(post.body.state_name, 'wait');
  const list = await get('/api/1/composes/?state=wait');
  assert.deepEqual(list.body.items.map((c: { id: number }) => c.id), [post.body.id], 'the compose waits for its workflow');
  // No worker runs here: the start is recorded and reported, not lost.
  const after = await get('/readyz');
  assert.equal(after.body.details.workflowStarts.pending, before + 1);
  assert.match(after.body.message, new RegExp(`and ${before + 1} workflow start`));
  await startTemporal();
  await eventually('recovery', async () => (await get('/readyz')).body.status === 'ready', 60_000);
});
