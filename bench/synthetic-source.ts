// A synthetic yum repository's metadata at Fedora Everything's scale, generated at bench time
// (never committed): primary, filelists and other, gzip-compressed, with a repomd.xml whose
// checksums are right. No RPM files: it is for resolving closures. The dependency graph is
// Fedora-like: shared libraries providing sonames that other packages require (a few hubs such as
// a libc that almost everything needs), tools whose /usr/bin paths are file dependencies,
// virtual provides with several providers, rich dependencies, obsoletes, and several versions of
// some names. Deterministic for a given size (seeded PRNG).
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import { createGzip } from 'node:zlib';
import { mulberry32 } from './lib.js';


interface Pkg {
  name: string;
  version: string;
  release: string;
  arch: string;
  provides: string[];
  requires: string[];
  obsoletes: string[];
  files: string[];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function entry(dep: string): string {
  if (dep.startsWith('(')) return `<rpm:entry name="${esc(dep)}"/>`;
  const m = /^(\S+)\s*(>=|<=|=|<|>)\s*(\S+)$/.exec(dep);
  if (!m) return `<rpm:entry name="${esc(dep)}"/>`;
  const flags = { '>=': 'GE', '<=': 'LE', '=': 'EQ', '<': 'LT', '>': 'GT' }[m[2]]!;
  const [ver, rel] = m[3].split('-');
  return `<rpm:entry name="${esc(m[1])}" flags="${flags}" epoch="0" ver="${esc(ver)}"${rel ? ` rel="${esc(rel)}"` : ''}/>`;
}

/** The package set: `n` packages in total. */
export function syntheticPackages(n: number, seed = 42): Pkg[] {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  // Preferential attachment: low indices are required much more often (libc-like hubs).
  const skewed = (max: number) => Math.floor(max * rnd() ** 3);
  const pkgs: Pkg[] = [];
  const nLibs = Math.floor(n * 0.3);
  const nTools = Math.floor(n * 0.15);
  const nData = Math.floor(n * 0.1);
  const sonames: string[] = [];
  const tools: string[] = [];
  const virtuals = Array.from({ length: 200 }, (_, i) => `virtual-cap-${i}`);

  const base = (name: string, arch: string): Pkg => ({ name, version: `${1 + Math.floor(rnd() * 9)}.${Math.floor(rnd() * 20)}`, release: `${1 + Math.floor(rnd() * 5)}.fc40`, arch, provides: [], requires: [], obsoletes: [], files: [] });

  for (let i = 0; i < nLibs; i++) {
    const p = base(`lib${i}`, 'x86_64');
    const so = `liblib${i}.so.${1 + (i % 3)}`;
    p.provides.push(`${so}()(64bit)`);
    p.files.push(`/usr/lib64/${so}`, `/usr/share/doc/lib${i}/README`);
    const k = i === 0 ? 0 : 1 + Math.floor(rnd() * 4);
    for (let j = 0; j < k; j++) if (sonames.length) p.requires.push(sonames[skewed(sonames.length)]);
    if (i > 0) p.requires.push(sonames[0]);
    sonames.push(`${so}()(64bit)`);
    pkgs.push(p);
  }
  for (let i = 0; i < nData; i++) {
    const p = base(`data${i}`, 'noarch');
    p.files.push(`/usr/share/data${i}/file.dat`);
    if (rnd() < 0.2) p.provides.push(pick(virtuals));
    pkgs.push(p);
  }
  for (let i = 0; i < nTools; i++) {
    const p = base(`tool${i}`, 'x86_64');
    p.files.push(`/usr/bin/tool${i}`, `/usr/share/man/man1/tool${i}.1.gz`);
    tools.push(`/usr/bin/tool${i}`);
    for (let j = 0; j < 1 + Math.floor(rnd() * 3); j++) p.requires.push(sonames[skewed(sonames.length)]);
    if (rnd() < 0.3) p.provides.push(pick(virtuals));
    pkgs.push(p);
  }
  while (pkgs.length < n) {
    const i = pkgs.length;
    const p = base(`app${i}`, rnd() < 0.8 ? 'x86_64' : 'noarch');
    p.files.push(`/usr/share/app${i}/main`);
    for (let j = 0; j < 2 + Math.floor(rnd() * 6); j++) p.requires.push(sonames[skewed(sonames.length)]);
    if (rnd() < 0.4) p.requires.push(pick(tools));
    if (rnd() < 0.3) p.requires.push(`data${skewed(nData)}`);
    if (rnd() < 0.15) p.requires.push(pick(virtuals));
    if (rnd() < 0.1) p.requires.push(`(tool${skewed(nTools)} or data${skewed(nData)})`);
    if (rnd() < 0.05) p.requires.push(`(data${skewed(nData)} if tool${skewed(nTools)})`);
    if (rnd() < 0.1) p.requires.push(`lib${skewed(nLibs)} >= 1.0`);
    if (rnd() < 0.05) p.obsoletes.push(`app${i}-old < ${p.version}`);
    // A few versions of some names, as repositories that keep older builds have.
    pkgs.push(p);
    if (rnd() < 0.04 && pkgs.length < n) pkgs.push({ ...p, version: `0.${p.version}`, files: [...p.files] });
  }
  // Make sure every virtual has a provider.
  for (const [i, v] of virtuals.entries()) pkgs[nLibs + (i % nData)].provides.push(v);
  return pkgs.slice(0, n);
}

/** Names a closure request can use: `count` distinct application names, spread over the set. */
export function requestNames(pkgs: Pkg[], count: number): string[] {
  const apps = [...new Set(pkgs.filter((p) => p.name.startsWith('app')).map((p) => p.name))];
  const step = Math.max(1, Math.floor(apps.length / count));
  return apps.filter((_, i) => i % step === 0).slice(0, count);
}

class GzFile {
  private readonly gz = createGzip({ level: 1 });
  private readonly out;
  private readonly open = createHash('sha256');
  private readonly packed = createHash('sha256');
  private openSize = 0;
  private size = 0;
  constructor(readonly file: string) {
    this.out = createWriteStream(file);
    this.gz.on('data', (b: Buffer) => (this.packed.update(b), (this.size += b.length)));
    this.gz.pipe(this.out);
  }
  async write(s: string) {
    const b = Buffer.from(s);
    this.open.update(b);
    this.openSize += b.length;
    if (!this.gz.write(b)) await once(this.gz, 'drain');
  }
  async end() {
    this.gz.end();
    await once(this.out, 'close');
    return { checksum: this.packed.digest('hex'), openChecksum: this.open.digest('hex'), size: this.size, openSize: this.openSize };
  }
}

/** Writes `<dir>/repodata/` for the package set; returns the directory. */
export async function writeSyntheticRepo(dir: string, pkgs: Pkg[]): Promise<string> {
  const repodata = path.join(dir, 'repodata');
  await mkdir(repodata, { recursive: true });
  const ts = 1_700_000_000;
  const ids = pkgs.map((p, i) => createHash('sha256').update(`${p.name}-${p.version}-${p.release}.${p.arch}#${i}`).digest('hex'));
  const files = {
    primary: new GzFile(path.join(repodata, 'primary.xml.gz.tmp')),
    filelists: new GzFile(path.join(repodata, 'filelists.xml.gz.tmp')),
    other: new GzFile(path.join(repodata, 'other.xml.gz.tmp')),
  };
  const head = `<?xml version="1.0" encoding="UTF-8"?>\n`;
  await files.primary.write(`${head}<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="${pkgs.length}">\n`);
  await files.filelists.write(`${head}<filelists xmlns="http://linux.duke.edu/metadata/filelists" packages="${pkgs.length}">\n`);
  await files.other.write(`${head}<otherdata xmlns="http://linux.duke.edu/metadata/other" packages="${pkgs.length}">\n`);
  for (const [i, p] of pkgs.entries()) {
    const nevra = `${p.name}-${p.version}-${p.release}.${p.arch}`;
    const ver = `<version epoch="0" ver="${p.version}" rel="${p.release}"/>`;
    const inPrimary = p.files.filter((f) => /^(\/etc\/|.*bin\/)/.test(f));
    const deps = (tag: string, list: string[]) => (list.length ? `    <rpm:${tag}>\n${list.map((d) => `      ${entry(d)}\n`).join('')}    </rpm:${tag}>\n` : '');
    await files.primary.write(
      `<package type="rpm">\n  <name>${p.name}</name>\n  <arch>${p.arch}</arch>\n  ${ver}\n` +
        `  <checksum type="sha256" pkgid="YES">${ids[i]}</checksum>\n  <summary>Synthetic package ${p.name}</summary>\n` +
        `  <description>Synthetic package ${p.name}, generated for benchmarks. It exists only as metadata.</description>\n` +
        `  <packager>Fedora Project</packager>\n  <url>https://example.org/${p.name}</url>\n  <time file="${ts}" build="${ts}"/>\n` +
        `  <size package="${100_000 + (i % 1000) * 1000}" installed="${300_000}" archive="${301_000}"/>\n  <location href="Packages/${p.name[0]}/${nevra}.rpm"/>\n` +
        `  <format>\n    <rpm:license>MIT</rpm:license>\n    <rpm:vendor>Fedora Project</rpm:vendor>\n    <rpm:group>Unspecified</rpm:group>\n` +
        `    <rpm:buildhost>buildhw.example.org</rpm:buildhost>\n    <rpm:sourcerpm>${p.name}-${p.version}-${p.release}.src.rpm</rpm:sourcerpm>\n` +
        `    <rpm:header-range start="4504" end="${9000 + (i % 500)}"/>\n` +
        deps('provides', [`${p.name} = ${p.version}-${p.release}`, ...(p.arch === 'x86_64' ? [`${p.name}(x86-64) = ${p.version}-${p.release}`] : []), ...p.provides]) +
        deps('requires', p.requires) +
        deps('obsoletes', p.obsoletes) +
        inPrimary.map((f) => `    <file>${f}</file>\n`).join('') +
        `  </format>\n</package>\n`,
    );
    await files.filelists.write(`<package pkgid="${ids[i]}" name="${p.name}" arch="${p.arch}">\n  ${ver}\n${p.files.map((f) => `  <file>${f}</file>\n`).join('')}</package>\n`);
    await files.other.write(
      `<package pkgid="${ids[i]}" name="${p.name}" arch="${p.arch}">\n  ${ver}\n  <changelog author="Packager &lt;p@example.org&gt; - ${p.version}-${p.release}" date="${ts}">- Rebuilt</changelog>\n</package>\n`,
    );
  }
  await files.primary.write('</metadata>\n');
  await files.filelists.write('</filelists>\n');
  await files.other.write('</otherdata>\n');
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">', `  <revision>${ts}</revision>`];
  for (const [type, f] of Object.entries(files)) {
    const r = await f.end();
    const href = `repodata/${r.checksum}-${type}.xml.gz`;
    await rename(f.file, path.join(dir, href));
    lines.push(
      `  <data type="${type}">`,
      `    <checksum type="sha256">${r.checksum}</checksum>`,
      `    <open-checksum type="sha256">${r.openChecksum}</open-checksum>`,
      `    <location href="${href}"/>`,
      `    <timestamp>${ts}</timestamp>`,
      `    <size>${r.size}</size>`,
      `    <open-size>${r.openSize}</open-size>`,
      '  </data>',
    );
  }
  lines.push('</repomd>', '');
  await writeFile(path.join(repodata, 'repomd.xml'), lines.join('\n'));
  return dir;
}
