// Writes are committed in PostgreSQL first (issue 10), tested with real processes: Temporal frozen
// (SIGSTOP) and killed (SIGKILL) during 200 POSTs; a starter SIGKILLed in the middle of a batch;
// two worker processes starting the same records. Every POST is answered 200, every compose
// reaches `done` once Temporal is back, and none is generated twice.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildRepo } from '../../scripts/rpm-fixtures.js';
import { freePort } from '../../scripts/services/process-utils.js';
import { startLocalPostgres, type LocalPostgres } from '../../scripts/services/postgres.js';
import { startLocalTemporal, type LocalTemporal } from '../../scripts/services/temporal.js';
import { http, startStack, testTmpDir, type Stack } from '../harness/stack.js';

let tmp: string;
let temporalPort: number;
let postgres: LocalPostgres;
let temporal: LocalTemporal;
let stack: Stack;

const startTemporal = async () =>
  (temporal = await startLocalTemporal({ port: temporalPort, dbFile: path.join(tmp, 'temporal.db'), pidFile: path.join(tmp, 'temporal.pid') }));

before(async () => {
  tmp = testTmpDir('starts');
  temporalPort = await freePort();
  [postgres] = await Promise.all([startLocalPostgres({ dataDir: path.join(tmp, 'pg'), port: await freePort(), database: 'odcs' }), startTemporal()]);
  const repo = path.join(tmp, 'repos', 'r');
  await buildRepo(repo, [{ name: 'a', requires: ['b'] }, { name: 'b' }, { name: 'c' }]);
  process.env.ODCS_TEST_DATABASE_URL = postgres.url;
  stack = await startStack({
    workers: false, // worker processes (workflow workers + starter) are spawned so they can be killed
    env: { TEMPORAL_ADDRESS: temporal.address, REPO_ROOTS: path.join(tmp, 'repos'), GENERATE_HEARTBEAT_TIMEOUT: '3' },
    settings: { tags: { t: { repos: [repo] } } },
  });
});

after(async () => {
  await stack?.stop().catch(() => undefined);
  await Promise.allSettled([temporal?.stop(), postgres?.stop()]);
});

const REQUEST = { source: { type: 'tag', source: 't', packages: ['a'] } };

async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn().catch(() => false))) {
    if (Date.now() > deadline) {
      const { rows } = await stack.pool.query('SELECT state, count(*)::int AS n FROM composes GROUP BY state');
      const cmds = await stack.pool.query('SELECT kind, done_at IS NOT NULL AS done, count(*)::int AS n FROM workflow_commands GROUP BY 1, 2');
      throw new Error(`timed out: ${what}; composes by state ${JSON.stringify(rows)}; commands ${JSON.stringify(cmds.rows)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function post(body: unknown = REQUEST): Promise<number> {
  const res = await http(stack, 'POST', '/api/1/composes/', body);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.id;
}

/** POSTs `n` requests, `concurrency` at a time, calling `at(i)` before the i-th. */
async function postMany(n: number, concurrency: number, at: (i: number) => void | Promise<void> = () => {}): Promise<number[]> {
  const ids: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        await at(i);
        ids.push(await post());
      }
    }),
  );
  return ids.sort((a, b) => a - b);
}

async function allDone(ids: number[]): Promise<boolean> {
  const { rows } = await stack.pool.query('SELECT count(*)::int AS n FROM composes WHERE id = ANY($1::bigint[]) AND state = 2', [ids]);
  return rows[0].n === ids.length;
}

/** Generated composes (not reuses) among `ids`: each must have exactly one tree, nothing half-written. */
async function assertGeneratedOnce(ids: number[]): Promise<void> {
  const { rows } = await stack.pool.query('SELECT id FROM composes WHERE id = ANY($1::bigint[]) AND reused_id IS NULL', [ids]);
  assert.ok(rows.length >= 1);
  const names = fs.readdirSync(stack.config.composeRoot);
  for (const { id } of rows) {
    assert.deepEqual(names.filter((n) => n === `odcs-${id}` || n.startsWith(`.tmp-odcs-${id}-`)), [`odcs-${id}`], `compose ${id}`);
  }
  const pending = await stack.pool.query('SELECT count(*)::int AS n FROM workflow_commands WHERE done_at IS NULL');
  assert.equal(pending.rows[0].n, 0, 'every command delivered');
}

async function stopWorker(w: ReturnType<Stack['spawnWorker']>, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (w.exitCode !== null || w.signalCode !== null) return;
  const exited = new Promise((r) => w.once('exit', r));
  w.kill(signal);
  await exited;
}

test('Temporal frozen (SIGSTOP) then killed (SIGKILL) during 200 POSTs: all answered, all done after it is back', async () => {
  const worker = stack.spawnWorker();
  const first = await post();
  await until('a first compose done', () => allDone([first]));
  const ids = await postMany(200, 8, async (i) => {
    if (i === 40) process.kill(temporal.pid, 'SIGSTOP');
    if (i === 120) process.kill(temporal.pid, 'SIGKILL'); // a stopped process dies too
  });
  assert.equal(new Set(ids).size, 200, 'every POST answered with its own compose');
  const ready = (await http(stack, 'GET', '/readyz')).body;
  assert.ok(ready.details.workflowStarts.pending > 0, `the starts wait in PostgreSQL: ${JSON.stringify(ready.details)}`);
  const metrics = (await http(stack, 'GET', '/api/1/metrics/')).text;
  assert.match(metrics, /^odcs_workflow_starts_pending [1-9]\d*$/m);
  await startTemporal();
  await until("200 composes done", () => allDone(ids), 600_000);
  await assertGeneratedOnce([first, ...ids]);
  await stopWorker(worker);
});

test('a starter SIGKILLed in the middle of a batch: another worker delivers the batch', async () => {
  const doomed = stack.spawnWorker();
  const first = await post({ ...REQUEST, flags: ['no_reuse'] });
  await until('the worker is up', () => allDone([first]));
  process.kill(temporal.pid, 'SIGSTOP'); // deliveries hang: the starter holds its batch
  try {
    const ids = await postMany(50, 4);
    await until('the starter holds locked records', async () => {
      const { rows } = await stack.pool.query(
        `SELECT (SELECT count(*) FROM workflow_commands WHERE done_at IS NULL)::int AS pending,
                (SELECT count(*) FROM (SELECT id FROM workflow_commands WHERE done_at IS NULL FOR UPDATE SKIP LOCKED) t)::int AS free`,
      );
      return rows[0].pending > 0 && rows[0].free < rows[0].pending;
    }, 60_000);
    await stopWorker(doomed, 'SIGKILL');
    process.kill(temporal.pid, 'SIGCONT');
    const survivor = stack.spawnWorker();
    await until('50 composes done', () => allDone(ids), 600_000);
    await assertGeneratedOnce([first, ...ids]);
    await stopWorker(survivor);
  } finally {
    try {
      process.kill(temporal.pid, 'SIGCONT');
    } catch {
      /* already running */
    }
  }
});

test('two workers starting the same records: each compose started and generated once', async () => {
  // Records committed while no worker runs, then two starters race for them.
  const ids = await postMany(60, 4);
  const distinct = await post({ source: { type: 'tag', source: 't', packages: ['c'] }, flags: ['no_reuse'] });
  const workers = [stack.spawnWorker(), stack.spawnWorker()];
  await until('61 composes done', () => allDone([...ids, distinct]), 600_000);
  await assertGeneratedOnce([...ids, distinct]);
  const runs = new Map<string, number>();
  for await (const w of stack.temporal.client.workflow.list({ query: `TaskQueue = '${stack.config.taskQueue}' AND WorkflowType = 'composeWorkflow'` })) {
    runs.set(w.workflowId, (runs.get(w.workflowId) ?? 0) + 1);
  }
  for (const id of [...ids, distinct]) assert.equal(runs.get(`compose-${id}`), 1, `compose ${id}: one workflow run`);
  await Promise.all(workers.map((w) => stopWorker(w)));
});
