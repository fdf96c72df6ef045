import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { buildPool, solve } from '../../activities/generate/depsolve.js';
import { plainRecord, StoredPackage } from '../../activities/generate/pkgstore.js';
import { clearRepoCache, readRepo } from '../../activities/generate/repodata.js';
import type { PackageRecord } from '../../activities/generate/types.js';

/** A repository with only primary.xml.gz (what readRepo reads) and a repomd.xml with its checksum. */
async function writePrimary(dir: string, packages: string[]): Promise<void> {
  await mkdir(path.join(dir, 'repodata'), { recursive: true });
  const xml =
    '<?xml version="1.0" encoding="UTF-8"?>\n<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" ' +
    `packages="${packages.length}">\n${packages.join('\n')}\n</metadata>\n`;
  const gz = gzipSync(xml);
  const sum = createHash('sha256').update(gz).digest('hex');
  await writeFile(path.join(dir, 'repodata', 'primary.xml.gz'), gz);
  await writeFile(
    path.join(dir, 'repodata', 'repomd.xml'),
    `<?xml version="1.0" encoding="UTF-8"?>\n<repomd xmlns="http://linux.duke.edu/metadata/repo"><revision>1</revision>` +
      `<data type="primary"><checksum type="sha256">${sum}</checksum><location href="repodata/primary.xml.gz"/><size>${gz.length}</size></data></repomd>\n`,
  );
}

const deps = (tag: string, entries: string[]) => (entries.length ? `<rpm:${tag}>${entries.join('')}</rpm:${tag}>` : '');

function entry(name: string, o: { flags?: string; epoch?: string; ver?: string; rel?: string; pre?: boolean } = {}): string {
  const a = [`name="${name}"`];
  if (o.flags) a.push(`flags="${o.flags}"`);
  if (o.epoch !== undefined) a.push(`epoch="${o.epoch}"`);
  if (o.ver !== undefined) a.push(`ver="${o.ver}"`);
  if (o.rel !== undefined) a.push(`rel="${o.rel}"`);
  if (o.pre) a.push('pre="1"');
  return `<rpm:entry ${a.join(' ')}/>`;
}

function pkgXml(p: {
  type?: string;
  name: string;
  arch: string;
  epoch?: string;
  ver: string;
  rel: string;
  checksum?: { type: string; value: string };
  href: string;
  base?: string;
  size?: number;
  srpm?: string;
  range?: [number, number];
  provides?: string[];
  requires?: string[];
  obsoletes?: string[];
  files?: string[];
}): string {
  return (
    `<package type="${p.type ?? 'rpm'}"><name>${p.name}</name><arch>${p.arch}</arch>` +
    `<version${p.epoch === undefined ? '' : ` epoch="${p.epoch}"`} ver="${p.ver}" rel="${p.rel}"/>` +
    (p.checksum ? `<checksum type="${p.checksum.type}" pkgid="YES">${p.checksum.value}</checksum>` : '') +
    `<summary>s</summary>` +
    (p.size === undefined ? '' : `<size package="${p.size}" installed="1" archive="1"/>`) +
    `<location${p.base ? ` xml:base="${p.base}"` : ''} href="${p.href}"/>` +
    `<format>${p.srpm ? `<rpm:sourcerpm>${p.srpm}</rpm:sourcerpm>` : ''}` +
    (p.range ? `<rpm:header-range start="${p.range[0]}" end="${p.range[1]}"/>` : '') +
    deps('provides', p.provides ?? []) +
    deps('requires', p.requires ?? []) +
    deps('obsoletes', p.obsoletes ?? []) +
    (p.files ?? []).map((f) => `<file>${f}</file>`).join('') +
    `</format></package>`
  );
}

const SHA256 = 'ab'.repeat(32);
let tmp: string;

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'pkgstore-'));
});
after(async () => {
  clearRepoCache();
  await rm(tmp, { recursive: true, force: true });
});

describe('parsed source store', () => {
  it('keeps every field primary.xml gives, as plain records show them', async () => {
    const repo = path.join(tmp, 'fields');
    await writePrimary(repo, [
      pkgXml({
        name: 'alpha',
        arch: 'x86_64',
        epoch: '2',
        ver: '1.0',
        rel: '1.fc40',
        checksum: { type: 'sha256', value: SHA256 },
        href: 'Packages/a/alpha-1.0-1.fc40.x86_64.rpm',
        size: 123456,
        srpm: 'alpha-1.0-1.fc40.src.rpm',
        range: [4504, 9000],
        provides: [entry('alpha', { flags: 'EQ', epoch: '2', ver: '1.0', rel: '1.fc40' }), entry('alpha(x86-64)', { flags: 'EQ', epoch: '2', ver: '1.0', rel: '1.fc40' }), entry('libalpha.so.1()(64bit)')],
        requires: [
          entry('/bin/sh', { pre: true }),
          entry('rpmlib(CompressedFileNames)', { flags: 'LE', epoch: '0', ver: '3.0.4', rel: '1' }),
          entry('beta', { flags: 'GE', epoch: '0', ver: '2' }),
          entry('(gamma if delta)'),
        ],
        obsoletes: [entry('alpha-old', { flags: 'LT', epoch: '0', ver: '1.0' })],
        files: ['/usr/bin/alpha', '/etc/alpha.conf'],
      }),
      pkgXml({
        name: 'beta',
        arch: 'noarch',
        ver: '2',
        rel: '3',
        checksum: { type: 'sha1', value: 'NOT-HEX' },
        href: 'beta-2-3.noarch.rpm',
        srpm: 'beta-family-7-1.src.rpm',
        requires: [entry('beta', { flags: 'GE', epoch: '0', ver: '2' })],
      }),
      pkgXml({ type: 'drpm', name: 'delta', arch: 'noarch', ver: '1', rel: '1', href: 'd.drpm' }),
      pkgXml({ name: 'c&amp;d', arch: 'x86_64', ver: '1', rel: '1', href: 'sub/c.rpm', base: 'file:///elsewhere/', checksum: { type: 'sha256', value: SHA256 } }),
    ]);
    const meta = await readRepo(repo);
    assert.ok(meta.packages.every((p) => p instanceof StoredPackage));
    const evr = { epoch: '2', version: '1.0', release: '1.fc40' };
    const records = meta.packages.map(plainRecord);
    assert.deepEqual(records, [
      {
        name: 'alpha',
        ...evr,
        arch: 'x86_64',
        location: `${repo}/Packages/a/alpha-1.0-1.fc40.x86_64.rpm`,
        href: 'Packages/a/alpha-1.0-1.fc40.x86_64.rpm',
        repo,
        pkgid: SHA256,
        checksumType: 'sha256',
        size: 123456,
        sourcerpm: 'alpha-1.0-1.fc40.src.rpm',
        headerStart: 4504,
        headerEnd: 9000,
        provides: [
          { name: 'alpha', flags: 'EQ', ...evr },
          { name: 'alpha(x86-64)', flags: 'EQ', ...evr },
          { name: 'libalpha.so.1()(64bit)', flags: undefined, epoch: undefined, version: undefined, release: undefined },
        ],
        requires: [
          { name: '/bin/sh', flags: undefined, epoch: undefined, version: undefined, release: undefined, pre: true },
          { name: 'beta', flags: 'GE', epoch: '0', version: '2', release: undefined },
          { name: '(gamma if delta)', flags: undefined, epoch: undefined, version: undefined, release: undefined },
        ],
        obsoletes: [{ name: 'alpha-old', flags: 'LT', epoch: '0', version: '1.0', release: undefined }],
        files: ['/usr/bin/alpha', '/etc/alpha.conf'],
      },
      {
        name: 'beta',
        epoch: '0',
        version: '2',
        release: '3',
        arch: 'noarch',
        location: `${repo}/beta-2-3.noarch.rpm`,
        href: 'beta-2-3.noarch.rpm',
        repo,
        pkgid: 'NOT-HEX',
        checksumType: 'sha1',
        size: undefined,
        sourcerpm: 'beta-family-7-1.src.rpm',
        headerStart: undefined,
        headerEnd: undefined,
        provides: [],
        requires: [{ name: 'beta', flags: 'GE', epoch: '0', version: '2', release: undefined }],
        files: [],
      },
      {
        name: 'c&d',
        epoch: '0',
        version: '1',
        release: '1',
        arch: 'x86_64',
        location: '/elsewhere/sub/c.rpm',
        href: 'sub/c.rpm',
        repo,
        pkgid: SHA256,
        checksumType: 'sha256',
        size: undefined,
        sourcerpm: undefined,
        headerStart: undefined,
        headerEnd: undefined,
        provides: [],
        requires: [],
        files: [],
      },
    ]);
    // Plain records are ordinary objects: spreading keeps every field.
    assert.equal({ ...records[0] }.href, 'Packages/a/alpha-1.0-1.fc40.x86_64.rpm');
    // Full file lists replace primary's partial ones.
    meta.packages[1].files = ['/usr/share/beta/x'];
    assert.deepEqual(meta.packages[1].files, ['/usr/share/beta/x']);
    assert.deepEqual(meta.packages[0].files, ['/usr/bin/alpha', '/etc/alpha.conf']);
  });

  it('reads dependency entries in any attribute spelling, and package locations with dot segments', async () => {
    const repo = path.join(tmp, 'spellings');
    const raw = (attrs: string) => `<rpm:entry ${attrs}/>`;
    await writePrimary(repo, [
      pkgXml({
        name: 'odd',
        arch: 'noarch',
        ver: '1',
        rel: '1',
        href: './sub/../odd-1-1.noarch.rpm',
        provides: [
          raw(`name='single' flags='EQ' epoch='0' ver='1'`),
          raw(`name = "spaced" flags= "LT" ver ="2"`),
          raw(`ver="3" name="order" rel="4" flags="GE"`),
          raw(`name="a&lt;b&amp;c&quot;d" ver="1&amp;2"`),
          raw(`name="it's" flags="EQ" ver="5"`),
        ],
        requires: [raw(`name="first" name="second" pre="0" other="x"`), raw(`name="needed" pre="1"`), raw(`flags="EQ" name="noversion"`)],
      }),
      pkgXml({ name: 'plain', arch: 'noarch', ver: '1', rel: '1', href: 'a/.hidden/plain-1-1.noarch.rpm' }),
      pkgXml({ name: 'up', arch: 'noarch', ver: '1', rel: '1', href: '../outside/up-1-1.noarch.rpm' }),
    ]);
    clearRepoCache();
    const [odd, plain, up] = (await readRepo(repo)).packages.map(plainRecord);
    const none = { flags: undefined, epoch: undefined, version: undefined, release: undefined };
    assert.deepEqual(odd.provides, [
      { ...none, name: 'single', flags: 'EQ', epoch: '0', version: '1' },
      { ...none, name: 'spaced', flags: 'LT', version: '2' },
      { ...none, name: 'order', flags: 'GE', version: '3', release: '4' },
      { ...none, name: 'a<b&c"d', version: '1&2' },
      { ...none, name: "it's", flags: 'EQ', version: '5' },
    ]);
    assert.deepEqual(odd.requires, [
      { ...none, name: 'first' },
      { ...none, name: 'needed', pre: true },
      { ...none, name: 'noversion', flags: 'EQ' },
    ]);
    assert.equal(odd.location, `${repo}/odd-1-1.noarch.rpm`);
    assert.equal(plain.location, `${repo}/a/.hidden/plain-1-1.noarch.rpm`);
    assert.equal(up.location, path.resolve(repo, '../outside/up-1-1.noarch.rpm'));
  });

  it('the solver gives the same closure over stored packages as over plain records of them', async () => {
    // A seeded random graph: versioned and virtual provides, file requires, rich dependencies,
    // several versions of one name, two arches.
    let seed = 7;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const n = 300;
    const xml: string[] = [];
    for (let i = 0; i < n; i++) {
      const name = `p${i % 280}`;
      const ver = `${1 + (i >= 280 ? 1 : 0)}.${i % 7}`;
      const arch = i % 5 === 0 ? 'noarch' : i % 11 === 0 ? 'aarch64' : 'x86_64';
      const requires: string[] = [];
      for (let k = 0; k < 3; k++) {
        const t = Math.floor(rnd() * n);
        const r = rnd();
        if (r < 0.5) requires.push(entry(`p${t % 280}`));
        else if (r < 0.65) requires.push(entry(`p${t % 280}`, { flags: 'GE', epoch: '0', ver: '1.3' }));
        else if (r < 0.75) requires.push(entry(`virt${t % 13}`, { flags: 'GE', epoch: '0', ver: '2' }));
        else if (r < 0.85) requires.push(entry(`/usr/bin/p${t % 280}`));
        else if (r < 0.93) requires.push(entry(`(p${t % 280} or virt${t % 13})`));
        else requires.push(entry(`(p${t % 280} if p${(t * 7) % 280})`));
      }
      xml.push(
        pkgXml({
          name,
          arch,
          ver,
          rel: '1',
          href: `Packages/p/${name}-${ver}-1.${arch}.rpm`,
          checksum: { type: 'sha256', value: createHash('sha256').update(String(i)).digest('hex') },
          provides: [entry(name, { flags: 'EQ', epoch: '0', ver, rel: '1' }), ...(i % 9 === 0 ? [entry(`virt${i % 13}`, { flags: 'EQ', epoch: '0', ver: `${i % 4}` })] : [])],
          requires,
          files: i % 3 === 0 ? [`/usr/bin/${name}`] : [],
        }),
      );
    }
    const repo = path.join(tmp, 'graph');
    await writePrimary(repo, xml);
    const stored = (await readRepo(repo)).packages;
    const plain = stored.map(plainRecord);
    const show = (s: ReturnType<typeof solve>) => ({
      selected: s.selected.map((p) => `${p.name}-${p.version}.${p.arch}`),
      missing: s.missing,
      unresolved: s.unresolved.map((u) => `${u.package.name}: ${u.requirement}`),
    });
    const sizes: number[] = [];
    for (const arch of ['x86_64', 'aarch64']) {
      for (const request of [['p1', 'p2', 'p3'], ['p10', 'p200', 'nothing'], []]) {
        const a = show(solve(buildPool([stored]), { arch, packages: request, noDeps: false }));
        const b = show(solve(buildPool([plain as PackageRecord[]]), { arch, packages: request, noDeps: false }));
        assert.deepEqual(a, b);
        sizes.push(a.selected.length, a.unresolved.length);
      }
    }
    // The comparison covered large closures and unresolved requirements, not only empty ones.
    assert.ok(Math.max(...sizes) > 150);
    assert.ok(sizes.filter((x, i) => i % 2 === 1 && x > 0).length >= 3);
  });
});
