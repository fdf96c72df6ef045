// A compose's whole life over HTTP against real Temporal, PostgreSQL, rpmbuild, createrepo_c and
// dnf: generation, reuse, failures with reasons, extend, delete, expiry and renew.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildRepo } from '../../scripts/rpm-fixtures.js';
import { repoclosure } from '../harness/compose-tree.js';
import { http, startStack, testTmpDir, waitForState, type Stack } from '../harness/stack.js';

let stack: Stack;
let repos: string;


async function create(body: unknown): Promise<any> {
  const res = await http(stack, 'POST', '/api/1/composes/', body);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

before(async () => {
  repos = testTmpDir('repos');
  await buildRepo(path.join(repos, 'base'), [
    { name: 'app', version: '2.0', requires: ['lib >= 1.5', '/usr/bin/tool'] },
    { name: 'lib', version: '1.6', arch: 'x86_64', requires: ['data'] },
    { name: 'lib', version: '1.4', arch: 'x86_64', requires: ['data'] },
    { name: 'data' },
    { name: 'tools', files: ['/usr/bin/tool'] },
    { name: 'broken', requires: ['missing-lib'] },
    { name: 'lonely' },
  ]);
  await buildRepo(path.join(repos, 'child'), [{ name: 'extra', requires: ['data'] }]);
  stack = await startStack({
    env: { REPO_ROOTS: repos },
    settings: {
      tags: {
        base: { repos: [path.join(repos, 'base')] },
        child: { repos: [path.join(repos, 'child')], parents: ['base'] },
      },
    },
  });
});

after(async () => {
  await stack?.stop();
});

describe('compose lifecycle', () => {
  test('a tag compose holds the dependency closure, is served over HTTP and passes repoclosure', async () => {
    const created = await create({ source: { type: 'tag', source: 'base', packages: ['app'] }, 'seconds-to-live': 3600 });
    assert.equal(created.state_name, 'wait');
    assert.equal(created.owner, 'unknown');
    const done = await waitForState(stack, created.id, ['done', 'failed']);
    assert.equal(done.state_name, 'done', done.state_reason);
    assert.equal(done.state_reason, 'Compose is generated successfully');
    assert.ok(done.time_started && done.time_done);
    assert.match(done.result_repofile, new RegExp(`/composes/odcs-${created.id}/compose/Temporary/odcs-${created.id}\\.repo$`));
    const repoFile = await fetch(done.result_repofile);
    assert.equal(repoFile.status, 200);
    const text = await repoFile.text();
    assert.match(text, new RegExp(`^\\[odcs-${created.id}\\]`));
    assert.match(text, new RegExp(`baseurl=${done.result_repo}/\\$basearch/os`));
    const osUrl = `${done.result_repo}/x86_64/os`;
    const closure = await repoclosure(osUrl);
    assert.ok(closure.ok, closure.output);
    const listing = await (await fetch(`${osUrl}/`)).text();
    assert.match(listing, /repodata\//);
    const dir = path.join(stack.config.composeRoot, `odcs-${created.id}`, 'compose', 'Temporary', 'x86_64', 'os');
    const rpms = execFileSync('find', [dir, '-name', '*.rpm', '-printf', '%f\n'], { encoding: 'utf8' }).trim().split('\n').sort();
    assert.deepEqual(rpms, ['app-1.0-1.noarch.rpm'.replace('1.0', '2.0'), 'data-1.0-1.noarch.rpm', 'lib-1.6-1.x86_64.rpm', 'tools-1.0-1.noarch.rpm']);
    assert.ok(fs.existsSync(path.join(stack.config.composeRoot, `odcs-${created.id}`, 'logs', 'global', 'pungi.global.log')));
  });

  test('an identical request reuses the compose; no_reuse generates anew', async () => {
    const first = await create({ source: { type: 'tag', source: 'base', packages: ['lonely'] } });
    const firstDone = await waitForState(stack, first.id, ['done']);
    const second = await create({ source: { type: 'tag', source: 'base', packages: ['lonely'] } });
    const secondDone = await waitForState(stack, second.id, ['done']);
    assert.equal(secondDone.pungi_compose_id, firstDone.pungi_compose_id);
    assert.equal(secondDone.toplevel_url, firstDone.toplevel_url, 'a reused compose points at the original tree');
    assert.ok(!fs.existsSync(path.join(stack.config.composeRoot, `odcs-${second.id}`)));
    const third = await create({ source: { type: 'tag', source: 'base', packages: ['lonely'] }, flags: ['no_reuse'] });
    const thirdDone = await waitForState(stack, third.id, ['done']);
    assert.notEqual(thirdDone.toplevel_url, firstDone.toplevel_url);
    assert.ok(fs.existsSync(path.join(stack.config.composeRoot, `odcs-${third.id}`)));
    // Extending the reusing compose extends the one whose files it shares.
    const patched = await http(stack, 'PATCH', `/api/1/composes/${second.id}`, { 'seconds-to-live': 200000 });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const original = (await http(stack, 'GET', `/api/1/composes/${first.id}`)).body;
    assert.equal(original.time_to_expire, patched.body.time_to_expire);
  });

  test('inheritance: a child tag sees its parents, no_inheritance drops them', async () => {
    const inherited = await create({ source: { type: 'tag', source: 'child', packages: ['extra'] } });
    assert.equal((await waitForState(stack, inherited.id, ['done', 'failed'])).state_name, 'done');
    const alone = await create({ source: { type: 'tag', source: 'child', packages: ['extra'] }, flags: ['no_inheritance', 'check_deps'] });
    const failed = await waitForState(stack, alone.id, ['done', 'failed']);
    assert.equal(failed.state_name, 'failed');
    assert.match(failed.state_reason, /extra requires data/);
  });

  test('missing packages and unresolvable dependencies fail the compose with a reason', async () => {
    const missing = await create({ source: { type: 'tag', source: 'base', packages: ['app', 'nope', 'zilch'] } });
    const m = await waitForState(stack, missing.id, ['done', 'failed']);
    assert.equal(m.state_name, 'failed');
    assert.match(m.state_reason, /^Error while generating compose: The following requested packages are not present in the generated compose: nope zilch\./);
    assert.ok(fs.existsSync(path.join(stack.config.composeRoot, `odcs-${missing.id}`, 'logs')), 'a failed compose keeps its logs');
    const broken = await create({ source: { type: 'tag', source: 'base', packages: ['broken'] }, flags: ['check_deps'] });
    const b = await waitForState(stack, broken.id, ['done', 'failed']);
    assert.equal(b.state_name, 'failed');
    assert.match(b.state_reason, /broken requires missing-lib/);
    const unknownTag = await create({ source: { type: 'tag', source: 'no-such-tag' } });
    const u = await waitForState(stack, unknownTag.id, ['done', 'failed']);
    assert.match(u.state_reason, /Unknown tag "no-such-tag"/);
  });

  test('no_deps takes only the requested packages; empty packages takes everything of the arch', async () => {
    const nodeps = await create({ source: { type: 'tag', source: 'base', packages: ['app'] }, flags: ['no_deps'] });
    assert.equal((await waitForState(stack, nodeps.id, ['done', 'failed'])).state_name, 'done');
    const files = fs.readdirSync(path.join(stack.config.composeRoot, `odcs-${nodeps.id}`, 'compose', 'Temporary', 'x86_64', 'os', 'Packages'), { recursive: true }).filter((f) => String(f).endsWith('.rpm'));
    assert.equal(files.length, 1);
    const all = await create({ source: { type: 'repo', source: path.join(repos, 'base') } });
    assert.equal((await waitForState(stack, all.id, ['done', 'failed'])).state_name, 'done');
    const allFiles = fs.readdirSync(path.join(stack.config.composeRoot, `odcs-${all.id}`, 'compose', 'Temporary', 'x86_64', 'os', 'Packages'), { recursive: true }).filter((f) => String(f).endsWith('.rpm'));
    assert.equal(allFiles.length, 6, 'the newest lib only, every other package');
  });

  test('a repo source outside REPO_ROOTS is refused', async () => {
    const res = await http(stack, 'POST', '/api/1/composes/', { source: { type: 'repo', source: '/etc' } });
    assert.equal(res.status, 403);
    assert.match(res.body.message, /not under an allowed repository root/);
  });

  test('expiry removes the files and marks the compose removed; renew makes a new compose', async () => {
    const created = await create({ source: { type: 'tag', source: 'base', packages: ['data'] }, flags: ['no_reuse'], seconds_to_live: 3 });
    const done = await waitForState(stack, created.id, ['done']);
    const dir = path.join(stack.config.composeRoot, `odcs-${created.id}`);
    assert.ok(fs.existsSync(dir));
    const removed = await waitForState(stack, created.id, ['removed'], 30_000);
    assert.ok(!fs.existsSync(dir), 'files are gone');
    assert.equal(removed.state_reason, 'Compose is generated successfully\nCompose is expired.');
    assert.ok(Date.parse(removed.time_removed) >= Date.parse(done.time_to_expire), `removed at ${removed.time_removed}, not before time_to_expire ${done.time_to_expire}`);
    const renewed = await http(stack, 'PATCH', `/api/1/composes/${created.id}`, { 'seconds-to-live': 600 });
    assert.equal(renewed.status, 200);
    assert.notEqual(renewed.body.id, created.id);
    assert.equal((await waitForState(stack, renewed.body.id, ['done', 'failed'])).state_name, 'done');
  });

  test('extend moves time_to_expire; DELETE expires a done compose at once', async () => {
    const created = await create({ source: { type: 'tag', source: 'base', packages: ['tools'] }, flags: ['no_reuse'], seconds_to_live: 60 });
    const done = await waitForState(stack, created.id, ['done']);
    const extended = await http(stack, 'PATCH', `/api/1/composes/${created.id}`, { seconds_to_live: 7200 });
    assert.equal(extended.status, 200);
    assert.equal(extended.body.id, created.id);
    assert.ok(Date.parse(extended.body.time_to_expire) > Date.parse(done.time_to_expire) + 3_000_000);
    const del = await http(stack, 'DELETE', `/api/1/composes/${created.id}`);
    assert.equal(del.status, 202);
    assert.deepEqual(del.body, {
      status: 202,
      message: `The delete request for compose (id=${created.id}) has been accepted and will be processed by backend later.`,
    });
    const removed = await waitForState(stack, created.id, ['removed'], 15_000);
    assert.equal(removed.removed_by, 'unknown');
    assert.match(removed.state_reason, /Removed by unknown\.$/);
    assert.ok(!fs.existsSync(path.join(stack.config.composeRoot, `odcs-${created.id}`)));
    const again = await http(stack, 'DELETE', `/api/1/composes/${created.id}`);
    assert.equal(again.status, 400);
    assert.match(again.body.message, /can not be removed, its state need to be in \['done', 'failed'\]/);
  });

  test('a compose waiting for a generation slot can be canceled', async () => {
    await stack.stopWorkers();
    await stack.startWorkers({ generate: false });
    try {
      const created = await create({ source: { type: 'tag', source: 'base', packages: ['data'] }, flags: ['no_reuse'] });
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal((await http(stack, 'GET', `/api/1/composes/${created.id}`)).body.state_name, 'wait');
      const del = await http(stack, 'DELETE', `/api/1/composes/${created.id}`);
      assert.equal(del.status, 202, JSON.stringify(del.body));
      assert.equal(del.body.message, `Compose (id=${created.id}) has been canceled`);
      const failed = (await http(stack, 'GET', `/api/1/composes/${created.id}`)).body;
      assert.equal(failed.state_name, 'failed');
      assert.equal(failed.state_reason, 'Canceled by unknown');
    } finally {
      await stack.stopWorkers();
      await stack.startWorkers();
    }
  });

  test('search attributes follow the state, so operators can filter in the Temporal UI', async () => {
    const created = await create({ source: { type: 'tag', source: 'base', packages: ['data'] }, flags: ['no_reuse'] });
    await waitForState(stack, created.id, ['done']);
    const deadline = Date.now() + 15_000;
    let found: string[] = [];
    while (Date.now() < deadline) {
      found = [];
      for await (const wf of stack.temporal.client.workflow.list({ query: `WorkflowId='compose-${created.id}' AND ComposeState='done' AND ComposeOwner='unknown' AND ComposeSource='base'` })) {
        found.push(wf.workflowId);
      }
      if (found.length) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.deepEqual(found, [`compose-${created.id}`]);
  });
});
