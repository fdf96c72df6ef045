// Temporal and PostgreSQL killed with SIGKILL in the middle of a compose, then started again on
// the same data: the compose still ends `done`, once, with nothing stuck.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildRepo } from '../../scripts/rpm-fixtures.js';
import { freePort } from '../../scripts/services/process-utils.js';
import { startLocalPostgres, type LocalPostgres } from '../../scripts/services/postgres.js';
import { startLocalTemporal, type LocalTemporal } from '../../scripts/services/temporal.js';
import { http, startStack, testTmpDir, waitForState, type Stack } from '../harness/stack.js';

let tmp: string;
let pgPort: number;
let temporalPort: number;
let postgres: LocalPostgres;
let temporal: LocalTemporal;
let stack: Stack;
let repo: string;

const startPostgres = async () => (postgres = await startLocalPostgres({ dataDir: path.join(tmp, 'pg'), port: pgPort, database: 'odcs' }));
const startTemporal = async () =>
  (temporal = await startLocalTemporal({ port: temporalPort, dbFile: path.join(tmp, 'temporal.db'), pidFile: path.join(tmp, 'temporal.pid') }));

before(async () => {
  tmp = testTmpDir('restarts');
  [pgPort, temporalPort] = [await freePort(), await freePort()];
  await Promise.all([startPostgres(), startTemporal()]);
  repo = path.join(tmp, 'repos', 'r');
  await buildRepo(repo, [{ name: 'a', requires: ['b'] }, { name: 'b' }]);
  // This file's stack uses its own servers, so that they can be killed.
  process.env.ODCS_TEST_DATABASE_URL = postgres.url;
  stack = await startStack({
    workers: false,
    env: { TEMPORAL_ADDRESS: temporal.address, REPO_ROOTS: path.join(tmp, 'repos'), GENERATE_HEARTBEAT_TIMEOUT: '3' },
    settings: { tags: { t: { repos: [repo] } } },
  });
});

after(async () => {
  await stack?.stop().catch(() => undefined);
  await Promise.allSettled([temporal?.stop(), postgres?.stop()]);
});

async function generatingCompose(pauseMs: string): Promise<{ id: number; worker: ReturnType<Stack['spawnWorker']> }> {
  const worker = stack.spawnWorker({ GENERATE_TEST_PAUSE_MS: pauseMs });
  const res = await http(stack, 'POST', '/api/1/composes/', { source: { type: 'tag', source: 't', packages: ['a'] }, flags: ['no_reuse'] });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  await waitForState(stack, res.body.id, ['generating'], 60_000);
  return { id: res.body.id, worker };
}

function treeState(id: number): string[] {
  return fs.readdirSync(stack.config.composeRoot).filter((n) => n === `odcs-${id}` || n.startsWith(`.tmp-odcs-${id}-`));
}

test('Temporal killed mid-generation and restarted: the compose ends done', async () => {
  const { id, worker } = await generatingCompose('4000');
  process.kill(temporal.pid, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 1000));
  await startTemporal();
  const done = await waitForState(stack, id, ['done', 'failed'], 120_000);
  assert.equal(done.state_name, 'done', done.state_reason);
  assert.deepEqual(treeState(id), [`odcs-${id}`]);
  worker.kill('SIGTERM');
  await new Promise((r) => worker.once('exit', r));
});

test('PostgreSQL killed mid-generation and restarted: the compose ends done', async () => {
  const { id, worker } = await generatingCompose('3000');
  process.kill(postgres.pid, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 2000));
  await startPostgres();
  const done = await waitForState(stack, id, ['done', 'failed'], 120_000);
  assert.equal(done.state_name, 'done', done.state_reason);
  assert.deepEqual(treeState(id), [`odcs-${id}`]);
  const { rows } = await stack.pool.query('SELECT count(*)::int AS n FROM composes WHERE state IN (0, 1)');
  assert.equal(rows[0].n, 0, 'nothing stuck in wait or generating');
  worker.kill('SIGTERM');
  await new Promise((r) => worker.once('exit', r));
});
