// Tag composes from a Koji hub's tag repository (getRepo): the compose depsolves against the repo's
// metadata and downloads only the closure's RPMs, from the signed copies when it has sigkeys, into a
// cache later composes share. Whole stack against the fake hub (real RPMs, real signatures).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { clearRepoCache, readRepo } from '../../activities/generate/repodata.js';
import { fileDigest } from '../../activities/generate/digest.js';
import { signingKeys } from '../../activities/generate/signatures.js';
import { createSigningKey, type SigningKey } from '../../scripts/rpm-fixtures.js';
import { FakeKoji } from '../fixtures/fake-koji.js';
import { repoclosure, rpmsInCompose } from '../harness/compose-tree.js';
import { http, startStack, testTmpDir, waitForState, type Stack } from '../harness/stack.js';

const execFileAsync = promisify(execFile);
let stack: Stack;
let koji: FakeKoji;
let keyA: SigningKey;
let keyB: SigningKey;
let repoId: number;
const FILLERS = 30;

const rpmsIn = (id: number) => rpmsInCompose(stack.config.composeRoot, id);
const osDir = (id: number, arch = 'x86_64') => path.join(stack.config.composeRoot, `odcs-${id}`, 'compose', 'Temporary', arch, 'os');
const short = (k: SigningKey) => k.keyId.slice(-8);

async function compose(body: unknown): Promise<any> {
  const res = await http(stack, 'POST', '/api/1/composes/', body);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return waitForState(stack, res.body.id, ['done', 'failed']);
}

/** RPM downloads from the topurl (not metadata) since the log was cleared. */
const rpmRequests = () => koji.fileRequests.filter((f) => f.endsWith('.rpm')).sort();

/** Every package in the compose's metadata is its file: size and checksum. */
async function metadataMatchesFiles(id: number, arch = 'x86_64'): Promise<void> {
  clearRepoCache();
  const repo = await readRepo(osDir(id, arch));
  assert.ok(repo.packages.length > 0);
  for (const p of repo.packages) {
    assert.equal(fs.statSync(p.location).size, p.size, `${p.href}: size`);
    assert.equal(await fileDigest(p.location, p.checksumType ?? 'sha256'), p.pkgid, `${p.href}: checksum`);
  }
}

before(async () => {
  const tmp = testTmpDir('koji-closure');
  koji = await FakeKoji.start(path.join(tmp, 'hub'));
  [keyA, keyB] = await Promise.all([createSigningKey(path.join(tmp, 'a'), 'key A'), createSigningKey(path.join(tmp, 'b'), 'key B')]);
  await koji.importBuild({ name: 'base', version: '1', release: '1' }, [{ name: 'base-data' }]);
  await koji.importBuild({ name: 'hello', version: '2.0', release: '1' }, [
    { name: 'hello-cli', version: '2.0', requires: ['hello-libs >= 2.0', 'base-data'], files: ['/usr/bin/hello'] },
    { name: 'hello-libs', version: '2.0', arch: 'x86_64' },
    { name: 'hello-libs', version: '2.0', arch: 'aarch64' },
  ]);
  // A large tag around a small closure: nothing of this may be downloaded.
  await koji.importBuild(
    { name: 'filler', version: '1', release: '1' },
    Array.from({ length: FILLERS }, (_, i) => ({ name: `filler-${i}`, requires: i ? [`filler-${i - 1}`] : [] })),
  );
  koji.createTag('base');
  koji.createTag('f40', { parents: ['base'], arches: 'x86_64 aarch64' });
  koji.tagBuild('base', 'base-1-1');
  koji.tagBuild('f40', 'hello-2.0-1');
  koji.tagBuild('f40', 'filler-1-1');
  await koji.signBuild('hello-2.0-1', keyA);
  await koji.signBuild('hello-2.0-1', keyB);
  await koji.signBuild('base-1-1', keyB);
  repoId = await koji.newRepo('f40');
  stack = await startStack({
    settings: { allowed_arches: ['x86_64', 'aarch64'], tag_source: 'koji', koji_hub_url: koji.hubUrl, koji_topurl: koji.topurl, koji_timeout: 5, koji_retries: 1, koji_retry_delay: 0.05 },
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

describe('Koji tag repository: closure only', () => {
  test('depsolves against the repo metadata and downloads only the closure; repoclosure passes', async () => {
    const done = await compose({ source: { type: 'tag', source: 'f40', packages: ['hello-cli'] }, flags: ['no_reuse'] });
    assert.equal(done.state_name, 'done', done.state_reason);
    assert.deepEqual(rpmsIn(done.id), ['base-data-1.0-1.noarch.rpm', 'hello-cli-2.0-1.noarch.rpm', 'hello-libs-2.0-1.x86_64.rpm']);
    assert.deepEqual(rpmRequests(), [
      'packages/base/1/1/noarch/base-data-1.0-1.noarch.rpm',
      'packages/hello/2.0/1/noarch/hello-cli-2.0-1.noarch.rpm',
      'packages/hello/2.0/1/x86_64/hello-libs-2.0-1.x86_64.rpm',
    ], 'the three RPMs of the closure, once each, and none of the tag\'s other packages');
    assert.ok(koji.fileRequests.some((f) => f === `repos/f40/${repoId}/x86_64/repodata/repomd.xml`), 'the repo metadata was read');
    assert.equal(koji.callsOf('getRepo'), 1);
    assert.equal(koji.callsOf('listTaggedRPMS'), 0, 'the tag is not listed, let alone mirrored');
    assert.ok(!fs.existsSync(path.join(stack.dataDir, 'koji-cache', 'mirrors')));
    await metadataMatchesFiles(done.id);
    const closure = await repoclosure(`${done.result_repo}/x86_64/os`);
    assert.ok(closure.ok, closure.output);
  });

  test('a second compose shares the download cache and the repo metadata', async () => {
    const done = await compose({ source: { type: 'tag', source: 'f40', packages: ['hello-libs', 'filler-2'] }, flags: ['no_reuse'] });
    assert.equal(done.state_name, 'done', done.state_reason);
    assert.deepEqual(rpmsIn(done.id), ['filler-0-1.0-1.noarch.rpm', 'filler-1-1.0-1.noarch.rpm', 'filler-2-1.0-1.noarch.rpm', 'hello-libs-2.0-1.x86_64.rpm']);
    assert.deepEqual(rpmRequests(), [
      'packages/filler/1/1/noarch/filler-0-1.0-1.noarch.rpm',
      'packages/filler/1/1/noarch/filler-1-1.0-1.noarch.rpm',
      'packages/filler/1/1/noarch/filler-2-1.0-1.noarch.rpm',
    ], 'hello-libs comes from the cache');
    assert.deepEqual(koji.fileRequests.filter((f) => f.startsWith('repos/')), [], 'the repo metadata is fetched once');
    await metadataMatchesFiles(done.id);
  });

  test('several arches: the arches\' repo metadata merged into one source, one tree per arch', async () => {
    const done = await compose({ source: { type: 'tag', source: 'f40', packages: ['hello-cli'] }, arches: ['x86_64', 'aarch64'], flags: ['no_reuse'] });
    assert.equal(done.state_name, 'done', done.state_reason);
    assert.deepEqual(rpmsInCompose(stack.config.composeRoot, done.id, 'aarch64'), ['base-data-1.0-1.noarch.rpm', 'hello-cli-2.0-1.noarch.rpm', 'hello-libs-2.0-1.aarch64.rpm']);
    assert.deepEqual(rpmsIn(done.id), ['base-data-1.0-1.noarch.rpm', 'hello-cli-2.0-1.noarch.rpm', 'hello-libs-2.0-1.x86_64.rpm']);
    assert.deepEqual(rpmRequests(), ['packages/hello/2.0/1/aarch64/hello-libs-2.0-1.aarch64.rpm'], 'the rest is in the cache already');
    assert.deepEqual(koji.fileRequests.filter((f) => f.endsWith('repomd.xml')), [`repos/f40/${repoId}/aarch64/repodata/repomd.xml`]);
    assert.equal(koji.callsOf('listTaggedRPMS'), 0);
    const merged = await readRepo(path.join(stack.dataDir, 'koji-cache', 'repos', 'f40', String(repoId), 'aarch64+x86_64'));
    const nvras = merged.packages.map((p) => `${p.name}.${p.arch}`);
    assert.equal(nvras.length, new Set(nvras).size, 'noarch packages of both arches once');
    assert.ok(nvras.includes('hello-libs.aarch64') && nvras.includes('hello-libs.x86_64') && nvras.includes('filler-0.noarch'));
    await metadataMatchesFiles(done.id);
    await metadataMatchesFiles(done.id, 'aarch64');
  });
});

describe('Koji tag repository: sigkeys', () => {
  test('signed copies by key order; the derived metadata describes the signed files as createrepo_c does', async () => {
    const done = await compose({ source: { type: 'tag', source: 'f40', packages: ['hello-cli'], sigkeys: [short(keyA), short(keyB)] }, flags: ['no_reuse'] });
    assert.equal(done.state_name, 'done', done.state_reason);
    const signedRequests = koji.fileRequests.filter((f) => f.endsWith('.rpm'));
    assert.deepEqual(signedRequests.filter((f) => f.includes('base-data')), [
      `packages/base/1/1/data/signed/${short(keyA)}/noarch/base-data-1.0-1.noarch.rpm`,
      `packages/base/1/1/data/signed/${short(keyB)}/noarch/base-data-1.0-1.noarch.rpm`,
    ], 'key A first; base has no A copy (404), so B\'s');
    assert.deepEqual(signedRequests.filter((f) => !f.includes('base-data')).sort(), [
      `packages/hello/2.0/1/data/signed/${short(keyA)}/noarch/hello-cli-2.0-1.noarch.rpm`,
      `packages/hello/2.0/1/data/signed/${short(keyA)}/x86_64/hello-libs-2.0-1.x86_64.rpm`,
    ]);
    const files = fs.readdirSync(osDir(done.id), { recursive: true }).map(String).filter((f) => f.endsWith('.rpm')).map((f) => path.join(osDir(done.id), f));
    const keys = await signingKeys(files);
    const byName = Object.fromEntries([...keys].map(([f, k]) => [path.basename(f), k]));
    assert.deepEqual(byName, {
      'base-data-1.0-1.noarch.rpm': keyB.keyId,
      'hello-cli-2.0-1.noarch.rpm': keyA.keyId,
      'hello-libs-2.0-1.x86_64.rpm': keyA.keyId,
    });
    const pgp = await execFileAsync('rpm', ['-qp', '--nosignature', '--qf', '%{RSAHEADER:pgpsig}\n', ...files.sort()]);
    assert.match(pgp.stdout, new RegExp(`Key ID ${keyA.keyId}`), 'rpm itself reads the signature');
    await metadataMatchesFiles(done.id);
    const closure = await repoclosure(`${done.result_repo}/x86_64/os`);
    assert.ok(closure.ok, closure.output);

    // createrepo_c over the same files: the same checksum, size and header range per package.
    const copy = testTmpDir('createrepo-signed');
    for (const f of files) fs.linkSync(f, path.join(copy, path.basename(f)));
    await execFileAsync('createrepo_c', ['--quiet', '--no-database', copy]);
    const primary = async (dir: string) => {
      const { stdout } = await execFileAsync('sh', ['-c', `zcat "${dir}"/repodata/*-primary.xml.gz`]);
      return Object.fromEntries(
        stdout.split('<package ').slice(1).map((pkg) => {
          const name = /<location href="[^"]*?([^/"]+\.rpm)"/.exec(pkg)![1];
          const pick = (re: RegExp) => re.exec(pkg)?.[0].replace(/ href="[^"]*"/, '');
          return [name, [pick(/<checksum[^>]*>[^<]*<\/checksum>/), pick(/<size [^>]*\/>/), pick(/<rpm:header-range [^>]*\/>/)]];
        }),
      );
    };
    assert.deepEqual(await primary(osDir(done.id)), await primary(copy));
  });

  test('a key list in the other order takes the other copies (a long key id finds Koji\'s short-id directory)', async () => {
    const done = await compose({ source: { type: 'tag', source: 'f40', packages: ['hello-libs'], sigkeys: [keyB.keyId, short(keyA)] }, flags: ['no_reuse'] });
    assert.equal(done.state_name, 'done', done.state_reason);
    assert.deepEqual(rpmRequests(), [`packages/hello/2.0/1/data/signed/${short(keyB)}/x86_64/hello-libs-2.0-1.x86_64.rpm`]);
    const keys = await signingKeys([path.join(osDir(done.id), 'Packages', 'h', 'hello-libs-2.0-1.x86_64.rpm')]);
    assert.deepEqual([...keys.values()], [keyB.keyId]);
    await metadataMatchesFiles(done.id);
  });

  test('a package under none of the keys fails the compose naming it and the keys; "" allows the unsigned copy', async () => {
    const failed = await compose({ source: { type: 'tag', source: 'f40', packages: ['hello-cli'], sigkeys: [short(keyA)] }, flags: ['no_reuse'] });
    assert.equal(failed.state_name, 'failed');
    assert.equal(
      failed.state_reason,
      `Error while generating compose: The following packages are not available in Koji signed with any of the keys ${short(keyA)}: base-data-1.0-1.noarch.rpm.`,
    );
    const unsignedOk = await compose({ source: { type: 'tag', source: 'f40', packages: ['hello-cli'], sigkeys: [short(keyA), ''] }, flags: ['no_reuse'] });
    assert.equal(unsignedOk.state_name, 'done', unsignedOk.state_reason);
    const files = rpmsIn(unsignedOk.id).map((f) => path.join(osDir(unsignedOk.id), 'Packages', f[0], f));
    const keys = Object.fromEntries([...(await signingKeys(files))].map(([f, k]) => [path.basename(f), k]));
    assert.deepEqual(keys, { 'base-data-1.0-1.noarch.rpm': null, 'hello-cli-2.0-1.noarch.rpm': keyA.keyId, 'hello-libs-2.0-1.x86_64.rpm': keyA.keyId });
    await metadataMatchesFiles(unsignedOk.id);
    const closure = await repoclosure(`${unsignedOk.result_repo}/x86_64/os`);
    assert.ok(closure.ok, closure.output);
  });
});

describe('Koji tag repository: when it does not fit', () => {
  test('a tag changed since its last repo is mirrored as before (the repo would be stale)', async () => {
    await koji.importBuild({ name: 'late', version: '1', release: '1' }, [{ name: 'late-data' }]);
    koji.tagBuild('f40', 'late-1-1');
    const done = await compose({ source: { type: 'tag', source: 'f40', packages: ['late-data'] }, flags: ['no_reuse'] });
    assert.equal(done.state_name, 'done', done.state_reason);
    assert.deepEqual(rpmsIn(done.id), ['late-data-1.0-1.noarch.rpm']);
    assert.equal(koji.callsOf('listTaggedRPMS'), 1);
    assert.ok(fs.existsSync(path.join(stack.dataDir, 'koji-cache', 'mirrors')));
    // Once Koji has regenerated the repo, composes use it again.
    const newer = await koji.newRepo('f40');
    koji.fileRequests.length = 0;
    const again = await compose({ source: { type: 'tag', source: 'f40', packages: ['late-data', 'hello-libs'] }, flags: ['no_reuse'] });
    assert.equal(again.state_name, 'done', again.state_reason);
    assert.ok(koji.fileRequests.includes(`repos/f40/${newer}/x86_64/repodata/repomd.xml`));
  });
});
