// The provider operations of the `odcs-flow` command, run as a separate process against a stack
// (its workers run the workflows) and the fake upstreams.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { readData, readRow } from '../../store/cache.js';
import { freePort } from '../../scripts/services/process-utils.js';
import { ROOT, startStack, type Stack } from '../harness/stack.js';
import { smallFedora, startFakeUpstreams, type FakeUpstreams } from '../fixtures/upstreams.js';

let stack: Stack;
let up: FakeUpstreams;

/** Runs the command; `lines` are typed one at a time, each after the REPL prompts for it. */
function cli(args: string[], lines?: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/odcs-flow.mjs'), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...stack.env, UPSTREAM_BACKOFF_MS: '10', UPSTREAM_ATTEMPTS: '2', REFRESH_ATTEMPTS: '1', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
      // A command that waits when it should not is killed, not left hanging the suite.
      timeout: 60_000,
    });
    let stdout = '';
    let stderr = '';
    const pending = [...(lines ?? [])];
    let prompts = 0;
    child.stdout.on('data', (d) => {
      stdout += d;
      const seen = stdout.split('odcs-flow> ').length - 1;
      while (prompts < seen) {
        prompts++;
        const line = pending.shift();
        if (line === undefined) child.stdin.end();
        else child.stdin.write(`${line}\n`);
      }
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    if (!lines) child.stdin.end();
  });
}

before(async () => {
  up = await startFakeUpstreams(smallFedora());
  stack = await startStack({ env: { ...up.env, UPSTREAM_BACKOFF_MS: '10', REFRESH_ATTEMPTS: '1' } });
});

after(async () => {
  await stack?.stop();
  await up?.close();
});

test('refresh <provider> runs the workflow and prints its summary', async () => {
  const res = await cli(['refresh', 'releases']);
  assert.equal(res.code, 0, res.stderr);
  assert.deepEqual(JSON.parse(res.stdout), { provider: 'fedora_releases', outcome: 'changed', count: 0 });
  assert.match(res.stderr, new RegExp(`workflow oraculum-refresh-${stack.config.taskQueue}-fedora_releases`));
  assert.equal((await readData<any>(stack.pool, 'fedora_releases')).api.fedora.rawhide, 43);
});

test('refresh --all runs the runbook; refresh --package one package', async () => {
  const res = await cli(['refresh', '--all']);
  assert.equal(res.code, 0, res.stderr);
  const out = JSON.parse(res.stdout);
  assert.deepEqual(out.failures, []);
  assert.equal(out.results.length, 14);
  assert.ok(await readData(stack.pool, 'bodhi_updates', 'foo'));
  const one = await cli(['refresh', 'prs', '--package', 'foo']);
  assert.equal(one.code, 0, one.stderr);
  assert.equal(JSON.parse(one.stdout).arg, 'foo');
  assert.equal((await readData<any[]>(stack.pool, 'packager_dashboard_package_prs', 'foo'))!.length, 2);
});

test('refresh --direct works without Temporal and exits 1 on upstream failure, keeping the data', async () => {
  // Nothing listens at this TEMPORAL_ADDRESS: --direct must not need it.
  const noTemporal = { TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}` };
  const ok = await cli(['refresh', 'koschei', '--direct'], undefined, noTemporal);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).results[0].provider, 'koschei_data');
  assert.ok(await readData(stack.pool, 'koschei_data', 'foo'));
  up.fail(/^\/koschei\//, '500');
  try {
    const bad = await cli(['refresh', 'koschei', '--direct'], undefined, noTemporal);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /koschei_data: FAILED: GET .*HTTP 500/);
    assert.ok(await readData(stack.pool, 'koschei_data', 'foo'));
    const viaTemporal = await cli(['refresh', 'koschei']);
    assert.equal(viaTemporal.code, 1);
    assert.match(viaTemporal.stderr, /refresh failed: .*HTTP 500/);
  } finally {
    up.clearFaults();
  }
});

test('refresh --no-wait starts the workflow, prints its id and returns without waiting for it', async () => {
  // With no worker polling, the workflow cannot finish: a command that waited would hang.
  await stack.stopWorkers();
  let restarted = false;
  try {
    const res = await cli(['refresh', 'releases', '--no-wait']);
    assert.equal(res.code, 0, res.stderr);
    const out = JSON.parse(res.stdout);
    assert.equal(out.workflow_id, `oraculum-refresh-${stack.config.taskQueue}-fedora_releases`);
    assert.match(out.run_id, /^[0-9a-f-]{36}$/);
    const handle = stack.temporal.client.workflow.getHandle(out.workflow_id, out.run_id);
    assert.equal((await handle.describe()).status.name, 'RUNNING');
    await stack.startWorkers();
    restarted = true;
    assert.equal((await handle.result()).provider, 'fedora_releases');
  } finally {
    if (!restarted) await stack.startWorkers();
  }
});

test('cache clear by prefix and all; cache stats', async () => {
  await cli(['refresh', 'prs', '--package', 'bar']);
  const stats = await cli(['cache', 'stats', '--json']);
  assert.equal(stats.code, 0, stats.stderr);
  assert.ok(JSON.parse(stats.stdout).some((s: any) => s.provider === 'packager_dashboard_package_prs' && s.rows >= 1));
  const some = await cli(['cache', 'clear', '--provider', 'packager_dashboard']);
  assert.equal(some.code, 0, some.stderr);
  assert.match(some.stdout, /^deleted [1-9]\d* rows? of providers starting with packager_dashboard\n$/);
  assert.equal(await readRow(stack.pool, 'packager_dashboard_package_prs', 'foo'), null);
  assert.ok(await readRow(stack.pool, 'fedora_releases'));
  const all = await cli(['cache', 'clear']);
  assert.match(all.stdout, /^deleted [1-9]\d* rows?\n$/);
  assert.equal((await stack.pool.query('SELECT count(*)::int AS n FROM cached_data')).rows[0].n, 0);
});

test('debug opens a REPL with the cache and clients loaded', async () => {
  const res = await cli(['debug'], [`(await refresh('releases')).outcome`, `(await cache.readRow(pool, 'fedora_releases')).data.api.fedora.stable`, '.exit']);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /'(changed|unchanged)'/);
  assert.match(res.stdout, /\b41\b/);
});

test('usage errors exit 2', async () => {
  for (const args of [['refresh'], ['refresh', 'nope'], ['refresh', 'releases', '--package', 'foo'], ['refresh', '--all', 'releases']]) {
    const res = await cli(args);
    assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
  }
});
