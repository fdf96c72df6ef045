// The `odcs-flow compose` commands run as a user runs them: spawned processes against a real API.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildRepo } from '../../scripts/rpm-fixtures.js';
import { ROOT, startStack, testTmpDir, type Stack } from '../harness/stack.js';

let stack: Stack;

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(path.join(ROOT, 'bin', 'odcs-flow.mjs'), ['--server', stack.baseUrl, ...args], { cwd: ROOT, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

before(async () => {
  const repos = testTmpDir('repos');
  await buildRepo(path.join(repos, 'r'), [{ name: 'cli-app', requires: ['cli-lib'] }, { name: 'cli-lib' }]);
  stack = await startStack({ env: { REPO_ROOTS: repos }, settings: { tags: { t: { repos: [path.join(repos, 'r')] } } } });
});

after(async () => {
  await stack?.stop();
});

test('create --wait, get, list, extend, renew, delete', async () => {
  const created = await cli('compose', 'create', '-s', 't', '-p', 'cli-app', '--flag', 'no_reuse', '--seconds-to-live', '600', '--wait');
  assert.equal(created.code, 0, created.stderr);
  const c = JSON.parse(created.stdout);
  assert.equal(c.state_name, 'done');
  assert.equal(c.packages, 'cli-app');
  assert.match(created.stderr, new RegExp(`compose ${c.id}: done`));

  const got = await cli('compose', 'get', String(c.id));
  assert.equal(JSON.parse(got.stdout).id, c.id);

  const list = await cli('compose', 'list', '--state', 'done');
  assert.equal(list.code, 0);
  assert.match(list.stdout, /^ID\s+STATE\s+OWNER\s+SOURCE/);
  assert.match(list.stdout, new RegExp(`^${c.id}\\s+done\\s+unknown\\s+1:t\\s+cli-app`, 'm'));
  const listJson = JSON.parse((await cli('compose', 'list', '--json', '--per-page', '1')).stdout);
  assert.equal(listJson.meta.per_page, 1);

  const extended = JSON.parse((await cli('compose', 'extend', String(c.id), '--seconds-to-live', '7200')).stdout);
  assert.ok(Date.parse(extended.time_to_expire) > Date.parse(c.time_to_expire));

  const deleted = await cli('compose', 'delete', String(c.id));
  assert.equal(deleted.code, 0);
  assert.equal(JSON.parse(deleted.stdout).status, 202);
  const waited = await cli('compose', 'wait', String(c.id), '--quiet');
  assert.equal(waited.code, 0);

  const renewed = JSON.parse((await cli('compose', 'renew', String(c.id))).stdout);
  assert.notEqual(renewed.id, c.id, 'a removed compose is renewed as a new one');
});

test('wait: exit 1 for a failed compose, 2 on timeout; errors are one line from the server', async () => {
  const failing = JSON.parse((await cli('compose', 'create', '-s', 't', '-p', 'no-such-package')).stdout);
  const failed = await cli('compose', 'wait', String(failing.id));
  assert.equal(failed.code, 1);
  assert.equal(JSON.parse(failed.stdout).state_name, 'failed');

  await stack.stopWorkers();
  await stack.startWorkers({ generate: false });
  try {
    const stuck = JSON.parse((await cli('compose', 'create', '-s', 't', '-p', 'cli-lib', '--flag', 'no_reuse')).stdout);
    const timedOut = await cli('compose', 'wait', String(stuck.id), '--timeout', '2');
    assert.equal(timedOut.code, 2);
    assert.match(timedOut.stderr, /still not finished after 2 s/);
  } finally {
    await stack.stopWorkers();
    await stack.startWorkers();
  }

  const missing = await cli('compose', 'get', '999999999');
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr.trim(), 'odcs-flow: 404 Not Found: No such compose found.');
  const bad = await cli('compose', 'create', '-s', 't', '--flag', 'bogus');
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
  assert.match(bad.stderr, /400 Bad Request: \('Unknown flag %s', 'bogus'\)/);
});
