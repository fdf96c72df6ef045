// Multilib rules as Pungi applies them for ODCS's `multilib_arches` / `multilib_method`: which
// arches are the compatible ("multilib") arches of a tree's arch, which of them a compose needs,
// and whether a package of such an arch goes into the tree by the requested methods (runtime,
// devel, all; none selects nothing). Pure functions over a package's name, arch, provides and
// full file list; also Koji's canonical arch (the name of a tag repository's arch directory).

export type MultilibMethod = 'none' | 'runtime' | 'devel' | 'all';

/** The compatible arches of a tree arch, best first (Pungi/rpm's multilib arch table). */
const COMPAT: Record<string, string[]> = {
  x86_64: ['i686', 'i586', 'i486', 'i386', 'athlon'],
  amd64: ['i686', 'i586', 'i486', 'i386', 'athlon'],
  ppc64: ['ppc'],
  s390x: ['s390'],
  sparc64: ['sparcv9v', 'sparcv9', 'sparcv8', 'sparc'],
};

export function compatArches(arch: string): string[] {
  return COMPAT[arch] ?? [];
}

const SELECTING = new Set<MultilibMethod>(['runtime', 'devel', 'all']);

/** The methods that select anything, from ODCS's multilib_method names (none and unknown names dropped). */
export function activeMultilibMethods(names: readonly string[]): MultilibMethod[] {
  return names.filter((m): m is MultilibMethod => SELECTING.has(m as MultilibMethod));
}

/**
 * The compatible arches whose packages a compose's trees may take: for each tree arch named in
 * multilib_arches, its compatible arches, when a method selects anything. Empty: no multilib.
 */
export function neededCompatArches(arches: readonly string[], multilibArches: readonly string[], methodNames: readonly string[]): string[] {
  if (!activeMultilibMethods(methodNames).length) return [];
  const wanted = new Set(multilibArches);
  return [...new Set(arches.filter((a) => wanted.has(a)).flatMap(compatArches))];
}

/** Koji's canonArch: its tag repositories have one directory per canonical arch (i686 RPMs under i386). */
export function kojiRepoArch(arch: string): string {
  if (/^i.86$/.test(arch) || arch === 'athlon') return 'i386';
  if (arch === 'ia32e') return 'x86_64';
  if (arch === 'ppc64le') return arch;
  if (arch.startsWith('ppc64')) return 'ppc64';
  if (arch.startsWith('sparc64')) return 'sparc64';
  if (arch.startsWith('sparc')) return 'sparc';
  if (arch.startsWith('alpha')) return 'alpha';
  if (/^arm.*h/.test(arch)) return 'armhfp';
  if (arch.startsWith('arm')) return 'arm';
  return arch;
}

export interface MultilibCandidate {
  name: string;
  arch: string;
  provides: Array<{ name: string }>;
  /** Full file list (filelists.xml), not only primary's subset. */
  files: string[];
}

// Pungi's runtime-blacklist/whitelist are site configuration; these are the defaults it ships.
const RUNTIME_WHITELIST = new Set(['libgnat', 'wine', 'wine-arts', 'valgrind', 'pulseaudio-utils']);
const RUNTIME_BLACKLIST = new Set(['tomcat-native']);
const DEVEL_BLACKLIST = new Set<string>();
const DEVEL_WHITELIST = new Set<string>();

const LIBDIRS = ['/lib', '/lib64', '/usr/lib', '/usr/lib64'];
/** Directories (under each lib dir) whose every file makes a package multilib ("-" in Pungi's runtime-patterns). */
const LIBDIR_ANY = ['security', 'sasl2', 'krb5/plugins', 'dri', 'vdpau', 'alsa-lib', 'gconv', 'pkcs11', 'gio/modules', 'gtk-2.0/modules', 'gtk-2.0/immodules', 'gtk-3.0/immodules', 'pango/1.6.0/modules'];
const ANY_DIRS = new Set(LIBDIRS.flatMap((l) => LIBDIR_ANY.map((d) => `${l}/${d}`)));
const SONAME_RE = /^(.+\.so\.[a-zA-Z0-9_.]+)/;
const DEBUG_RE = /-debug(info|source)(-|$)/;

/** Pungi's skip(): noarch, source and debug packages are never multilib. */
function skip(p: MultilibCandidate): boolean {
  return p.arch === 'noarch' || p.arch === 'src' || p.arch === 'nosrc' || DEBUG_RE.test(p.name);
}

const provides = (p: MultilibCandidate, name: string) => p.provides.some((d) => d.name === name);

/** runtime: shared libraries (exposed as soname provides) in the lib dirs, plug-in dirs, ld.so.conf.d. */
function runtime(p: MultilibCandidate): boolean {
  if (RUNTIME_BLACKLIST.has(p.name)) return false;
  if (RUNTIME_WHITELIST.has(p.name)) return true;
  if (provides(p, 'kernel')) return false;
  const sonames = new Set<string>();
  for (const d of p.provides) {
    const m = SONAME_RE.exec(d.name);
    if (m) sonames.add(m[1]);
  }
  for (const file of p.files) {
    const cut = file.lastIndexOf('/');
    const dir = file.slice(0, cut).replace(/\/+$/, '');
    const base = file.slice(cut + 1);
    const root = dir.replace(/^\/opt\/[^/]+\/[^/]+\/root(?=\/)/, ''); // Software Collections
    if (ANY_DIRS.has(root)) return true;
    if (LIBDIRS.includes(root) && /\.so\./.test(base) && sonames.has(base)) return true;
    if (root === '/etc/ld.so.conf.d' && base.endsWith('.conf')) return true;
  }
  return false;
}

/** devel: -devel and -static packages (by name or by what they provide), except kernel-devel and ghc-*. */
function devel(p: MultilibCandidate): boolean {
  if (DEVEL_BLACKLIST.has(p.name)) return false;
  if (DEVEL_WHITELIST.has(p.name)) return true;
  if (provides(p, 'kernel-devel')) return false;
  if (p.name.startsWith('ghc-')) return false;
  if (p.name.endsWith('-devel') || p.name.endsWith('-static')) return true;
  return p.provides.some((d) => d.name.endsWith('-devel') || d.name.endsWith('-static'));
}

/** The first of `methods` that selects the package, or null (Pungi's po_is_multilib). */
export function multilibMethodFor(p: MultilibCandidate, methods: readonly MultilibMethod[]): MultilibMethod | null {
  if (skip(p)) return null;
  for (const m of methods) {
    if (m === 'all' || (m === 'runtime' && runtime(p)) || (m === 'devel' && devel(p))) return m;
  }
  return null;
}

/** Does any method need full file lists (runtime looks at library paths)? */
export const needsFileLists = (methods: readonly MultilibMethod[]) => methods.includes('runtime');
