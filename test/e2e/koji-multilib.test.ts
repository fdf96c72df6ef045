// Multilib from a Koji tag's repository: with multilib_arches, the tag repo's metadata is read for
// the compatible arch too (Koji's i386/ directory for i686 RPMs), multilib_method picks the i686
// packages as for a local repository, and only the closure's RPMs of each arch are fetched. Whole
// stack against the fake hub (real x86_64 and i686 RPMs); dnf repoclosure checks both arches.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { clearRepoCache, readRepo } from '../../activities/generate/repodata.js';
import { fileDigest } from '../../activities/generate/digest.js';
import type { FakeRpm } from '../../scripts/rpm-fixtures.js';
import { FakeKoji } from '../fixtures/fake-koji.js';
import { repoclosure, rpmsInCompose } from '../harness/compose-tree.js';
import { http, startStack, testTmpDir, waitForState, type Stack } from '../harness/stack.js';

let stack: Stack;
let koji: FakeKoji;
let repoId: number;

const both = (name: string, x86_64: Partial<FakeRpm>, i686: Partial<FakeRpm>): FakeRpm[] => [
  { name, arch: 'x86_64', ...x86_64 },
  { name, arch: 'i686', ...i686 },
];

async function compose(body: unknown): Promise<any> {
  const res = await http(stack, 'POST', '/api/1/composes/', body);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return waitForState(stack, res.body.id, ['done', 'failed']);
}

const rpmsIn = (id: number, arch = 'x86_64') => rpmsInCompose(stack.config.composeRoot, id, arch);
const rpmRequests = () => koji.fileRequests.filter((f) => f.endsWith('.rpm')).sort();
const repomdRequests = () => koji.fileRequests.filter((f) => f.endsWith('repomd.xml')).sort();

/** Every package in the tree's metadata is its file: size and checksum. */
async function metadataMatchesFiles(id: number, arch = 'x86_64'): Promise<void> {
  clearRepoCache();
  const repo = await readRepo(path.join(stack.config.composeRoot, `odcs-${id}`, 'compose', 'Temporary', arch, 'os'));
  assert.ok(repo.packages.length > 0);
  for (const p of repo.packages) {
    assert.equal(fs.statSync(p.location).size, p.size, `${p.href}: size`);
    assert.equal(await fileDigest(p.location, p.checksumType ?? 'sha256'), p.pkgid, `${p.href}: checksum`);
  }
}

async function assertClosed(url: string, archSets: string[][]): Promise<void> {
  for (const arches of archSets) {
    const closure = await repoclosure(url, arches);
    assert.ok(closure.ok, `${arches.join(',')}: ${closure.output}`);
  }
}

before(async () => {
  const tmp = testTmpDir('koji-multilib');
  koji = await FakeKoji.start(path.join(tmp, 'hub'));
  await koji.importBuild({ name: 'ml', version: '1', release: '1' }, [
    ...both(
      'ml-lib',
      { files: ['/usr/lib64/libml.so.1'], provides: ['libml.so.1()(64bit)'], requires: ['ml-data'] },
      { files: ['/usr/lib/libml.so.1'], provides: ['libml.so.1'], requires: ['ml-data', 'ml-compat-helper'] },
    ),
    ...both('ml-app', { files: ['/usr/bin/ml-app'], requires: ['libml.so.1()(64bit)'] }, { files: ['/usr/bin/ml-app32'], requires: ['libml.so.1'] }),
    ...both('ml-lib-devel', { files: ['/usr/include/ml64.h'], requires: ['libml.so.1()(64bit)'] }, { files: ['/usr/include/ml32.h'], requires: ['libml.so.1'] }),
    { name: 'ml-compat-helper', arch: 'i686', files: ['/usr/lib/ml-helper/helper.txt'] },
    { name: 'ml-data', files: ['/usr/share/ml/data.txt'] },
  ]);
  // br-lib's i686 build needs a 32-bit library that the tag has only as an x86_64 build.
  await koji.importBuild({ name: 'br', version: '1', release: '1' }, [
    ...both(
      'br-lib',
      { files: ['/usr/lib64/libbr.so.1'], provides: ['libbr.so.1()(64bit)'], requires: ['libbrhelper.so.1()(64bit)'] },
      { files: ['/usr/lib/libbr.so.1'], provides: ['libbr.so.1'], requires: ['libbrhelper.so.1'] },
    ),
    { name: 'br-helper', arch: 'x86_64', files: ['/usr/lib64/libbrhelper.so.1'], provides: ['libbrhelper.so.1()(64bit)'] },
    { name: 'br-app', arch: 'x86_64', files: ['/usr/bin/br-app'], requires: ['libbr.so.1()(64bit)'] },
  ]);
  koji.createTag('f41', { arches: 'x86_64 i686' });
  koji.createTag('f41-native', { arches: 'x86_64' });
  koji.createTag('f41-norepo', { arches: 'x86_64 i686' });
  for (const tag of ['f41', 'f41-native', 'f41-norepo']) {
    koji.tagBuild(tag, 'ml-1-1');
    koji.tagBuild(tag, 'br-1-1');
  }
  repoId = await koji.newRepo('f41');
  await koji.newRepo('f41-native');
  stack = await startStack({
    settings: { allowed_arches: ['x86_64', 'i686'], tag_source: 'koji', koji_hub_url: koji.hubUrl, koji_topurl: koji.topurl, koji_timeout: 5, koji_retries: 1, koji_retry_delay: 0.05 },
  });
});

after(async () => {
  await stack?.stop();
  await koji?.close();
});

beforeEach(() => {
  koji.calls.length = 0;
  koji.fileRequests.length = 0;
});

const NATIVE = ['ml-app-1.0-1.x86_64.rpm', 'ml-data-1.0-1.noarch.rpm', 'ml-lib-1.0-1.x86_64.rpm'];

describe('Koji tag repository: multilib', () => {
  test('without multilib only the x86_64 metadata is read', async () => {
    const done = await compose({ source: { type: 'tag', source: 'f41', packages: ['ml-app'] }, flags: ['no_reuse'] });
    assert.equal(done.state_name, 'done', done.state_reason);
    assert.deepEqual(rpmsIn(done.id), NATIVE);
    assert.deepEqual(repomdRequests(), [`repos/f41/${repoId}/x86_64/repodata/repomd.xml`]);
  });

  test('runtime: the i386 metadata is read too, the i686 libraries and their i686 dependencies fetched; repoclosure passes for both arches', async () => {
    const done = await compose({
      source: { type: 'tag', source: 'f41', packages: ['ml-app'] },
      multilib_arches: ['x86_64'],
      multilib_method: ['runtime'],
      flags: ['no_reuse', 'check_deps'],
    });
    assert.equal(done.state_name, 'done', done.state_reason);
    assert.deepEqual(rpmsIn(done.id), [...NATIVE, 'ml-compat-helper-1.0-1.i686.rpm', 'ml-lib-1.0-1.i686.rpm'].sort());
    assert.deepEqual(repomdRequests(), [`repos/f41/${repoId}/i386/repodata/repomd.xml`], 'the x86_64 metadata is in the cache already');
    assert.deepEqual(rpmRequests(), [
      'packages/ml/1/1/i686/ml-compat-helper-1.0-1.i686.rpm',
      'packages/ml/1/1/i686/ml-lib-1.0-1.i686.rpm',
    ], 'only the closure\'s i686 RPMs (ml-app.i686 is not in it); the rest comes from the cache');
    assert.equal(koji.callsOf('listTaggedRPMS'), 0, 'the tag is not mirrored');
    await metadataMatchesFiles(done.id);
    await assertClosed(`${done.result_repo}/x86_64/os`, [['x86_64', 'noarch'], ['i686', 'noarch']]);
  });

  test('devel adds the i686 -devel package with its i686 library', async () => {
    const done = await compose({
      source: { type: 'tag', source: 'f41', packages: ['ml-app', 'ml-lib-devel'] },
      multilib_arches: ['x86_64'],
      multilib_method: ['devel'],
      flags: ['no_reuse', 'check_deps'],
    });
    assert.equal(done.state_name, 'done', done.state_reason);
    assert.deepEqual(
      rpmsIn(done.id),
      [...NATIVE, 'ml-lib-devel-1.0-1.x86_64.rpm', 'ml-compat-helper-1.0-1.i686.rpm', 'ml-lib-1.0-1.i686.rpm', 'ml-lib-devel-1.0-1.i686.rpm'].sort(),
    );
    await metadataMatchesFiles(done.id);
    await assertClosed(`${done.result_repo}/x86_64/os`, [['x86_64', 'noarch'], ['i686', 'noarch']]);
  });

  test('several arches: one os/ tree each, the i686 tree from Koji\'s i386 directory', async () => {
    const done = await compose({
      source: { type: 'tag', source: 'f41', packages: ['ml-app'] },
      arches: ['x86_64', 'i686'],
      multilib_arches: ['x86_64'],
      multilib_method: ['runtime'],
      flags: ['no_reuse', 'check_deps'],
    });
    assert.equal(done.state_name, 'done', done.state_reason);
    assert.deepEqual(rpmsIn(done.id), [...NATIVE, 'ml-compat-helper-1.0-1.i686.rpm', 'ml-lib-1.0-1.i686.rpm'].sort());
    assert.deepEqual(rpmsIn(done.id, 'i686'), ['ml-app-1.0-1.i686.rpm', 'ml-compat-helper-1.0-1.i686.rpm', 'ml-data-1.0-1.noarch.rpm', 'ml-lib-1.0-1.i686.rpm']);
    assert.deepEqual(rpmRequests(), ['packages/ml/1/1/i686/ml-app-1.0-1.i686.rpm']);
    await metadataMatchesFiles(done.id, 'i686');
    await assertClosed(`${done.result_repo}/x86_64/os`, [['x86_64', 'noarch'], ['i686', 'noarch']]);
    await assertClosed(`${done.result_repo}/i686/os`, [['i686', 'noarch']]);
  });

  test('an i686 library whose dependency has no i686 build fails the compose naming the package, its arch and the requirement', async () => {
    const failed = await compose({
      source: { type: 'tag', source: 'f41', packages: ['br-app'] },
      multilib_arches: ['x86_64'],
      multilib_method: ['runtime'],
      flags: ['no_reuse', 'check_deps'],
    });
    assert.equal(failed.state_name, 'failed');
    assert.equal(failed.state_reason, 'Error while generating compose: Unresolvable dependencies: br-lib.i686 requires libbrhelper.so.1');
    assert.deepEqual(rpmRequests(), [], 'nothing is fetched for a closure that cannot be made');
  });

  test('a tag without a Koji repo is mirrored with its i686 RPMs too', async () => {
    const done = await compose({
      source: { type: 'tag', source: 'f41-norepo', packages: ['ml-app'] },
      multilib_arches: ['x86_64'],
      multilib_method: ['runtime'],
      flags: ['no_reuse', 'check_deps'],
    });
    assert.equal(done.state_name, 'done', done.state_reason);
    assert.equal(koji.callsOf('listTaggedRPMS'), 1);
    assert.deepEqual(rpmsIn(done.id), [...NATIVE, 'ml-compat-helper-1.0-1.i686.rpm', 'ml-lib-1.0-1.i686.rpm'].sort());
    await assertClosed(`${done.result_repo}/x86_64/os`, [['x86_64', 'noarch'], ['i686', 'noarch']]);
  });

  test('a tag that builds no i686 gives the native tree (nothing to add) without reading a compatible arch', async () => {
    const done = await compose({
      source: { type: 'tag', source: 'f41-native', packages: ['ml-app'] },
      multilib_arches: ['x86_64'],
      multilib_method: ['runtime'],
      flags: ['no_reuse', 'check_deps'],
    });
    assert.equal(done.state_name, 'done', done.state_reason);
    assert.deepEqual(rpmsIn(done.id), NATIVE);
    assert.ok(repomdRequests().every((f) => f.endsWith('/x86_64/repodata/repomd.xml')), repomdRequests().join(' '));
    assert.equal(koji.callsOf('listTaggedRPMS'), 0);
  });
});
