// End-to-end: real rpmbuild + createrepo_c fixtures, the generator, and
// `dnf repoclosure` as the independent judge of the produced repos.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GenerationError, generateCompose, readRepoRevision, removeComposeTree, type GenerateInput } from '../../activities/generate/index.js';
import { buildRepo, type FakeRpm } from '../../scripts/rpm-fixtures.js';

const TAG: FakeRpm[] = [
  { name: 'fx-app', version: '1.2', requires: ['fx-lib >= 1.0', '/usr/bin/fx-tool', '(fx-helper-a or fx-helper-b)'] },
  { name: 'fx-lib', version: '1.1', arch: 'x86_64', requires: ['fx-data'], files: ['/usr/lib64/fx/lib.txt'] },
  { name: 'fx-lib', version: '1.1', arch: 'aarch64', requires: ['fx-data'], files: ['/usr/lib64/fx/lib.txt'] },
  { name: 'fx-data', version: '1.0', files: ['/usr/share/fx-data/data.txt'] },
  { name: 'fx-data', version: '0.9' },
  { name: 'fx-tool', version: '2.0', files: ['/usr/bin/fx-tool'] },
  { name: 'fx-helper-b', version: '1.0' },
  { name: 'fx-unrelated', version: '1.0' },
  { name: 'fx-armonly', version: '1.0', arch: 'aarch64' },
  { name: 'fx-needs-new', version: '1.0', requires: ['fx-lib >= 2.0'] },
  // /usr/share/... is not in primary.xml: exercises the filelists fallback.
  { name: 'fx-needs-file', version: '1.0', requires: ['/usr/share/fx-data/data.txt'] },
  { name: 'fx-uses-base', version: '1.0', requires: ['fx-base-virtual'] },
  { name: 'fx-epoch', version: '0.1', epoch: 1 },
];
const PARENT: FakeRpm[] = [
  { name: 'fx-data', version: '5.0' },
  { name: 'fx-inherited', version: '1.0' },
];
const LOOKASIDE: FakeRpm[] = [{ name: 'fx-base', version: '1.0', provides: ['fx-base-virtual = 1.0'] }];

const APP_CLOSURE = ['fx-app-1.2-1.noarch.rpm', 'fx-data-1.0-1.noarch.rpm', 'fx-helper-b-1.0-1.noarch.rpm', 'fx-lib-1.1-1.x86_64.rpm', 'fx-tool-2.0-1.noarch.rpm'];
const LOG_LINE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[(INFO|WARNING|ERROR) *\] /;

let work: string;
let tag: string;
let parent: string;
let lookaside: string;
let target: string;
let nextId = 100;

function repoclosure(repos: Record<string, string>, check: string, arch = 'x86_64') {
  const args = [
    'repoclosure',
    '--setopt=reposdir=/dev/null',
    `--setopt=cachedir=${path.join(work, 'dnf-cache')}`,
    `--installroot=${path.join(work, 'dnf-root')}`,
    '--releasever=0',
    `--forcearch=${arch}`,
    ...Object.entries(repos).map(([id, p]) => `--repofrompath=${id},${p}`),
    ...Object.keys(repos).map((id) => `--repo=${id}`),
    `--check=${check}`,
  ];
  const r = spawnSync('dnf', args, { encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}\n${r.stderr}`, command: `dnf ${args.join(' ')}` };
}

function input(over: Partial<GenerateInput> = {}): GenerateInput {
  const composeId = over.composeId ?? nextId++;
  return {
    composeId,
    targetDir: target,
    sourceRepos: [tag],
    packages: [],
    arches: ['x86_64'],
    noDeps: false,
    checkDeps: true,
    resultRepoUrl: `http://localhost:8080/composes/odcs-${composeId}/compose/Temporary`,
    ...over,
  };
}

const root = (id: number) => path.join(target, `odcs-${id}`);
const osTree = (id: number, arch = 'x86_64') => path.join(root(id), 'compose', 'Temporary', arch, 'os');

async function rpmsIn(id: number, arch = 'x86_64'): Promise<string[]> {
  const pkgs = path.join(osTree(id, arch), 'Packages');
  const out: string[] = [];
  for (const letter of await readdir(pkgs)) for (const f of await readdir(path.join(pkgs, letter))) out.push(f);
  return out.sort();
}

const exists = (p: string) => stat(p).then(() => true, () => false);
const readLog = (id: number) => readFile(path.join(root(id), 'logs', 'global', 'pungi.global.log'), 'utf8');

async function rejectsWith(p: Promise<unknown>, message: string | RegExp) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof GenerationError, `expected GenerationError, got ${e}`);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'odcs-generate-test-'));
  tag = path.join(work, 'repos', 'tag');
  parent = path.join(work, 'repos', 'parent');
  lookaside = path.join(work, 'repos', 'lookaside');
  target = path.join(work, 'composes');
  await Promise.all([buildRepo(tag, TAG), buildRepo(parent, PARENT), buildRepo(lookaside, LOOKASIDE)]);
});

after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('generateCompose', () => {
  it('produces exactly the closure, in the ODCS layout, and it passes repoclosure', async () => {
    const inp = input({ packages: ['fx-app'] });
    const result = await generateCompose(inp);
    const id = inp.composeId;
    assert.deepEqual(await rpmsIn(id), APP_CLOSURE);
    assert.equal(result.packages, 5);
    assert.deepEqual(result.arches, ['x86_64']);
    assert.ok(result.bytes > 0);
    assert.match(result.pungiComposeId, new RegExp(`^odcs-${id}-1-\\d{8}\\.t\\.0$`));
    assert.ok(await exists(path.join(osTree(id), 'Packages', 'f', 'fx-app-1.2-1.noarch.rpm')));
    assert.ok(await exists(path.join(osTree(id), 'repodata', 'repomd.xml')));
    // Same filesystem: hard links, not copies.
    assert.ok((await stat(path.join(osTree(id), 'Packages', 'f', 'fx-app-1.2-1.noarch.rpm'))).nlink > 1);
    assert.equal(
      await readFile(path.join(root(id), 'compose', 'Temporary', `odcs-${id}.repo`), 'utf8'),
      `[odcs-${id}]\nname=ODCS repository for compose odcs-${id}\nbaseurl=http://localhost:8080/composes/odcs-${id}/compose/Temporary/$basearch/os\n` +
        'type=rpm-md\nskip_if_unavailable=False\ngpgcheck=0\nrepo_gpgcheck=0\nenabled=1\nenabled_metadata=1\n',
    );
    const log = await readLog(id);
    for (const line of log.trim().split('\n')) assert.match(line, LOG_LINE);
    assert.doesNotMatch(log, /\[ERROR/);
    const rpms = JSON.parse(await readFile(path.join(root(id), 'compose', 'metadata', 'rpms.json'), 'utf8'));
    assert.equal(rpms.payload.compose.id, result.pungiComposeId);
    const rc = repoclosure({ c: osTree(id) }, 'c');
    assert.equal(rc.status, 0, rc.output);
    assert.match(await readRepoRevision(osTree(id)), /^\d+$/);
  });

  it('resolves a file require that only filelists.xml knows about', async () => {
    const inp = input({ packages: ['fx-needs-file'] });
    await generateCompose(inp);
    assert.deepEqual(await rpmsIn(inp.composeId), ['fx-data-1.0-1.noarch.rpm', 'fx-needs-file-1.0-1.noarch.rpm']);
    const rc = repoclosure({ c: osTree(inp.composeId) }, 'c');
    assert.equal(rc.status, 0, rc.output);
  });

  it('fails on missing requested packages with the exact message and keeps the logs', async () => {
    const inp = input({ packages: ['fx-app', 'fx-nope', 'fx-armonly'] });
    const msg = 'The following requested packages are not present in the generated compose: fx-armonly fx-nope.';
    await rejectsWith(generateCompose(inp), msg);
    const log = await readLog(inp.composeId);
    assert.match(log, /\[ERROR *\] The following requested packages are not present in the generated compose: fx-armonly fx-nope\.\n/);
    assert.deepEqual(JSON.parse(await readFile(path.join(root(inp.composeId), '.odcs-complete'), 'utf8')), { failed: msg });
    assert.equal(await exists(path.join(root(inp.composeId), 'compose')), false);
    // A retry replays the recorded failure.
    await rejectsWith(generateCompose(inp), msg);
  });

  it('check_deps fails naming the package and the unresolvable requirement', async () => {
    await rejectsWith(generateCompose(input({ packages: ['fx-needs-new'] })), 'Unresolvable dependencies: fx-needs-new requires fx-lib >= 2.0');
  });

  it('without check_deps the compose is made and the problem is logged as a warning', async () => {
    const inp = input({ packages: ['fx-needs-new'], checkDeps: false });
    await generateCompose(inp);
    assert.deepEqual(await rpmsIn(inp.composeId), ['fx-needs-new-1.0-1.noarch.rpm']);
    assert.match(await readLog(inp.composeId), /\[WARNING *\] .*fx-needs-new requires fx-lib >= 2\.0/);
    // repoclosure agrees that this repo is not closed.
    const rc = repoclosure({ c: osTree(inp.composeId) }, 'c');
    assert.notEqual(rc.status, 0);
    assert.match(rc.output, /fx-lib >= 2\.0/);
  });

  it('no_deps gives only the requested packages', async () => {
    const inp = input({ packages: ['fx-app', 'fx-unrelated'], noDeps: true, checkDeps: false });
    await generateCompose(inp);
    assert.deepEqual(await rpmsIn(inp.composeId), ['fx-app-1.2-1.noarch.rpm', 'fx-unrelated-1.0-1.noarch.rpm']);
  });

  it('an empty package list gives every package of the arch (latest, shadowed, no lookaside)', async () => {
    const inp = input({ sourceRepos: [tag, parent], lookasideRepos: [lookaside], checkDeps: false });
    const result = await generateCompose(inp);
    const want = [
      ...APP_CLOSURE,
      'fx-epoch-0.1-1.noarch.rpm',
      'fx-inherited-1.0-1.noarch.rpm',
      'fx-needs-file-1.0-1.noarch.rpm',
      'fx-needs-new-1.0-1.noarch.rpm',
      'fx-unrelated-1.0-1.noarch.rpm',
      'fx-uses-base-1.0-1.noarch.rpm',
    ].sort();
    assert.deepEqual(await rpmsIn(inp.composeId), want);
    assert.equal(result.packages, want.length);
  });

  it('an earlier source repo shadows a package name of a later one', async () => {
    const a = input({ sourceRepos: [tag, parent], packages: ['fx-data', 'fx-inherited'] });
    await generateCompose(a);
    assert.deepEqual(await rpmsIn(a.composeId), ['fx-data-1.0-1.noarch.rpm', 'fx-inherited-1.0-1.noarch.rpm']);
    const b = input({ sourceRepos: [parent, tag], packages: ['fx-data'] });
    await generateCompose(b);
    assert.deepEqual(await rpmsIn(b.composeId), ['fx-data-5.0-1.noarch.rpm']);
  });

  it('lookaside repos satisfy dependencies but are not copied', async () => {
    const inp = input({ packages: ['fx-uses-base'], lookasideRepos: [lookaside] });
    await generateCompose(inp);
    assert.deepEqual(await rpmsIn(inp.composeId), ['fx-uses-base-1.0-1.noarch.rpm']);
    const rc = repoclosure({ c: osTree(inp.composeId), l: lookaside }, 'c');
    assert.equal(rc.status, 0, rc.output);
    await rejectsWith(generateCompose(input({ packages: ['fx-uses-base'] })), 'Unresolvable dependencies: fx-uses-base requires fx-base-virtual');
  });

  it('makes one tree per arch, each with its own arch packages', async () => {
    const inp = input({ packages: ['fx-app', 'fx-armonly'], arches: ['x86_64', 'aarch64'] });
    const result = await generateCompose(inp);
    assert.deepEqual(await rpmsIn(inp.composeId, 'x86_64'), APP_CLOSURE);
    assert.deepEqual(await rpmsIn(inp.composeId, 'aarch64'), [...APP_CLOSURE.filter((f) => !f.includes('x86_64')), 'fx-armonly-1.0-1.aarch64.rpm', 'fx-lib-1.1-1.aarch64.rpm'].sort());
    assert.deepEqual(result.arches, ['x86_64', 'aarch64']);
    assert.equal(result.packages, 7);
    for (const arch of ['x86_64', 'aarch64']) {
      const rc = repoclosure({ c: osTree(inp.composeId, arch) }, 'c', arch);
      assert.equal(rc.status, 0, rc.output);
    }
  });

  it('a second call is an idempotent no-op', async () => {
    const inp = input({ packages: ['fx-app'] });
    const first = await generateCompose(inp);
    const marker = path.join(root(inp.composeId), '.odcs-complete');
    const before = (await stat(marker)).mtimeMs;
    let beats = 0;
    const second = await generateCompose(inp, { heartbeat: () => beats++ });
    assert.deepEqual(second, first);
    assert.equal((await stat(marker)).mtimeMs, before);
    assert.equal(beats, 0);
  });

  it('cleans leftovers of a killed attempt and regenerates an unmarked dir', async () => {
    const inp = input({ packages: ['fx-tool'] });
    const id = inp.composeId;
    const stale = path.join(target, `.tmp-odcs-${id}-deadbeef`);
    const otherId = path.join(target, `.tmp-odcs-${id}0-cafe`);
    await mkdir(path.join(stale, 'compose'), { recursive: true });
    await mkdir(otherId, { recursive: true });
    await mkdir(root(id), { recursive: true });
    await writeFile(path.join(root(id), 'junk'), 'half-written');
    await generateCompose(inp);
    assert.equal(await exists(stale), false);
    assert.equal(await exists(path.join(root(id), 'junk')), false);
    assert.equal(await exists(otherId), true, 'another compose id must not be touched');
    assert.deepEqual(await rpmsIn(id), ['fx-tool-2.0-1.noarch.rpm']);
    await rm(otherId, { recursive: true });
  });

  it('abort via AbortSignal leaves neither the compose nor a temp dir', async () => {
    const inp = input({ packages: ['fx-app'] });
    const ctl = new AbortController();
    const reason = new Error('cancelled by test');
    const details: string[] = [];
    await assert.rejects(
      generateCompose(inp, {
        signal: ctl.signal,
        heartbeat: (d) => {
          details.push(d);
          if (d === 'dependencies resolved') ctl.abort(reason);
        },
      }),
      (e) => e === reason,
    );
    assert.ok(details.length > 0);
    assert.equal(await exists(root(inp.composeId)), false);
    assert.deepEqual((await readdir(target)).filter((n) => n.startsWith(`.tmp-odcs-${inp.composeId}-`)), []);

    const pre = new AbortController();
    pre.abort();
    const inp2 = input({ packages: ['fx-app'] });
    await assert.rejects(generateCompose(inp2, { signal: pre.signal }), { name: 'AbortError' });
    assert.equal(await exists(root(inp2.composeId)), false);
  });

  it('a missing source repo or one without repodata is a GenerationError naming the path', async () => {
    const missing = path.join(work, 'no-such-repo');
    await rejectsWith(generateCompose(input({ sourceRepos: [missing] })), new RegExp(`${missing}`));
    const empty = path.join(work, 'empty-repo');
    await mkdir(empty, { recursive: true });
    const inp = input({ sourceRepos: [tag], lookasideRepos: [empty] });
    await rejectsWith(generateCompose(inp), new RegExp(`${empty} has no repodata`));
    assert.match(await readLog(inp.composeId), /\[ERROR *\] Repository .*empty-repo has no repodata/);
  });

  it('removeComposeTree removes the compose and is idempotent', async () => {
    const inp = input({ packages: ['fx-tool'] });
    await generateCompose(inp);
    await removeComposeTree(target, inp.composeId);
    assert.equal(await exists(root(inp.composeId)), false);
    await removeComposeTree(target, inp.composeId);
    await removeComposeTree(path.join(work, 'nowhere'), inp.composeId);
    assert.deepEqual((await readdir(target)).filter((n) => n.startsWith(`.tmp-odcs-${inp.composeId}-`)), []);
  });
});
