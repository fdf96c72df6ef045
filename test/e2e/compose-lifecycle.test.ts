// A compose's whole life over HTTP against real Temporal, PostgreSQL, rpmbuild, createrepo_c and
// dnf: generation, reuse (and a changed repository preventing it), lookaside repositories, extra
// target dirs, failures with reasons, serving with ranges, the generation slot limit, extend,
// delete, expiry and renew (of removed and failed composes).
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
let privateDir: string;

/** (Re)indexes a repository with an explicit metadata revision. */
function createrepo(dir: string, revision: string) {
  execFileSync('createrepo_c', ['--quiet', '--no-database', '--revision', revision, dir]);
}


/** The row says `removed` when its transaction commits; the files go right after (the same activity). */
async function filesGone(dir: string, timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (fs.existsSync(dir)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

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
  await buildRepo(path.join(repos, 'mutable'), [{ name: 'm-one' }], { createrepo: false });
  createrepo(path.join(repos, 'mutable'), 'rev-1');
  await buildRepo(path.join(repos, 'needs'), [{ name: 'la-app', requires: ['la-lib'] }]);
  await buildRepo(path.join(repos, 'lookaside'), [{ name: 'la-lib' }]);
  privateDir = testTmpDir('private-target');
  stack = await startStack({
    env: { REPO_ROOTS: repos },
    settings: {
      tags: {
        base: { repos: [path.join(repos, 'base')] },
        child: { repos: [path.join(repos, 'child')], parents: ['base'] },
        mutable: { repos: [path.join(repos, 'mutable')] },
      },
      extra_target_dirs: { private: privateDir },
      allowed_target_dirs: ['private'],
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
    assert.ok(await filesGone(dir), 'files are gone');
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
    assert.ok(await filesGone(path.join(stack.config.composeRoot, `odcs-${created.id}`)), 'files are gone');
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
      const query = `WorkflowId='compose-${created.id}' AND ComposeState='done' AND ComposeOwner='unknown' AND ComposeSourceType='tag' AND ComposeSource='base'`;
      for await (const wf of stack.temporal.client.workflow.list({ query })) {
        found.push(wf.workflowId);
      }
      if (found.length) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.deepEqual(found, [`compose-${created.id}`]);
    const repo = await create({ source: { type: 'repo', source: path.join(repos, 'base'), packages: ['data'] }, flags: ['no_reuse'] });
    await waitForState(stack, repo.id, ['done']);
    const bySourceType = async () => {
      const ids: string[] = [];
      for await (const wf of stack.temporal.client.workflow.list({ query: `WorkflowId IN ('compose-${created.id}', 'compose-${repo.id}') AND ComposeSourceType='repo'` })) ids.push(wf.workflowId);
      return ids;
    };
    const until = Date.now() + 15_000;
    let repoIds = await bySourceType();
    while (repoIds.length === 0 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 300));
      repoIds = await bySourceType();
    }
    assert.deepEqual(repoIds, [`compose-${repo.id}`]);
  });

  test('a changed source repository prevents reuse', async () => {
    const body = { source: { type: 'tag', source: 'mutable', packages: ['m-one'] } };
    const first = await waitForState(stack, (await create(body)).id, ['done']);
    const reused = await waitForState(stack, (await create(body)).id, ['done']);
    assert.equal(reused.toplevel_url, first.toplevel_url, 'unchanged: reused');
    // A new package lands in the repository: its metadata revision changes.
    await buildRepo(path.join(repos, 'mutable'), [{ name: 'm-two' }], { createrepo: false });
    createrepo(path.join(repos, 'mutable'), 'rev-2');
    const after = await waitForState(stack, (await create(body)).id, ['done']);
    assert.notEqual(after.toplevel_url, first.toplevel_url, 'the repository changed: generated anew');
    assert.ok(fs.existsSync(path.join(stack.config.composeRoot, `odcs-${after.id}`)));
  });

  test('a failed compose is renewed as a new compose', async () => {
    const failed = await waitForState(stack, (await create({ source: { type: 'tag', source: 'mutable', packages: ['m-three'] } })).id, ['done', 'failed']);
    assert.equal(failed.state_name, 'failed');
    assert.match(failed.state_reason, /not present in the generated compose: m-three\./);
    await buildRepo(path.join(repos, 'mutable'), [{ name: 'm-three' }], { createrepo: false });
    createrepo(path.join(repos, 'mutable'), 'rev-3');
    const renewed = await http(stack, 'PATCH', `/api/1/composes/${failed.id}`, {});
    assert.equal(renewed.status, 200, JSON.stringify(renewed.body));
    assert.notEqual(renewed.body.id, failed.id, 'a failed compose is renewed as a new compose');
    assert.equal(renewed.body.packages, 'm-three');
    const renewedDone = await waitForState(stack, renewed.body.id, ['done', 'failed']);
    assert.equal(renewedDone.state_name, 'done', renewedDone.state_reason);
    assert.equal((await http(stack, 'GET', `/api/1/composes/${failed.id}`)).body.state_name, 'failed', 'the failed one stays as it was');
  });

  test('lookaside_repos satisfy dependencies without being copied', async () => {
    const source = { type: 'repo', source: path.join(repos, 'needs'), packages: ['la-app'] };
    const withLookaside = await create({ source, lookaside_repos: [path.join(repos, 'lookaside')], flags: ['check_deps', 'no_reuse'] });
    assert.equal(withLookaside.lookaside_repos, path.join(repos, 'lookaside'));
    const done = await waitForState(stack, withLookaside.id, ['done', 'failed']);
    assert.equal(done.state_name, 'done', done.state_reason);
    const os = path.join(stack.config.composeRoot, `odcs-${done.id}`, 'compose', 'Temporary', 'x86_64', 'os');
    const rpms = execFileSync('find', [os, '-name', '*.rpm', '-printf', '%f\n'], { encoding: 'utf8' }).trim().split('\n');
    assert.deepEqual(rpms, ['la-app-1.0-1.noarch.rpm'], 'the lookaside package is not copied');
    const without = await waitForState(stack, (await create({ source, flags: ['check_deps', 'no_reuse'] })).id, ['done', 'failed']);
    assert.equal(without.state_name, 'failed');
    assert.match(without.state_reason, /la-app requires la-lib/);
    const outside = await http(stack, 'POST', '/api/1/composes/', { source, lookaside_repos: ['/etc'] });
    const refused = outside.status === 200 ? await waitForState(stack, outside.body.id, ['done', 'failed']) : outside.body;
    assert.match(refused.state_reason ?? refused.message, /Lookaside repository "\/etc" is not under an allowed repository root/);
  });

  test('a compose for an extra target_dir is generated there, not in the compose root', async () => {
    const created = await create({ source: { type: 'tag', source: 'base', packages: ['data'] }, target_dir: 'private', flags: ['no_reuse'] });
    assert.equal(created.target_dir, 'private');
    const done = await waitForState(stack, created.id, ['done', 'failed']);
    assert.equal(done.state_name, 'done', done.state_reason);
    const tree = path.join(privateDir, `odcs-${created.id}`, 'compose', 'Temporary');
    assert.ok(fs.existsSync(path.join(tree, 'x86_64', 'os', 'repodata', 'repomd.xml')), 'the repository is in the extra target dir');
    assert.ok(fs.existsSync(path.join(tree, `odcs-${created.id}.repo`)));
    assert.ok(!fs.existsSync(path.join(stack.config.composeRoot, `odcs-${created.id}`)), 'nothing in the compose root');
    assert.equal(done.result_repofile, '');
  });

  test('/composes/ serves byte ranges (206, 416) and content types', async () => {
    const created = await create({ source: { type: 'tag', source: 'base', packages: ['data'] }, flags: ['no_reuse'] });
    const done = await waitForState(stack, created.id, ['done']);
    const whole = await fetch(done.result_repofile);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(whole.headers.get('accept-ranges'), 'bytes');
    const text = await whole.text();
    const size = Buffer.byteLength(text);
    assert.ok(size > 20);

    const part = await fetch(done.result_repofile, { headers: { Range: 'bytes=2-11' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 2-11/${size}`);
    assert.equal(part.headers.get('content-length'), '10');
    assert.equal(await part.text(), text.slice(2, 12));
    const tail = await fetch(done.result_repofile, { headers: { Range: 'bytes=-5' } });
    assert.equal(tail.status, 206);
    assert.equal(await tail.text(), text.slice(-5));
    const beyond = await fetch(done.result_repofile, { headers: { Range: `bytes=${size}-` } });
    assert.equal(beyond.status, 416);
    assert.equal(beyond.headers.get('content-range'), `bytes */${size}`);
    await beyond.arrayBuffer();

    const os = `${done.result_repo}/x86_64/os`;
    const typeOf = async (url: string) => {
      const res = await fetch(url);
      assert.equal(res.status, 200, url);
      await res.arrayBuffer();
      return res.headers.get('content-type');
    };
    assert.equal(await typeOf(`${os}/repodata/repomd.xml`), 'application/xml');
    const rpm = execFileSync('find', ['.', '-name', '*.rpm'], { cwd: path.join(stack.config.composeRoot, `odcs-${created.id}`, 'compose', 'Temporary', 'x86_64', 'os'), encoding: 'utf8' }).trim().split('\n')[0];
    assert.equal(await typeOf(`${os}/${rpm.replace(/^\.\//, '')}`), 'application/x-rpm');
    assert.match((await typeOf(`${os}/`)) ?? '', /^text\/html/);
  });
});

describe('generation slots', () => {
  let slots: Stack;
  before(async () => {
    // Two slots; each generation pauses 3 s mid-way, so that concurrent generations overlap.
    slots = await startStack({
      env: { REPO_ROOTS: repos, GENERATE_TEST_PAUSE_MS: '3000' },
      settings: { num_concurrent_pungi: 2, tags: { base: { repos: [path.join(repos, 'base')] } } },
    });
  });
  after(async () => {
    await slots?.stop();
  });

  test('no more than num_concurrent_pungi composes generate at once; the others wait for a slot', async (t) => {
    const ids: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await http(slots, 'POST', '/api/1/composes/', { source: { type: 'tag', source: 'base', packages: ['data'] }, flags: ['no_reuse'] });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      ids.push(res.body.id);
    }
    // A generation works in a temporary directory of the compose root from its start to its end.
    let most = 0;
    const settled = Promise.all(ids.map((id) => waitForState(slots, id, ['done', 'failed'], 120_000)));
    let finished = false;
    void settled.finally(() => (finished = true)).catch(() => undefined);
    while (!finished) {
      const names = fs.existsSync(slots.config.composeRoot) ? fs.readdirSync(slots.config.composeRoot) : [];
      most = Math.max(most, names.filter((n) => n.startsWith('.tmp-odcs-')).length);
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const c of await settled) assert.equal(c.state_name, 'done', c.state_reason);
    t.diagnostic(`at most ${most} generations at once`);
    assert.ok(most >= 1, 'generations were seen');
    assert.ok(most <= 2, `${most} generations ran at once with num_concurrent_pungi 2`);
  });
});
