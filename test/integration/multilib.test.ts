// Multilib as ODCS/Pungi apply it: x86_64 + i686 fixtures, each multilib_method, and dnf
// repoclosure of the result for both arches; several arches give one os/ tree each.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateCompose, type GenerateInput } from '../../activities/generate/index.js';
import { buildRepo, type FakeRpm } from '../../scripts/rpm-fixtures.js';

const both = (r: Omit<FakeRpm, 'arch'>, lib64: Partial<FakeRpm>, lib32: Partial<FakeRpm>): FakeRpm[] => [
  { ...r, arch: 'x86_64', ...lib64 },
  { ...r, arch: 'i686', ...lib32 },
];

const RPMS: FakeRpm[] = [
  ...both(
    { name: 'ml-lib', requires: ['ml-data'] },
    { files: ['/usr/lib64/libml.so.1'], provides: ['libml.so.1()(64bit)'] },
    { files: ['/usr/lib/libml.so.1'], provides: ['libml.so.1'], requires: ['ml-data', 'ml-compat-helper'] },
  ),
  ...both(
    { name: 'ml-lib-devel' },
    { files: ['/usr/include/ml64.h'], requires: ['libml.so.1()(64bit)'] },
    { files: ['/usr/include/ml32.h'], requires: ['libml.so.1'] },
  ),
  ...both({ name: 'ml-app' }, { files: ['/usr/bin/ml-app'], requires: ['libml.so.1()(64bit)'] }, { files: ['/usr/bin/ml-app32'], requires: ['libml.so.1'] }),
  ...both({ name: 'ml-plugin' }, { files: ['/usr/lib64/security/pam_ml.so'] }, { files: ['/usr/lib/security/pam_ml.so'] }),
  { name: 'ml-compat-helper', arch: 'i686', files: ['/usr/lib/ml-helper/helper.txt'] },
  { name: 'ml-data', files: ['/usr/share/ml/data.txt'] },
  { name: 'ml-unrelated', arch: 'i686' },
];

const NATIVE = ['ml-app-1.0-1.x86_64.rpm', 'ml-data-1.0-1.noarch.rpm', 'ml-lib-1.0-1.x86_64.rpm', 'ml-lib-devel-1.0-1.x86_64.rpm', 'ml-plugin-1.0-1.x86_64.rpm'];
const I686 = (...names: string[]) => names.map((n) => `${n}-1.0-1.i686.rpm`);

let work: string;
let source: string;
let target: string;
let nextId = 1;

function input(over: Partial<GenerateInput>): GenerateInput {
  const composeId = nextId++;
  return {
    composeId,
    targetDir: target,
    sourceRepos: [source],
    packages: ['ml-app', 'ml-lib-devel', 'ml-plugin'],
    arches: ['x86_64'],
    noDeps: false,
    checkDeps: true,
    resultRepoUrl: `http://localhost/composes/odcs-${composeId}/compose/Temporary`,
    ...over,
  };
}

const osTree = (id: number, arch = 'x86_64') => path.join(target, `odcs-${id}`, 'compose', 'Temporary', arch, 'os');

async function rpmsIn(tree: string): Promise<string[]> {
  const out: string[] = [];
  for (const letter of await readdir(path.join(tree, 'Packages'))) out.push(...(await readdir(path.join(tree, 'Packages', letter))));
  return out.sort();
}

function repoclosure(tree: string, forcearch: string, arches: string[]) {
  const args = [
    'repoclosure',
    '--setopt=reposdir=/dev/null',
    `--setopt=cachedir=${path.join(work, 'dnf-cache')}`,
    `--installroot=${path.join(work, 'dnf-root')}`,
    '--releasever=0',
    `--forcearch=${forcearch}`,
    `--repofrompath=c,${tree}`,
    '--repo=c',
    '--check=c',
    ...arches.map((a) => `--arch=${a}`),
  ];
  const r = spawnSync('dnf', args, { encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}\n${r.stderr}` };
}

function assertClosed(tree: string) {
  for (const arches of [['x86_64', 'noarch'], ['i686', 'noarch']]) {
    const rc = repoclosure(tree, 'x86_64', arches);
    assert.equal(rc.status, 0, `${arches.join(',')}: ${rc.output}`);
  }
}

before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'odcs-multilib-test-'));
  source = path.join(work, 'source');
  target = path.join(work, 'composes');
  await buildRepo(source, RPMS);
});

after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('multilib', () => {
  it('none (or no multilib_arches) gives the native tree only', async () => {
    for (const over of [{ multilibArches: ['x86_64'], multilibMethods: ['none'] }, { multilibArches: [], multilibMethods: ['all'] }, {}]) {
      const inp = input(over);
      await generateCompose(inp);
      assert.deepEqual(await rpmsIn(osTree(inp.composeId)), NATIVE);
    }
  });

  it('runtime adds the i686 libraries and plug-ins (and their i686 dependencies), not binaries or devel', async () => {
    const inp = input({ multilibArches: ['x86_64'], multilibMethods: ['runtime'] });
    const result = await generateCompose(inp);
    const want = [...NATIVE, ...I686('ml-compat-helper', 'ml-lib', 'ml-plugin')].sort();
    assert.deepEqual(await rpmsIn(osTree(inp.composeId)), want);
    assert.equal(result.packages, want.length);
    assertClosed(osTree(inp.composeId));
  });

  it('devel adds the i686 -devel packages, which bring their i686 libraries', async () => {
    const inp = input({ multilibArches: ['x86_64'], multilibMethods: ['devel'] });
    await generateCompose(inp);
    assert.deepEqual(await rpmsIn(osTree(inp.composeId)), [...NATIVE, ...I686('ml-compat-helper', 'ml-lib', 'ml-lib-devel')].sort());
    assertClosed(osTree(inp.composeId));
  });

  it('runtime + devel is the union', async () => {
    const inp = input({ multilibArches: ['x86_64'], multilibMethods: ['runtime', 'devel'] });
    await generateCompose(inp);
    assert.deepEqual(await rpmsIn(osTree(inp.composeId)), [...NATIVE, ...I686('ml-compat-helper', 'ml-lib', 'ml-lib-devel', 'ml-plugin')].sort());
    assertClosed(osTree(inp.composeId));
  });

  it('all adds the i686 build of every native package in the tree, and nothing unrelated', async () => {
    const inp = input({ multilibArches: ['x86_64'], multilibMethods: ['all'] });
    await generateCompose(inp);
    assert.deepEqual(await rpmsIn(osTree(inp.composeId)), [...NATIVE, ...I686('ml-app', 'ml-compat-helper', 'ml-lib', 'ml-lib-devel', 'ml-plugin')].sort());
    assertClosed(osTree(inp.composeId));
  });

  it('several arches give one os/ tree each; multilib only where asked', async () => {
    const inp = input({ arches: ['x86_64', 'i686'], multilibArches: ['x86_64'], multilibMethods: ['runtime'] });
    const result = await generateCompose(inp);
    assert.deepEqual(result.arches, ['x86_64', 'i686']);
    assert.deepEqual(await rpmsIn(osTree(inp.composeId, 'x86_64')), [...NATIVE, ...I686('ml-compat-helper', 'ml-lib', 'ml-plugin')].sort());
    const i686 = await rpmsIn(osTree(inp.composeId, 'i686'));
    assert.deepEqual(i686, ['ml-data-1.0-1.noarch.rpm', ...I686('ml-app', 'ml-compat-helper', 'ml-lib', 'ml-lib-devel', 'ml-plugin')].sort());
    const rc = repoclosure(osTree(inp.composeId, 'i686'), 'i686', []);
    assert.equal(rc.status, 0, rc.output);
    assertClosed(osTree(inp.composeId, 'x86_64'));
  });
});
