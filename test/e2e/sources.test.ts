// `build` composes (NVRs looked up in the configured tags) and `sigkeys` (only RPMs signed by an
// accepted key), with RPMs signed by a throwaway GPG key.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildRepo, createRepoMetadata, createSigningKey, signRpms, type SigningKey } from '../../scripts/rpm-fixtures.js';
import { rpmsInCompose } from '../harness/compose-tree.js';
import { http, startStack, testTmpDir, waitForState, type Stack } from '../harness/stack.js';

let stack: Stack;
let key: SigningKey;

const rpmsIn = (id: number) => rpmsInCompose(stack.config.composeRoot, id);

async function compose(body: unknown): Promise<any> {
  const res = await http(stack, 'POST', '/api/1/composes/', body);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return waitForState(stack, res.body.id, ['done', 'failed']);
}

before(async () => {
  const tmp = testTmpDir('sources');
  const repo = path.join(tmp, 'repos', 'f40');
  // Two builds (toolset) making "tool" and "tool-libs", one (libset) making "lib"; only lib is signed.
  await buildRepo(repo, [{ name: 'tool', version: '1.0', requires: ['tool-libs'] }, { name: 'tool-libs', version: '1.0' }], {
    createrepo: false,
    build: { name: 'toolset', version: '1.0', release: '1' },
  });
  await buildRepo(repo, [{ name: 'tool', version: '2.0' }, { name: 'tool-libs', version: '2.0' }], {
    createrepo: false,
    build: { name: 'toolset', version: '2.0', release: '1' },
  });
  const signed = await buildRepo(repo, [{ name: 'lib', version: '1.0' }], { createrepo: false, build: { name: 'libset', version: '1.0', release: '1' } });
  key = await createSigningKey(tmp);
  await signRpms(signed, key);
  await createRepoMetadata(repo);
  stack = await startStack({
    env: { REPO_ROOTS: path.join(tmp, 'repos') },
    settings: {
      allowed_source_types: ['tag', 'build', 'repo', 'pulp'],
      tags: { f40: { repos: [repo] } },
      pulp_content_sets: {
        'rhel-8-for-x86_64-baseos-rpms': [{ url: 'http://pulp.example/content/dist/rhel8/x86_64/baseos/os', arches: ['x86_64'] }],
        'rhel-8-for-x86_64-appstream-rpms': [{ url: 'http://pulp.example/content/dist/rhel8/$basearch/appstream/os' }],
        'rhel-8-beta-rpms': [{ url: 'http://pulp.example/beta/os', published: false }],
        'rhel-8-for-s390x-rpms': [{ url: 'http://pulp.example/s390x/os', arches: ['s390x'] }],
      },
    },
  });
});

after(async () => {
  await stack?.stop();
});

test('a build compose takes the binary RPMs of the named builds only', async () => {
  const done = await compose({ source: { type: 'build', builds: ['toolset-1.0-1'] }, flags: ['no_reuse'] });
  assert.equal(done.state_name, 'done', done.state_reason);
  assert.deepEqual(rpmsIn(done.id), ['tool-1.0-1.noarch.rpm', 'tool-libs-1.0-1.noarch.rpm'], 'the older build, not the newest packages of the tag');
  const picked = await compose({ source: { type: 'build', builds: ['toolset-2.0-1', 'libset-1.0-1'], packages: ['lib'] }, flags: ['no_reuse'] });
  assert.deepEqual(rpmsIn(picked.id), ['lib-1.0-1.noarch.rpm']);
});

test('an unknown build fails the compose naming it', async () => {
  const failed = await compose({ source: { type: 'build', builds: ['toolset-1.0-1', 'ghost-9-9'] } });
  assert.equal(failed.state_name, 'failed');
  assert.match(failed.state_reason, /The following builds are not present in the configured tags: ghost-9-9\./);
});

test('sigkeys: signed by an accepted key passes; an unsigned package fails with its name', async () => {
  const shortId = key.keyId.slice(-8).toUpperCase();
  const ok = await compose({ source: { type: 'tag', source: 'f40', packages: ['lib'], sigkeys: [shortId] }, flags: ['no_reuse'] });
  assert.equal(ok.state_name, 'done', ok.state_reason);
  const bad = await compose({ source: { type: 'tag', source: 'f40', packages: ['lib', 'tool'], sigkeys: [shortId] }, flags: ['no_reuse'] });
  assert.equal(bad.state_name, 'failed');
  assert.match(bad.state_reason, new RegExp(`not signed with any of the keys ${shortId}: tool\\.`));
  const unsignedAllowed = await compose({ source: { type: 'tag', source: 'f40', packages: ['lib', 'tool'], sigkeys: ['', shortId] }, flags: ['no_reuse'] });
  assert.equal(unsignedAllowed.state_name, 'done', unsignedAllowed.state_reason);
});

test('pulp: only a .repo file with one section per content set', async () => {
  const done = await compose({ source: { type: 'pulp', source: 'rhel-8-for-x86_64-baseos-rpms rhel-8-for-x86_64-appstream-rpms' } });
  assert.equal(done.state_name, 'done', done.state_reason);
  const text = await (await fetch(done.result_repofile)).text();
  assert.equal(
    text,
    '[rhel-8-for-x86_64-appstream-rpms]\nname=rhel-8-for-x86_64-appstream-rpms\nbaseurl=http://pulp.example/content/dist/rhel8/$basearch/appstream/os\nenabled=1\ngpgcheck=0\n\n' +
      '[rhel-8-for-x86_64-baseos-rpms]\nname=rhel-8-for-x86_64-baseos-rpms\nbaseurl=http://pulp.example/content/dist/rhel8/x86_64/baseos/os\nenabled=1\ngpgcheck=0\n',
  );
  const tree = fs.readdirSync(path.join(stack.config.composeRoot, `odcs-${done.id}`, 'compose', 'Temporary'));
  assert.deepEqual(tree, [`odcs-${done.id}.repo`], 'nothing but the .repo file');
});

test('pulp: absent and unpublished content sets, and the flags that change that', async () => {
  const missing = await compose({ source: { type: 'pulp', source: 'rhel-8-for-x86_64-baseos-rpms no-such-cs' } });
  assert.equal(missing.state_name, 'failed');
  assert.match(missing.state_reason, /Failed to find Pulp repositories for content sets: no-such-cs\./);
  const ignored = await compose({ source: { type: 'pulp', source: 'rhel-8-for-x86_64-baseos-rpms no-such-cs' }, flags: ['ignore_absent_pulp_repos'] });
  assert.equal(ignored.state_name, 'done');
  assert.equal(ignored.source, 'rhel-8-for-x86_64-baseos-rpms', 'the source becomes what was found');
  const unpublished = await compose({ source: { type: 'pulp', source: 'rhel-8-beta-rpms' } });
  assert.equal(unpublished.state_name, 'failed');
  const included = await compose({ source: { type: 'pulp', source: 'rhel-8-beta-rpms' }, flags: ['include_unpublished_pulp_repos'] });
  assert.equal(included.state_name, 'done');
  const compatible = await compose({
    source: { type: 'pulp', source: 'rhel-8-for-x86_64-baseos-rpms rhel-8-for-s390x-rpms' },
    flags: ['use_only_compatible_arch', 'ignore_absent_pulp_repos'],
  });
  assert.equal(compatible.source, 'rhel-8-for-x86_64-baseos-rpms', 'the s390x-only content set is not compatible with x86_64');
  assert.match(await (await fetch(compatible.result_repofile)).text(), /skip_if_unavailable=1/);
});
