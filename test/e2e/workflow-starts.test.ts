// Writes are committed in PostgreSQL first (issue 10), tested with real processes: Temporal frozen
// (SIGSTOP) and killed (SIGKILL) during 200 POSTs; a starter SIGKILLed in the middle of a batch;
// two worker processes starting the same records. Every POST is answered 200, every compose
// reaches `done` once Temporal is back, and none is generated twice. Reuse decided at admission by
// the starter: identical requests reach `done` while Temporal is frozen, and a starter SIGKILLed
// after that commit but before the starts leaves them to another worker, each started once;
// composes following a generating one finish in the transaction that finishes it.
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
      const recent = await stack.pool.query('SELECT id, state, reused_id, state_reason FROM composes ORDER BY id DESC LIMIT 6');
      throw new Error(
        `timed out: ${what}; composes by state ${JSON.stringify(rows)}; commands ${JSON.stringify(cmds.rows)}; latest ${JSON.stringify(recent.rows)}`,
      );
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
async function postMany(n: number, concurrency: number, at: (i: number) => void | Promise<void> = () => {}, body: unknown = REQUEST): Promise<number[]> {
  const ids: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        await at(i);
        ids.push(await post(body));
      }
    }),
  );
  return ids.sort((a, b) => a - b);
}

async function allDone(ids: number[]): Promise<boolean> {
  const { rows } = await stack.pool.query('SELECT count(*)::int AS n FROM composes WHERE id = ANY($1::bigint[]) AND state = 2', [ids]);
  return rows[0].n === ids.length;
}

/** Done and every workflow running: a compose reused at admission is done before its workflow starts. */
async function allDoneAndStarted(ids: number[]): Promise<boolean> {
  if (!(await allDone(ids))) return false;
  const { rows } = await stack.pool.query('SELECT count(*)::int AS n FROM workflow_commands WHERE compose_id = ANY($1::bigint[]) AND done_at IS NULL', [ids]);
  return rows[0].n === 0;
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
  await until('200 composes done, their workflows started', () => allDoneAndStarted(ids), 600_000);
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
    await until('50 composes done, their workflows started', () => allDoneAndStarted(ids), 600_000);
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

/** Workflow runs of the compose workflow, by workflow id. */
async function workflowRuns(): Promise<Map<string, number>> {
  const runs = new Map<string, number>();
  for await (const w of stack.temporal.client.workflow.list({ query: `TaskQueue = '${stack.config.taskQueue}' AND WorkflowType = 'composeWorkflow'` })) {
    runs.set(w.workflowId, (runs.get(w.workflowId) ?? 0) + 1);
  }
  return runs;
}

/** Each compose announced `done` exactly once (the outbox). */
async function assertDoneAnnouncedOnce(ids: number[]): Promise<void> {
  const { rows } = await stack.pool.query(
    'SELECT compose_id, count(*)::int AS n FROM compose_events WHERE compose_id = ANY($1::bigint[]) AND state = 2 GROUP BY 1',
    [ids],
  );
  assert.equal(rows.length, ids.length, 'every compose announced done');
  for (const r of rows) assert.equal(r.n, 1, `compose ${r.compose_id} announced done ${r.n} times`);
}

test('reuse decided at admission while Temporal is frozen; the starter SIGKILLed after that commit, before the starts', async () => {
  const doomed = stack.spawnWorker();
  let survivor: ReturnType<Stack['spawnWorker']> | null = null;
  const body = { source: { type: 'tag', source: 't', packages: ['b'] } };
  const first = await post(body);
  await until('a compose to reuse', () => allDone([first]));
  process.kill(temporal.pid, 'SIGSTOP'); // no workflow can start
  try {
    const ids = await postMany(40, 4, undefined, body);
    // Decided in PostgreSQL alone: done, sharing the files of a done compose, with no workflow yet.
    await until('40 composes done while Temporal is frozen', () => allDone(ids), 120_000);
    const { rows } = await stack.pool.query(
      `SELECT c.id, c.reused_id, c.state_reason, w.done_at FROM composes c JOIN workflow_commands w ON w.compose_id = c.id AND w.kind = 'start'
        WHERE c.id = ANY($1::bigint[])`,
      [ids],
    );
    assert.equal(rows.length, ids.length);
    for (const r of rows) {
      assert.ok(r.reused_id !== null, `compose ${r.id} reuses a done compose`);
      assert.equal(r.state_reason, 'Compose is generated successfully');
      assert.equal(r.done_at, null, `compose ${r.id}: its start still waits for Temporal`);
    }
    await stopWorker(doomed, 'SIGKILL');
    process.kill(temporal.pid, 'SIGCONT');
    survivor = stack.spawnWorker();
    await until('every start delivered', () => allDoneAndStarted(ids), 600_000);
    await assertGeneratedOnce([first, ...ids]);
    await assertDoneAnnouncedOnce(ids);
    // Each has its one workflow, started finished: it keeps the expiry timer.
    let runs = new Map<string, number>();
    await until('the workflows listed (visibility follows the starts)', async () => {
      runs = await workflowRuns();
      return ids.every((id) => runs.has(`compose-${id}`));
    });
    for (const id of ids) {
      assert.equal(runs.get(`compose-${id}`), 1, `compose ${id}: one workflow run`);
      const status = await stack.temporal.client.workflow.getHandle(`compose-${id}`).query('status');
      assert.equal((status as { state: number }).state, 2, `compose ${id}: its workflow is done and waits for the expiry`);
    }
  } finally {
    try {
      process.kill(temporal.pid, 'SIGCONT');
    } catch {
      /* already running */
    }
    await stopWorker(doomed, 'SIGKILL');
    if (survivor) await stopWorker(survivor);
  }
});

test('composes following a generating compose finish in the transaction that finishes it (done, or failed)', async () => {
  // A long pause in each generation keeps the first compose generating while the others follow it.
  const worker = stack.spawnWorker({ GENERATE_TEST_PAUSE_MS: '30000' });
  try {
  for (const [packages, outcome] of [[['c', 'b'], 'done'], [['nope'], 'failed']] as const) {
    const body = { source: { type: 'tag', source: 't', packages } };
    const original = await post(body);
    await until(`compose ${original} generating`, async () => {
      const { rows } = await stack.pool.query(`SELECT state FROM composes WHERE id = $1`, [original]);
      return rows[0].state === 1;
    });
    const followers = [await post(body), await post(body)];
    await until('the followers follow it', async () => {
      const { rows } = await stack.pool.query(`SELECT count(*)::int AS n FROM composes WHERE id = ANY($1::bigint[]) AND reused_id = $2 AND state = 1`, [followers, original]);
      return rows[0].n === followers.length;
    });
    await until('all finished', async () => {
      const { rows } = await stack.pool.query(`SELECT count(*)::int AS n FROM composes WHERE id = ANY($1::bigint[]) AND state IN (2, 4)`, [[original, ...followers]]);
      return rows[0].n === followers.length + 1;
    }, 300_000);
    const { rows } = await stack.pool.query(`SELECT id, state, state_reason, time_done, time_to_expire FROM composes WHERE id = ANY($1::bigint[]) ORDER BY id`, [[original, ...followers]]);
    const [o, ...f] = rows;
    assert.equal(o.state, outcome === 'done' ? 2 : 4, o.state_reason);
    for (const r of f) {
      assert.equal(r.state, o.state, `compose ${r.id}: ${r.state_reason}`);
      // now() is the transaction's start: the same instant means the same transaction.
      assert.equal(r.time_done.getTime(), o.time_done.getTime(), `compose ${r.id} finished with compose ${o.id}`);
      if (outcome === 'failed') assert.match(r.state_reason, new RegExp(`^Reused compose ${o.id} did not succeed: Error while generating compose: `));
      else assert.ok(o.time_to_expire.getTime() >= r.time_to_expire.getTime(), 'the original lives as long as its reusers');
    }
    // Their workflows are woken and end the same way (the search attribute follows).
    for (const id of followers) {
      await until(`compose ${id}'s workflow knows`, async () => {
        const status = await stack.temporal.client.workflow.getHandle(`compose-${id}`).query('status');
        return (status as { state: number }).state === o.state;
      });
    }
  }
  } finally {
    await stopWorker(worker);
  }
});

test('two workers starting the same records: each compose started and generated once', async () => {
  // Records committed while no worker runs, then two starters race for them.
  const ids = await postMany(60, 4);
  const distinct = await post({ source: { type: 'tag', source: 't', packages: ['c'] }, flags: ['no_reuse'] });
  const workers = [stack.spawnWorker(), stack.spawnWorker()];
  await until('61 composes done, their workflows started', () => allDoneAndStarted([...ids, distinct]), 600_000);
  await assertGeneratedOnce([...ids, distinct]);
  // Identical requests with a done compose of theirs already there: the two starters also race to
  // decide their reuse at admission.
  await assertDoneAnnouncedOnce([...ids, distinct]);
  const runs = await workflowRuns();
  for (const id of [...ids, distinct]) assert.equal(runs.get(`compose-${id}`), 1, `compose ${id}: one workflow run`);
  await Promise.all(workers.map((w) => stopWorker(w)));
});
