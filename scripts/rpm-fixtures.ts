// Builds tiny, real RPMs for tests, benchmarks and the demo tag repo.
// Speed trick: many packages become subpackages of ONE generated spec (rpm
// lets each subpackage set its own Version/Release/Epoch), so a 1000-package
// repo is a handful of rpmbuild runs instead of 1000.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface FakeRpm {
  name: string;
  version?: string; // "1.0"
  release?: string; // "1"
  arch?: string; // "noarch"
  epoch?: number;
  requires?: string[];
  provides?: string[];
  /** Absolute paths installed; default /usr/share/<name>/README. [] = no files. */
  files?: string[];
  summary?: string;
  /**
   * Adds /usr/share/<name>/payload.bin of this many zero bytes, stored uncompressed so that the
   * .rpm file really has about this size (for benchmarks of realistic package sizes).
   */
  payloadBytes?: number;
}

/** The demo tag: a versioned chain, a file dependency, an arch package and an unrelated one. */
export const DEMO_RPMS: FakeRpm[] = [
  {
    name: 'odcs-demo-app',
    version: '1.2',
    requires: ['odcs-demo-lib >= 1.0', '/usr/bin/odcs-demo-tool'],
    files: ['/usr/share/odcs-demo-app/README'],
    summary: 'Demo application',
  },
  { name: 'odcs-demo-lib', version: '1.1', arch: 'x86_64', requires: ['odcs-demo-data'], files: ['/usr/lib64/odcs-demo/libdemo.txt'], summary: 'Demo library' },
  { name: 'odcs-demo-data', version: '1.0', summary: 'Demo data files' },
  { name: 'odcs-demo-tools', version: '2.0', files: ['/usr/bin/odcs-demo-tool'], summary: 'Demo tools (provides a file dependency)' },
  { name: 'odcs-demo-unrelated', version: '0.9', summary: 'A package nothing depends on' },
];

const NAME_RE = /^[A-Za-z0-9_+][A-Za-z0-9._+-]*$/;
const VER_RE = /^[A-Za-z0-9._+~^]+$/;
const ARCH_RE = /^[A-Za-z0-9_]+$/;
// Paths are quoted in the spec; reject what quoting or %files globbing cannot carry.
const PATH_RE = /^\/[^\n\r"'\\*?[\]{}]*$/;
const BATCH = 400;

interface Normal extends Required<Omit<FakeRpm, 'epoch' | 'payloadBytes'>> {
  epoch?: number;
  payloadBytes: number;
}

function normalize(r: FakeRpm): Normal {
  const n: Normal = {
    name: r.name,
    version: r.version ?? '1.0',
    release: r.release ?? '1',
    arch: r.arch ?? 'noarch',
    epoch: r.epoch,
    requires: r.requires ?? [],
    provides: r.provides ?? [],
    files: r.files ?? [`/usr/share/${r.name}/README`],
    summary: r.summary ?? `Test package ${r.name}`,
    payloadBytes: r.payloadBytes ?? 0,
  };
  const bad = (what: string) => new Error(`FakeRpm ${JSON.stringify(r.name)}: invalid ${what}`);
  if (!NAME_RE.test(n.name)) throw bad('name');
  if (!VER_RE.test(n.version)) throw bad('version');
  if (!VER_RE.test(n.release)) throw bad('release');
  if (!ARCH_RE.test(n.arch) || n.arch === 'src' || n.arch === 'nosrc') throw bad('arch');
  if (n.epoch !== undefined && !(Number.isInteger(n.epoch) && n.epoch >= 0)) throw bad('epoch');
  if (!(Number.isSafeInteger(n.payloadBytes) && n.payloadBytes >= 0)) throw bad('payloadBytes');
  for (const d of [...n.requires, ...n.provides]) if (!d.trim() || /[\n\r]/.test(d)) throw bad(`dependency ${JSON.stringify(d)}`);
  for (const f of n.files) if (!PATH_RE.test(f) || f.endsWith('/')) throw bad(`file ${JSON.stringify(f)}`);
  return n;
}

export const rpmFileName = (r: FakeRpm) => {
  const n = normalize(r);
  return `${n.name}-${n.version}-${n.release}.${n.arch}.rpm`;
};

/** Spec text is macro-expanded: a literal % must be doubled. */
const spec = (s: string) => s.replace(/%/g, '%%').replace(/[\n\r]+/g, ' ');
/** Single-quoted shell word (inside %install, after macro expansion). */
const sh = (s: string) => `'${spec(s).replace(/'/g, `'\\''`)}'`;

/** The source package (Koji's "build") the binary RPMs of one buildRepo call come from. */
export interface FakeBuild {
  name: string;
  version: string;
  release: string;
}

function specText(arch: string, batchNo: number, rpms: Normal[], build?: FakeBuild): string {
  const lines = [
    `Name: ${build ? build.name : `odcs-fixture-${arch}-${batchNo}`}`,
    `Version: ${build ? build.version : '0'}`,
    `Release: ${build ? build.release : '0'}`,
    // The main package has no %files section, so rpmbuild never emits it.
    'Summary: fixture bundle',
    'License: MIT',
    // Deps must be exactly what the test asked for.
    'AutoReqProv: no',
    ...(arch === 'noarch' ? ['BuildArch: noarch'] : []),
    '%description',
    'Fixture bundle.',
  ];
  for (const r of rpms) {
    lines.push('', `%package -n ${r.name}`, `Version: ${r.version}`, `Release: ${r.release}`);
    if (r.epoch !== undefined) lines.push(`Epoch: ${r.epoch}`);
    lines.push(`Summary: ${spec(r.summary)}`);
    for (const d of r.requires) lines.push(`Requires: ${spec(d)}`);
    for (const d of r.provides) lines.push(`Provides: ${spec(d)}`);
    lines.push(`%description -n ${r.name}`, `${spec(r.summary)}.`);
  }
  lines.push('', '%install');
  const payload = (r: Normal) => `/usr/share/${r.name}/payload.bin`;
  for (const r of rpms) {
    for (const f of r.files) {
      lines.push(`mkdir -p "$RPM_BUILD_ROOT"${sh(path.posix.dirname(f))} && echo ${sh(r.name)} > "$RPM_BUILD_ROOT"${sh(f)}`);
    }
    if (r.payloadBytes) {
      lines.push(`mkdir -p "$RPM_BUILD_ROOT"${sh(path.posix.dirname(payload(r)))} && truncate -s ${r.payloadBytes} "$RPM_BUILD_ROOT"${sh(payload(r))}`);
    }
  }
  for (const r of rpms) {
    lines.push('', `%files -n ${r.name}`, ...r.files.map((f) => `"${spec(f)}"`), ...(r.payloadBytes ? [`"${spec(payload(r))}"`] : []));
  }
  return lines.join('\n') + '\n';
}

/** Runs a command; resolves with its stdout, rejects with the tail of its stderr. */
function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...(opts.env ?? process.env), LC_ALL: 'C' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-4000)));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited with ${code}: ${err.trim()}`))));
  });
}

async function rpmbuild(outDir: string, arch: string, batchNo: number, rpms: Normal[], build?: FakeBuild): Promise<void> {
  const top = await mkdtemp(path.join(os.tmpdir(), 'odcs-rpmbuild-'));
  try {
    const specFile = path.join(top, 'fixture.spec');
    await writeFile(specFile, specText(arch, batchNo, rpms, build));
    // --target instead of BuildArch for arch packages: BuildArch of a foreign
    // arch (aarch64 on x86_64) is refused, --target is not.
    await run('rpmbuild', [
      '-bb', '--nodeps', '--quiet', '--target', arch,
      '--define', `_topdir ${top}`,
      '--define', `_tmppath ${top}/tmp`,
      '--define', `_rpmdir ${outDir}`,
      '--define', '_rpmfilename %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm',
      '--define', '_build_id_links none',
      '--define', 'debug_package %{nil}',
      '--define', '__os_install_post %{nil}',
      // Payload-carrying fixtures stay uncompressed, so their files have the size asked for.
      '--define', `_binary_payload ${rpms.some((r) => r.payloadBytes) ? 'w0.ufdio' : 'w1.gzdio'}`,
      '--define', '_buildhost odcs-fixtures',
      specFile,
    ]);
  } finally {
    await rm(top, { recursive: true, force: true });
  }
}

/** Splits into spec batches: one arch each, unique names, capped size for parallelism. */
function batches(rpms: Normal[]): { arch: string; rpms: Normal[] }[] {
  const out: { arch: string; rpms: Normal[]; names: Set<string> }[] = [];
  for (const r of rpms) {
    let b = out.find((x) => x.arch === r.arch && !x.names.has(r.name) && x.rpms.length < BATCH);
    if (!b) out.push((b = { arch: r.arch, rpms: [], names: new Set() }));
    b.rpms.push(r);
    b.names.add(r.name);
  }
  return out;
}

async function limit<T>(items: T[], n: number, fn: (item: T, i: number) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}

/**
 * Builds the RPMs with rpmbuild into `dir` (flat), runs createrepo_c on `dir` unless createrepo=false.
 * With `build`, every RPM of the call comes from that source package (one Koji build).
 * Returns absolute rpm paths.
 */
export async function buildRepo(dir: string, rpms: FakeRpm[], opts: { createrepo?: boolean; build?: FakeBuild } = {}): Promise<string[]> {
  const normal = rpms.map(normalize);
  const outDir = path.resolve(dir);
  const paths = normal.map((r) => path.join(outDir, `${r.name}-${r.version}-${r.release}.${r.arch}.rpm`));
  const dup = paths.find((p, i) => paths.indexOf(p) !== i);
  if (dup) throw new Error(`duplicate package ${path.basename(dup)}`);
  await mkdir(outDir, { recursive: true });
  const parallel = Math.max(1, Math.min(4, os.availableParallelism()));
  await limit(batches(normal), parallel, (b, i) => rpmbuild(outDir, b.arch, i, b.rpms, opts.build));
  if (opts.createrepo !== false) await createRepoMetadata(outDir);
  return paths;
}

export async function createRepoMetadata(dir: string): Promise<void> {
  await run('createrepo_c', ['--quiet', '--no-database', path.resolve(dir)]);
}

export interface SigningKey {
  gnupgHome: string;
  name: string;
  /** Long key id, 16 lower-case hex digits. */
  keyId: string;
}

/** A throwaway GPG key (no passphrase) in its own GNUPGHOME, for signing test RPMs. */
export async function createSigningKey(dir: string, name = 'odcs-flow test key'): Promise<SigningKey> {
  const gnupgHome = path.join(dir, 'gnupg');
  await mkdir(gnupgHome, { recursive: true, mode: 0o700 });
  const params = path.join(dir, 'key-params');
  await writeFile(params, `%no-protection\nKey-Type: RSA\nKey-Length: 2048\nKey-Usage: sign\nName-Real: ${name}\nExpire-Date: 0\n%commit\n`);
  const env = { ...process.env, GNUPGHOME: gnupgHome };
  await run('gpg', ['--batch', '--quiet', '--gen-key', params], { env });
  const listing = await run('gpg', ['--batch', '--list-keys', '--with-colons', name], { env });
  const keyId = /^pub:[^:]*:[^:]*:[^:]*:([0-9A-F]{16}):/m.exec(listing)?.[1];
  if (!keyId) throw new Error(`no key id for "${name}" in: ${listing}`);
  return { gnupgHome, name, keyId: keyId.toLowerCase() };
}

/** Signs RPM files in place with `rpmsign`. Re-run createrepo_c on their repository afterwards. */
export async function signRpms(files: string[], key: SigningKey): Promise<void> {
  await run('rpmsign', ['--define', '__gpg /usr/bin/gpg', '--define', `_gpg_name ${key.name}`, '--addsign', ...files], {
    env: { ...process.env, GNUPGHOME: key.gnupgHome },
  });
}
