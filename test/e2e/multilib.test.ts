// multilib_arches / multilib_method over the whole stack: the request's fields reach the generator
// and change the x86_64 tree (i686 libraries added by the runtime method); without them, or with
// "none", the tree is native only. Reuse tells the two apart.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildRepo } from '../../scripts/rpm-fixtures.js';
import { repoclosure } from '../harness/compose-tree.js';
import { http, startStack, testTmpDir, waitForState, type Stack } from '../harness/stack.js';

let stack: Stack;

async function compose(body: unknown): Promise<any> {
  const res = await http(stack, 'POST', '/api/1/composes/', body);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const done = await waitForState(stack, res.body.id, ['done', 'failed']);
  assert.equal(done.state_name, 'done', done.state_reason);
  return done;
}

const rpms = (id: number) =>
  execFileSync('find', [path.join(stack.config.composeRoot, `odcs-${id}`, 'compose', 'Temporary', 'x86_64', 'os'), '-name', '*.rpm', '-printf', '%f\n'], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .sort();

before(async () => {
  const repos = testTmpDir('repos');
  await buildRepo(path.join(repos, 'ml'), [
    { name: 'mlx-lib', arch: 'x86_64', files: ['/usr/lib64/libmlx.so.1'], provides: ['libmlx.so.1()(64bit)'] },
    { name: 'mlx-lib', arch: 'i686', files: ['/usr/lib/libmlx.so.1'], provides: ['libmlx.so.1'] },
    { name: 'mlx-app', arch: 'x86_64', requires: ['libmlx.so.1()(64bit)'], files: ['/usr/bin/mlx'] },
    { name: 'mlx-app', arch: 'i686', requires: ['libmlx.so.1'], files: ['/usr/bin/mlx'] },
  ]);
  stack = await startStack({ env: { REPO_ROOTS: repos }, settings: { tags: { ml: { repos: [path.join(repos, 'ml')] } } } });
});

after(async () => {
  await stack?.stop();
});

describe('multilib over the API', () => {
  test('runtime on x86_64 adds the i686 library; none and no multilib_arches do not; reuse tells them apart', async () => {
    const source = { type: 'tag', source: 'ml', packages: ['mlx-app'] };
    const native = await compose({ source });
    assert.deepEqual(rpms(native.id), ['mlx-app-1.0-1.x86_64.rpm', 'mlx-lib-1.0-1.x86_64.rpm']);
    const none = await compose({ source, multilib_arches: ['x86_64'], multilib_method: ['none'] });
    assert.deepEqual(rpms(none.id), ['mlx-app-1.0-1.x86_64.rpm', 'mlx-lib-1.0-1.x86_64.rpm']);
    const runtime = await compose({ source, multilib_arches: ['x86_64'], multilib_method: ['runtime'] });
    assert.equal(runtime.reused_id ?? null, null);
    assert.notEqual(runtime.pungi_compose_id, native.pungi_compose_id);
    assert.deepEqual(rpms(runtime.id), ['mlx-app-1.0-1.x86_64.rpm', 'mlx-lib-1.0-1.i686.rpm', 'mlx-lib-1.0-1.x86_64.rpm']);
    const closure = await repoclosure(`${runtime.result_repo}/x86_64/os`);
    assert.ok(closure.ok, closure.output);
  });
});
