// Repodata derived from the source metadata, judged by independent tools: dnf repoclosure, dnf
// download and install --downloadonly of every package, every checksum recomputed from the files,
// and a field-by-field comparison with what createrepo_c writes for the same files. Corrupt,
// truncated and lying source metadata fails naming the repository and file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { GenerationError, generateCompose, type GenerateInput } from '../../activities/generate/index.js';
import type { VerifyMode } from '../../activities/generate/verify.js';
import { attrs, scanPackages } from '../../activities/generate/mdstream.js';
import { parseRepomd, readRepo } from '../../activities/generate/repodata.js';
import { buildRepo, createRepoMetadata, type FakeRpm } from '../../scripts/rpm-fixtures.js';

const RPMS: FakeRpm[] = [
  { name: 'dv-app', version: '1.2', requires: ['dv-lib >= 1.0', '/usr/bin/dv-tool', '(dv-a or dv-b)'], summary: 'App & <friends>' },
  { name: 'dv-lib', version: '1.1', arch: 'x86_64', requires: ['dv-data'], files: ['/usr/lib64/dv/lib.so.1', '/usr/share/doc/dv-lib/README'] },
  { name: 'dv-data', version: '1.0', epoch: 2, files: ['/usr/share/dv-data/data.txt'] },
  { name: 'dv-tool', version: '2.0', files: ['/usr/bin/dv-tool'], provides: ['dv-tool-virtual = 2.0'] },
  { name: 'dv-b', version: '1.0' },
  { name: 'dv-other', version: '3.0' },
];
const COMPS = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE comps PUBLIC "-//Red Hat, Inc.//DTD Comps info//EN" "comps.dtd">
<comps>
  <group>
    <id>dv-group</id>
    <name>DV group</name>
    <description>Derived repodata test group</description>
    <default>false</default>
    <uservisible>true</uservisible>
    <packagelist>
      <packagereq type="mandatory">dv-app</packagereq>
    </packagelist>
  </group>
</comps>
`;
const MODULES = `---
document: modulemd
version: 2
data:
  name: dv-stack
  stream: "1"
  version: 1
  context: c0ffee42
  arch: x86_64
  summary: A module nothing in the test installs
  description: Carried from the source.
  license:
    module: [MIT]
  artifacts:
    rpms:
    - dv-unbuilt-0:9.9-1.x86_64
...
`;

let work: string;
let source: string;
let target: string;
let nextId = 1;

function dnf(args: string[]) {
  const r = spawnSync('dnf', ['--setopt=reposdir=/dev/null', `--setopt=cachedir=${path.join(work, 'dnf-cache')}`, '--releasever=0', '-y', ...args], {
    encoding: 'utf8',
  });
  return { status: r.status, output: `${r.stdout}\n${r.stderr}` };
}

function input(over: Partial<GenerateInput> = {}): GenerateInput {
  const composeId = over.composeId ?? nextId++;
  return {
    composeId,
    targetDir: target,
    sourceRepos: [source],
    packages: ['dv-app'],
    arches: ['x86_64'],
    noDeps: false,
    checkDeps: true,
    resultRepoUrl: `http://localhost/composes/odcs-${composeId}/compose/Temporary`,
    ...over,
  };
}

const osTree = (id: number) => path.join(target, `odcs-${id}`, 'compose', 'Temporary', 'x86_64', 'os');
const exists = (p: string) => stat(p).then(() => true, () => false);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Every package entry of a repo's metadata type, keyed by pkgid, as comparable field maps. */
async function entries(repo: string, type: 'primary' | 'filelists' | 'other'): Promise<Map<string, Record<string, unknown>>> {
  const xml = await readFile(path.join(repo, 'repodata', 'repomd.xml'), 'utf8');
  const e = parseRepomd(repo, path.join(repo, 'repodata', 'repomd.xml'), xml).data.get(type)!;
  const out = new Map<string, Record<string, unknown>>();
  const root = { primary: 'metadata', filelists: 'filelists', other: 'otherdata' }[type];
  await scanPackages(repo, e.file, root, (pkg) => {
    // Elements in order with their attributes and text; timestamps and locations aside.
    const fields: string[] = [];
    for (const m of pkg.matchAll(/<([\w:-]+)((?:\s[^>]*?)?)(\/?)>([^<]*)/g)) {
      const [, tag, attrText, , body] = m;
      if (tag === 'location') continue;
      const a = attrs(attrText);
      if (tag === 'time') delete a.file;
      if (tag === 'changelog') delete a.date;
      fields.push(`${tag} ${JSON.stringify(a)} ${body.trim()}`);
    }
    const pkgid = type === 'primary' ? /<checksum[^>]*>([^<]*)</.exec(pkg)![1] : attrs(/^<package(\s[^>]*)>/.exec(pkg)![1]).pkgid;
    out.set(pkgid, { fields });
  });
  return out;
}

/** Rewrites one metadata file of a repo through `edit` and updates repomd.xml to match (a consistent lie). */
async function rewriteMetadata(repo: string, type: string, edit: (xml: string) => string): Promise<void> {
  const repomdPath = path.join(repo, 'repodata', 'repomd.xml');
  let repomd = await readFile(repomdPath, 'utf8');
  const e = parseRepomd(repo, repomdPath, repomd).data.get(type)!;
  const open = Buffer.from(edit(gunzipSync(await readFile(e.file)).toString('utf8')));
  const packed = gzipSync(open);
  await writeFile(e.file, packed);
  const block = new RegExp(`(<data type="${type}">[\\s\\S]*?</data>)`);
  repomd = repomd.replace(block, (b) =>
    b
      .replace(/(<checksum type="sha256">)[0-9a-f]+/, `$1${sha256(packed)}`)
      .replace(/(<open-checksum type="sha256">)[0-9a-f]+/, `$1${sha256(open)}`)
      .replace(/<size>\d+/, `<size>${packed.length}`)
      .replace(/<open-size>\d+/, `<open-size>${open.length}`),
  );
  await writeFile(repomdPath, repomd);
}

async function brokenSource(name: string): Promise<string> {
  const dir = path.join(work, 'broken', name);
  await cp(source, dir, { recursive: true });
  return dir;
}

async function rejectsNaming(p: Promise<unknown>, repo: string, file: RegExp) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof GenerationError, `expected GenerationError, got ${e}`);
    assert.ok(e.message.includes(`Repository ${repo}`), e.message);
    assert.match(e.message, file);
    return true;
  });
}

before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'odcs-derived-test-'));
  source = path.join(work, 'source');
  target = path.join(work, 'composes');
  await buildRepo(source, RPMS, { createrepo: false });
  await writeFile(path.join(work, 'comps.xml'), COMPS);
  const r = spawnSync('createrepo_c', ['--quiet', '--no-database', '-g', path.join(work, 'comps.xml'), source], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  await writeFile(path.join(work, 'modules.yaml'), MODULES);
  const m = spawnSync('modifyrepo_c', ['--mdtype=modules', path.join(work, 'modules.yaml'), path.join(source, 'repodata')], { encoding: 'utf8' });
  assert.equal(m.status, 0, m.stderr);
});

after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('derived repodata', () => {
  let id: number;
  let tree: string;

  before(async () => {
    const inp = input();
    id = inp.composeId;
    await generateCompose(inp);
    tree = osTree(id);
  });

  it('is derived (the log says so) and dnf repoclosure passes', async () => {
    const log = await readFile(path.join(target, `odcs-${id}`, 'logs', 'global', 'pungi.global.log'), 'utf8');
    assert.match(log, /Deriving repodata for compose\/Temporary\/x86_64\/os from the source metadata/);
    assert.doesNotMatch(log, /Running createrepo_c/);
    // By default the checksums are the source's (each file's size and RPM header checked, no payload hashed).
    assert.match(log, /Checked 5 package files against the source metadata \(size and RPM header; checksums taken from the source metadata\)/);
    const rc = dnf(['repoclosure', `--repofrompath=c,${tree}`, '--repo=c', '--check=c']);
    assert.equal(rc.status, 0, rc.output);
  });

  it('every checksum in repomd.xml and primary matches its file', async () => {
    const repomdPath = path.join(tree, 'repodata', 'repomd.xml');
    const { data } = parseRepomd(tree, repomdPath, await readFile(repomdPath, 'utf8'));
    assert.deepEqual([...data.keys()].sort(), ['filelists', 'group', 'group_gz', 'modules', 'other', 'primary']);
    for (const e of data.values()) {
      const bytes = await readFile(e.file);
      assert.equal(sha256(bytes), e.checksum, `${e.type} checksum`);
      assert.equal(bytes.length, e.size, `${e.type} size`);
      if (e.openChecksum) {
        const open = e.href.endsWith('.gz') ? gunzipSync(bytes) : bytes;
        assert.equal(sha256(open), e.openChecksum, `${e.type} open-checksum`);
        assert.equal(open.length, e.openSize, `${e.type} open-size`);
      }
    }
    const repo = await readRepo(tree);
    assert.equal(repo.packages.length, 5);
    for (const p of repo.packages) {
      const bytes = await readFile(p.location);
      assert.equal(sha256(bytes), p.pkgid, p.href);
      assert.equal(bytes.length, p.size, p.href);
      assert.match(p.href, /^Packages\/[a-z]\/[^/]+\.rpm$/);
    }
    assert.equal(gunzipSync(await readFile(data.get('group_gz')!.file)).toString(), COMPS);
    assert.match(gunzipSync(await readFile(data.get('modules')!.file)).toString(), /name: dv-stack/);
  });

  it('matches what createrepo_c writes for the same files, field by field', async () => {
    const copy = path.join(work, 'createrepo-copy');
    await cp(path.join(tree, 'Packages'), path.join(copy, 'Packages'), { recursive: true, preserveTimestamps: true });
    await createRepoMetadata(copy);
    for (const type of ['primary', 'filelists', 'other'] as const) {
      const [ours, theirs] = await Promise.all([entries(tree, type), entries(copy, type)]);
      assert.equal(ours.size, 5, type);
      assert.deepEqual([...ours.keys()].sort(), [...theirs.keys()].sort(), type);
      for (const [pkgid, fields] of ours) assert.deepEqual(fields, theirs.get(pkgid), `${type} of ${pkgid}`);
    }
  });

  it('dnf downloads and installs (--downloadonly) every package from it', async () => {
    const dest = path.join(work, 'downloads');
    const names = RPMS.filter((r) => r.name !== 'dv-other').map((r) => r.name);
    const dl = dnf(['download', `--repofrompath=c,${tree}`, '--repo=c', `--destdir=${dest}`, '--forcearch=x86_64', ...names]);
    assert.equal(dl.status, 0, dl.output);
    assert.equal((await readdir(dest)).filter((f) => f.endsWith('.rpm')).length, names.length);
    const root = path.join(work, 'installroot');
    const inst = dnf(['install', '--downloadonly', '--nogpgcheck', `--installroot=${root}`, `--repofrompath=c,${tree}`, '--repo=c', '--forcearch=x86_64', ...names]);
    assert.equal(inst.status, 0, inst.output);
  });
});

describe('derived repodata: fallback and bad sources', () => {
  it('falls back to createrepo_c when the source has no other.xml', async () => {
    const src = await brokenSource('no-other');
    const repomdPath = path.join(src, 'repodata', 'repomd.xml');
    await writeFile(repomdPath, (await readFile(repomdPath, 'utf8')).replace(/<data type="other">[\s\S]*?<\/data>\n/, ''));
    const inp = input({ sourceRepos: [src] });
    await generateCompose(inp);
    const log = await readFile(path.join(target, `odcs-${inp.composeId}`, 'logs', 'global', 'pungi.global.log'), 'utf8');
    assert.match(log, /Running createrepo_c .*repomd\.xml has no other metadata/);
    const rc = dnf(['repoclosure', `--repofrompath=c,${osTree(inp.composeId)}`, '--repo=c', '--check=c']);
    assert.equal(rc.status, 0, rc.output);
  });

  const rpmOf = async (src: string, name: string) => path.join(src, (await readdir(src)).find((f) => f.startsWith(`${name}-`) && f.endsWith('.rpm'))!);
  /** Overwrites `bytes.length` bytes of a file at `at` (a negative `at` counts from the end). */
  const overwrite = async (file: string, at: number, edit: (b: Buffer) => void) => {
    const b = await readFile(file);
    edit(b.subarray(at < 0 ? b.length + at : at));
    await writeFile(file, b);
  };

  const cases: Array<{
    name: string;
    file: RegExp;
    corrupt: (src: string) => Promise<void>;
    /** GENERATE_VERIFY for this case (default: the generator's default, header). */
    verify?: VerifyMode;
    /** Requested packages (default: dv-app and its closure). */
    packages?: string[];
    /** Puts the source right again (default: createrepo_c over it, as after a metadata fault). */
    repair?: (src: string) => Promise<void>;
  }> = [
    {
      name: 'a primary.xml whose bytes do not match repomd.xml',
      file: /metadata file repodata\/[0-9a-f]+-primary\.xml\.gz is unusable: its sha256 is [0-9a-f]+, repomd\.xml says/,
      corrupt: async (src) => {
        const f = (await readdir(path.join(src, 'repodata'))).find((n) => n.endsWith('-primary.xml.gz'))!;
        const p = path.join(src, 'repodata', f);
        const b = await readFile(p);
        b[b.length - 5] ^= 0xff;
        await writeFile(p, b);
      },
    },
    {
      name: 'a truncated filelists.xml (consistent with repomd.xml)',
      file: /metadata file repodata\/[0-9a-f]+-filelists\.xml\.gz is unusable: truncated/,
      corrupt: (src) => rewriteMetadata(src, 'filelists', (xml) => xml.slice(0, Math.floor(xml.length * 0.6))),
    },
    {
      name: 'an other.xml that is not gzip',
      file: /metadata file repodata\/[0-9a-f]+-other\.xml\.gz is unusable: .*(header|incorrect)/i,
      corrupt: async (src) => {
        const repomdPath = path.join(src, 'repodata', 'repomd.xml');
        const repomd = await readFile(repomdPath, 'utf8');
        const e = parseRepomd(src, repomdPath, repomd).data.get('other')!;
        const junk = Buffer.from('this is not gzip data at all');
        await writeFile(e.file, junk);
        await writeFile(repomdPath, repomd.replace(e.checksum, sha256(junk)).replace(`<size>${e.size}</size>`, `<size>${junk.length}</size>`));
      },
    },
    {
      name: 'a primary.xml that lies about a package checksum (full verification)',
      verify: 'full',
      file: /package file dv-lib-1\.1-1\.x86_64\.rpm has sha256 [0-9a-f]+, its metadata says 0{64}/,
      corrupt: (src) =>
        rewriteMetadata(src, 'primary', (xml) =>
          xml.replace(/(<name>dv-lib<\/name>[\s\S]*?<checksum type="sha256" pkgid="YES">)[0-9a-f]+/, `$1${'0'.repeat(64)}`),
        ),
    },
    {
      name: 'a primary.xml that lies about a package size',
      file: /package file dv-data-1\.0-1\.noarch\.rpm has \d+ bytes, its metadata says 1\b/,
      corrupt: (src) => rewriteMetadata(src, 'primary', (xml) => xml.replace(/(<name>dv-data<\/name>[\s\S]*?<size package=")\d+/, '$11')),
    },
    {
      name: 'a primary.xml that lies about a package size (size verification)',
      verify: 'size',
      file: /package file dv-data-1\.0-1\.noarch\.rpm has \d+ bytes, its metadata says 1\b/,
      corrupt: (src) => rewriteMetadata(src, 'primary', (xml) => xml.replace(/(<name>dv-data<\/name>[\s\S]*?<size package=")\d+/, '$11')),
    },
    {
      name: 'a package whose RPM header was altered (same size)',
      file: /package file dv-tool-2\.0-1\.noarch\.rpm has a header that does not match its signed sha256/,
      corrupt: async (src) => {
        const file = await rpmOf(src, 'dv-tool');
        const b = await readFile(file);
        const at = b.indexOf('dv-tool-virtual');
        assert.ok(at > 0);
        b.write('dv-tool-virtuaX', at);
        await writeFile(file, b);
      },
      repair: async (src) => cp(await rpmOf(source, 'dv-tool'), await rpmOf(src, 'dv-tool')),
    },
    {
      name: 'a package whose payload was altered (same size, full verification)',
      verify: 'full',
      file: /package file dv-b-1\.0-1\.noarch\.rpm has sha256 [0-9a-f]+, its metadata says [0-9a-f]+/,
      corrupt: async (src) => overwrite(await rpmOf(src, 'dv-b'), -8, (b) => void (b[0] ^= 0xff)),
      repair: async (src) => cp(await rpmOf(source, 'dv-b'), await rpmOf(src, 'dv-b')),
    },
    {
      name: 'a package that is not an RPM (same size)',
      file: /package file dv-other-3\.0-1\.noarch\.rpm is not a usable RPM: not an RPM file/,
      packages: ['dv-other'],
      corrupt: async (src) => overwrite(await rpmOf(src, 'dv-other'), 0, (b) => void b.fill(0x20, 0, 96)),
      repair: async (src) => cp(await rpmOf(source, 'dv-other'), await rpmOf(src, 'dv-other')),
    },
    {
      name: 'a filelists.xml missing a package of primary',
      file: /metadata file repodata\/[0-9a-f]+-filelists\.xml\.gz has no entry for dv-tool-2\.0-1\.noarch\.rpm/,
      corrupt: (src) =>
        rewriteMetadata(src, 'filelists', (xml) => xml.replace(/<package pkgid="[0-9a-f]+" name="dv-tool"[\s\S]*?<\/package>\n/, '').replace('packages="6"', 'packages="5"')),
    },
  ];

  for (const c of cases) {
    it(`${c.name} fails naming the repository and file; nothing half-written; the repaired source works`, async () => {
      const src = await brokenSource(c.name.replace(/\W+/g, '-'));
      await c.corrupt(src);
      const inp = input({ sourceRepos: [src], ...(c.packages ? { packages: c.packages } : {}) });
      await rejectsNaming(generateCompose(inp, { verify: c.verify }), src, c.file);
      const root = path.join(target, `odcs-${inp.composeId}`);
      assert.equal(await exists(path.join(root, 'compose')), false, 'no compose tree is left');
      assert.deepEqual((await readdir(target)).filter((n) => n.startsWith(`.tmp-odcs-${inp.composeId}-`)), []);
      // Repaired in place (as an operator would): the next compose, same process, works.
      await (c.repair ?? createRepoMetadata)(src);
      const next = input({ sourceRepos: [src], ...(c.packages ? { packages: c.packages } : {}) });
      const result = await generateCompose(next, { verify: c.verify });
      assert.equal(result.packages, c.packages ? 1 : 5);
      const rc = dnf(['repoclosure', `--repofrompath=c,${osTree(next.composeId)}`, '--repo=c', '--check=c']);
      assert.equal(rc.status, 0, rc.output);
    });
  }

  it('a second read of an unchanged source comes from the parse cache; a changed one is parsed again', async () => {
    const src = await brokenSource('cache');
    const a = await readRepo(src);
    assert.equal(await readRepo(src), a);
    await createRepoMetadata(src);
    const b = await readRepo(src);
    assert.notEqual(b, a);
    assert.equal(b.packages.length, a.packages.length);
  });
});
