// Disk pressure, automatically: over COMPOSE_ROOT_LIMIT the compose nearest to expiry that nobody
// reuses is removed early with a reason, and a generation that finds no room waits, then fails
// with a clear reason instead of filling the disk.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildRepo } from '../../scripts/rpm-fixtures.js';
import { http, startStack, testTmpDir, waitForState, type Stack } from '../harness/stack.js';

let stack: Stack;

before(async () => {
  const repos = testTmpDir('repos');
  await buildRepo(path.join(repos, 'r'), [{ name: 'p1' }, { name: 'p2' }, { name: 'p3' }]);
  stack = await startStack({
    // One byte: any finished compose fills the root.
    env: { REPO_ROOTS: repos, COMPOSE_ROOT_LIMIT: '1' },
    settings: { pungi_timeout: 6, tags: { t: { repos: [path.join(repos, 'r')] } } },
  });
});

after(async () => {
  await stack?.stop();
});

const create = async (pkg: string, flags: string[] = ['no_reuse'], ttl = 3600) =>
  (await http(stack, 'POST', '/api/1/composes/', { source: { type: 'tag', source: 't', packages: [pkg] }, flags, seconds_to_live: ttl })).body;

test('the compose nearest to expiry is removed early to make room, with the reason', async () => {
  const a = await create('p1', ['no_reuse'], 600);
  await waitForState(stack, a.id, ['done']);
  const ready = (await http(stack, 'GET', '/readyz')).body;
  assert.ok(ready.details.composeRoot.usageBytes > 0);
  assert.equal(ready.details.composeRoot.limitBytes, 1);

  const b = await create('p2', ['no_reuse'], 7200);
  const bDone = await waitForState(stack, b.id, ['done', 'failed'], 60_000);
  assert.equal(bDone.state_name, 'done', bDone.state_reason);
  const aRemoved = await waitForState(stack, a.id, ['removed'], 30_000);
  assert.match(aRemoved.state_reason, /\nRemoved early: the compose root was over its size limit \(\d+ of 1 bytes used\)\.$/);
  assert.ok(!fs.existsSync(path.join(stack.config.composeRoot, `odcs-${a.id}`)));
  const metrics = await (await fetch(`${stack.baseUrl}/api/1/metrics/`)).text();
  assert.match(metrics, /^compose_root_limit_bytes 1$/m);
  assert.match(metrics, /^compose_root_usage_bytes [1-9]\d*$/m);
});

test('with nothing removable, a new generation waits and then fails with the reason', async () => {
  // A reusable compose (it evicts the previous one), then one reusing it: neither can go.
  const base = await waitForState(stack, (await create('p1', [])).id, ['done'], 60_000);
  const reuser = await create('p1', []);
  const reuserDone = await waitForState(stack, reuser.id, ['done']);
  assert.equal(reuserDone.toplevel_url, base.toplevel_url, 'it reuses the done compose');
  const starved = await create('p3');
  const failed = await waitForState(stack, starved.id, ['failed'], 60_000);
  assert.match(failed.state_reason, /^Not enough space in the compose root: \d+ of 1 bytes used, and nothing more could be removed early within 6 seconds\.$/);
  assert.equal((await http(stack, 'GET', `/api/1/composes/${base.id}`)).body.state_name, 'done', 'the reused compose stays');
});
