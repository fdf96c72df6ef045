// Pure dependency closure over package records. It mimics what Pungi's gather
// step does for an ODCS "tag" compose: take the requested packages from the
// source repos, pull in whatever their requires need, and treat lookaside
// repos as "already available" (they satisfy deps but are never copied).
import { compareEVR, formatDep, rangesOverlap } from './rpmvercmp.js';
import { StoredPackage } from './pkgstore.js';
import { isRich, parseRich, type RichDep } from './richdep.js';
import type { Dep, PackageRecord } from './types.js';

export interface Pool {
  /** Source packages after per-repo "latest EVR per name+arch" and name shadowing across repos. */
  sources: PackageRecord[];
  /** Lookaside packages (latest per name+arch in each repo). */
  lookaside: PackageRecord[];
  /** Index of the source repo each source package came from (lower wins ties); absent means 0, the first. */
  rank: Map<PackageRecord, number>;
}

export interface Unresolved {
  package: PackageRecord;
  /** The requirement as rpm would print it, e.g. "foo >= 2.0" or "(a or b)". */
  requirement: string;
}

export interface ArchSolution {
  arch: string;
  /** Packages that go into this arch's tree, sorted by name. */
  selected: PackageRecord[];
  /** Requested names that have no package for this arch. */
  missing: string[];
  /** Requires of selected packages not satisfied by selected + lookaside. */
  unresolved: Unresolved[];
}

export interface SolveOptions {
  arch: string;
  /** Requested names; empty means every source package of the arch. */
  packages: string[];
  noDeps: boolean;
  /**
   * Multilib for this tree: packages of the compatible `arches` whose native counterpart is in the
   * tree are added when `select` says so (core/multilib.ts), with their own dependencies.
   */
  multilib?: { arches: string[]; select: (p: PackageRecord) => boolean };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const isBinary = (p: PackageRecord) => p.arch !== 'src' && p.arch !== 'nosrc';
const newer = (a: PackageRecord, b: PackageRecord) =>
  compareEVR({ epoch: a.epoch, version: a.version, release: a.release }, { epoch: b.epoch, version: b.version, release: b.release });

/** Koji-like "latest build": the highest EVR per name+arch within one repo. */
function latestPerNameArch(pkgs: PackageRecord[]): PackageRecord[] {
  // By name, then arch: no key string per package (70,000 of them at Fedora's size).
  const best = new Map<string, PackageRecord | PackageRecord[]>();
  for (const p of pkgs) {
    if (!isBinary(p)) continue;
    const cur = best.get(p.name);
    if (cur === undefined) best.set(p.name, p);
    else if (!Array.isArray(cur)) {
      if (cur.arch !== p.arch) best.set(p.name, [cur, p]);
      else if (newer(p, cur) > 0) best.set(p.name, p);
    } else {
      const i = cur.findIndex((c) => c.arch === p.arch);
      if (i < 0) cur.push(p);
      else if (newer(p, cur[i]) > 0) cur[i] = p;
    }
  }
  const out: PackageRecord[] = [];
  for (const v of best.values()) {
    if (Array.isArray(v)) out.push(...v);
    else out.push(v);
  }
  return out;
}

/** Builds the candidate pool once per call; repos are given in precedence order. */
export function buildPool(sources: PackageRecord[][], lookaside: PackageRecord[][] = []): Pool {
  // Names of earlier repos (only kept while a later repo is to come).
  const seen = new Set<string>();
  let out: PackageRecord[] = [];
  const rank = new Map<PackageRecord, number>();
  sources.forEach((repo, index) => {
    const latest = latestPerNameArch(repo);
    // A name present in an earlier repo shadows the whole name here (tag inheritance).
    const kept = index === 0 ? latest : latest.filter((p) => !seen.has(p.name));
    if (index > 0) for (const p of kept) rank.set(p, index);
    if (index < sources.length - 1) for (const p of kept) seen.add(p.name);
    out = index === 0 ? kept : out.concat(kept);
  });
  return { sources: out, lookaside: lookaside.flatMap(latestPerNameArch), rank };
}

/** Does the tree contain an if/unless whose outcome may change as the selection grows? */
function hasCondition(node: RichDep): boolean {
  if (node.op === 'if' || node.op === 'unless') return true;
  return 'args' in node && node.args.some(hasCondition);
}

/** A map value of one package or several: most names have one provider, and an array costs more than its element. */
type OneOrMore = PackageRecord | PackageRecord[];

function addTo(map: Map<string, OneOrMore>, key: string, p: PackageRecord): void {
  const cur = map.get(key);
  if (cur === undefined) map.set(key, p);
  else if (cur === p) return;
  else if (!Array.isArray(cur)) map.set(key, [cur, p]);
  else if (cur[cur.length - 1] !== p) cur.push(p);
}

const each = (v: OneOrMore | undefined): readonly PackageRecord[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** rpm always provides "name = EVR"; the metadata may omit it. */
const selfProvide = (p: PackageRecord): Dep => ({ name: p.name, flags: 'EQ', epoch: p.epoch, version: p.version, release: p.release });

/**
 * Per-arch indexes over a pool's eligible packages. Read-only once built, so they are kept per
 * pool (composes from an unchanged, cached source share them; see poolFor in index.ts).
 */
class ArchIndex {
  readonly byName = new Map<string, PackageRecord>();
  readonly lookaside = new Set<PackageRecord>();
  /** Provided name -> the packages providing it (their own Dep entries say with which version). */
  readonly provides = new Map<string, OneOrMore>();
  readonly files = new Map<string, OneOrMore>();
  /** Multilib: one package per name of the compatible arches (best arch, then highest EVR). */
  readonly compatByName = new Map<string, PackageRecord>();
  readonly compat: Set<string>;

  constructor(pool: Pool, arch: string, compatArches: string[]) {
    this.compat = new Set(compatArches);
    const eligible = (p: PackageRecord) => p.arch === arch || p.arch === 'noarch';
    // One package per name per arch tree: highest EVR, arch-specific wins a tie.
    for (const p of pool.sources) {
      if (this.compat.has(p.arch)) {
        const cur = this.compatByName.get(p.name);
        const order = cur ? compatArches.indexOf(cur.arch) - compatArches.indexOf(p.arch) || newer(p, cur) : 1;
        if (order > 0) this.compatByName.set(p.name, p);
        continue;
      }
      if (!eligible(p)) continue;
      const cur = this.byName.get(p.name);
      const order = cur ? newer(p, cur) : 1;
      if (order > 0 || (order === 0 && cur!.arch === 'noarch')) this.byName.set(p.name, p);
    }
    for (const p of pool.lookaside) if (eligible(p) || this.compat.has(p.arch)) this.lookaside.add(p);
    const needed = requiredNames([...this.byName.values(), ...this.compatByName.values()]);
    for (const p of [...this.byName.values(), ...this.compatByName.values(), ...this.lookaside]) this.index(p, needed);
  }

  /** Indexes what some candidate requires: the solver asks only for those (most provides, at Fedora's size, nobody requires). */
  private index(p: PackageRecord, needed: Set<string>) {
    if (needed.has(p.name)) addTo(this.provides, p.name, p);
    eachName(p, 'provides', (name) => needed.has(name) && addTo(this.provides, name, p));
    eachName(p, 'files', (f) => needed.has(f) && addTo(this.files, f, p));
  }
}

/** Each name of a package's provides or requires, or each file; a parsed source's package gives them without making objects. */
function eachName(p: PackageRecord, list: 'provides' | 'requires' | 'files', fn: (name: string) => void): void {
  if (p instanceof StoredPackage) p.eachName(list, fn);
  else if (list === 'files') p.files.forEach(fn);
  else for (const d of p[list]) fn(d.name);
}

/** Does one of the package's provides named `name` pass `test`? */
const someProvide = (p: PackageRecord, name: string, test: (d: Dep) => boolean): boolean =>
  p instanceof StoredPackage ? p.someProvide(name, test) : p.provides.some((d) => d.name === name && test(d));

/** Every name the requires of `pkgs` can ask providers for: plain requires and the operands of rich ones. */
function requiredNames(pkgs: PackageRecord[]): Set<string> {
  const names = new Set<string>();
  const seen = new Set<string>();
  const walk = (node: RichDep): void => {
    if (node.op === 'dep') names.add(node.dep.name);
    else if ('args' in node) node.args.forEach(walk);
    else {
      walk(node.cond);
      walk(node.then);
      if (node.else) walk(node.else);
    }
  };
  const add = (name: string) => {
    if (!isRich(name)) names.add(name);
    else if (!seen.has(name)) {
      seen.add(name);
      try {
        walk(parseRich(name));
      } catch {
        // Unparsable: the solver reports it as unresolved without asking for providers.
      }
    }
  };
  for (const p of pkgs) eachName(p, 'requires', add);
  return names;
}

const indexes = new WeakMap<Pool, Map<string, ArchIndex>>();

function archIndex(pool: Pool, arch: string, compatArches: string[]): ArchIndex {
  let byKey = indexes.get(pool);
  if (!byKey) indexes.set(pool, (byKey = new Map()));
  const key = `${arch}|${compatArches.join(',')}`;
  let index = byKey.get(key);
  if (!index) byKey.set(key, (index = new ArchIndex(pool, arch, compatArches)));
  return index;
}

/** Per-arch solving state: the arch's indexes plus the growing selection. */
class ArchSolver {
  private readonly byName: Map<string, PackageRecord>;
  private readonly lookaside: Set<PackageRecord>;
  private readonly provides: Map<string, OneOrMore>;
  private readonly files: Map<string, OneOrMore>;
  private readonly compatByName: Map<string, PackageRecord>;
  private readonly compat: Set<string>;
  private readonly richCache = new Map<string, RichDep | Error>();
  private readonly providersOf = new Map<Dep, readonly PackageRecord[]>();
  readonly selected = new Set<PackageRecord>();
  private readonly queue: PackageRecord[] = [];
  /** Whose requires are being installed: a provider of the same kind (native or compat) is preferred. */
  private preferCompat = false;

  constructor(private readonly pool: Pool, arch: string, compatArches: string[] = []) {
    const index = archIndex(pool, arch, compatArches);
    this.byName = index.byName;
    this.lookaside = index.lookaside;
    this.provides = index.provides;
    this.files = index.files;
    this.compatByName = index.compatByName;
    this.compat = index.compat;
  }

  compatCandidate(name: string) {
    return this.compatByName.get(name);
  }

  candidate(name: string) {
    return this.byName.get(name) ?? this.compatByName.get(name);
  }

  allCandidates() {
    return [...this.byName.values()];
  }

  /** Providers of a requirement: fixed for the arch's candidates, so remembered per Dep (requirements are shared objects). */
  private providers(dep: Dep): readonly PackageRecord[] {
    let found = this.providersOf.get(dep);
    if (found === undefined) this.providersOf.set(dep, (found = this.findProviders(dep)));
    return found;
  }

  private findProviders(dep: Dep): PackageRecord[] {
    const out = new Set<PackageRecord>();
    for (const p of each(this.provides.get(dep.name))) {
      if ((p.name === dep.name && rangesOverlap(selfProvide(p), dep)) || someProvide(p, dep.name, (d) => rangesOverlap(d, dep))) out.add(p);
    }
    if (dep.name.startsWith('/')) for (const p of each(this.files.get(dep.name))) out.add(p);
    return [...out];
  }

  private available = (p: PackageRecord) => this.selected.has(p) || this.lookaside.has(p);

  private rich(name: string): RichDep | Error {
    let tree = this.richCache.get(name);
    if (!tree) {
      try {
        tree = parseRich(name);
      } catch (e) {
        tree = e as Error;
      }
      this.richCache.set(name, tree);
    }
    return tree;
  }

  /** Is the requirement met by what is selected now (plus lookaside)? */
  evaluate(node: RichDep): boolean {
    switch (node.op) {
      case 'dep':
        return this.providers(node.dep).some(this.available);
      case 'and':
        return node.args.every((a) => this.evaluate(a));
      case 'or':
        return node.args.some((a) => this.evaluate(a));
      case 'with':
      case 'without':
        return this.jointProviders(node).some(this.available);
      case 'if':
      case 'unless': {
        const holds = this.evaluate(node.cond) === (node.op === 'if');
        if (holds) return this.evaluate(node.then);
        return node.else ? this.evaluate(node.else) : true;
      }
    }
  }

  /** Single packages satisfying a "with"/"without" expression (operands must be simple deps). */
  private jointProviders(node: Extract<RichDep, { op: 'with' | 'without' }>): PackageRecord[] {
    const [first, ...rest] = node.args.map((a) => (a.op === 'dep' ? new Set(this.providers(a.dep)) : new Set<PackageRecord>()));
    if (node.op === 'with') return [...first].filter((p) => rest.every((s) => s.has(p)));
    return [...first].filter((p) => !rest[0].has(p));
  }

  /** Could the requirement be met by adding source packages? */
  private installable(node: RichDep): boolean {
    switch (node.op) {
      case 'dep':
        return this.providers(node.dep).length > 0;
      case 'and':
        return node.args.every((a) => this.installable(a));
      case 'or':
        return node.args.some((a) => this.installable(a));
      case 'with':
      case 'without':
        return this.jointProviders(node).length > 0;
      case 'if':
      case 'unless':
        return this.evaluate(node.cond) === (node.op === 'if') ? this.installable(node.then) : !node.else || this.installable(node.else);
    }
  }

  /** 1 when the package is of the other kind (native/compat) than the requiring one; noarch fits both. */
  private kindPenalty(p: PackageRecord): number {
    if (p.arch === 'noarch') return 0;
    return Number(this.compat.has(p.arch) !== this.preferCompat);
  }

  /** Deterministic choice: exact name, same kind as the requirer, repo precedence, highest EVR, shortest name. */
  private best(cands: readonly PackageRecord[], wanted: string): PackageRecord | undefined {
    const ok = cands.filter((p) => !this.lookaside.has(p));
    ok.sort(
      (a, b) =>
        Number(b.name === wanted) - Number(a.name === wanted) ||
        this.kindPenalty(a) - this.kindPenalty(b) ||
        (this.pool.rank.get(a) ?? 0) - (this.pool.rank.get(b) ?? 0) ||
        newer(b, a) ||
        a.name.length - b.name.length ||
        cmp(a.name, b.name),
    );
    return ok[0];
  }

  add(p: PackageRecord) {
    if (this.selected.has(p)) return;
    this.selected.add(p);
    this.queue.push(p);
  }

  /** Tries to satisfy a requirement by selecting packages. Unmet ones are reported by the final check. */
  private install(node: RichDep): void {
    if (this.evaluate(node)) return;
    switch (node.op) {
      case 'dep': {
        const p = this.best(this.providers(node.dep), node.dep.name);
        if (p) this.add(p);
        return;
      }
      case 'and':
        return node.args.forEach((a) => this.install(a));
      case 'or': {
        const pick = node.args.find((a) => this.installable(a));
        if (pick) this.install(pick);
        return;
      }
      case 'with':
      case 'without': {
        const first = node.args[0];
        const p = this.best(this.jointProviders(node), first.op === 'dep' ? first.dep.name : '');
        if (p) this.add(p);
        return;
      }
      case 'if':
      case 'unless':
        if (this.evaluate(node.cond) === (node.op === 'if')) this.install(node.then);
        else if (node.else) this.install(node.else);
        return;
    }
  }

  private tree(req: Dep): RichDep | Error {
    return isRich(req.name) ? this.rich(req.name) : { op: 'dep', dep: req };
  }

  /** Worklist closure. Conditional requires are revisited until nothing changes, since a later package may make their condition true. */
  close() {
    const conditional: RichDep[] = [];
    let head = 0;
    for (;;) {
      while (head < this.queue.length) {
        const p = this.queue[head++];
        this.preferCompat = this.compat.has(p.arch);
        for (const req of p.requires) {
          const t = this.tree(req);
          if (t instanceof Error) continue;
          if (hasCondition(t)) conditional.push(t);
          this.install(t);
        }
      }
      const before = this.selected.size;
      for (const t of conditional) this.install(t);
      if (this.selected.size === before) break;
    }
  }

  /** repoclosure-style check of the final selection against selected + lookaside. */
  unresolved(): Unresolved[] {
    const out: Unresolved[] = [];
    for (const p of this.selected) {
      for (const req of p.requires) {
        const t = this.tree(req);
        if (t instanceof Error || !this.evaluate(t)) out.push({ package: p, requirement: isRich(req.name) ? req.name : formatDep(req) });
      }
    }
    return out;
  }
}

const byName = (a: PackageRecord, b: PackageRecord) => cmp(a.name, b.name) || cmp(a.arch, b.arch);

/** `ps` sorted by name, then arch; each package's name and arch read once (a stored package reads them from its arrays). */
function sortedByName(ps: Iterable<PackageRecord>): PackageRecord[] {
  const keyed = Array.from(ps, (p) => ({ p, name: p.name, arch: p.arch }));
  keyed.sort((a, b) => cmp(a.name, b.name) || cmp(a.arch, b.arch));
  return keyed.map((k) => k.p);
}

/** Solves one arch tree: packages whose arch is `arch` or noarch; src rpms never. */
export function solve(pool: Pool, opts: SolveOptions): ArchSolution {
  const ml = opts.multilib;
  const s = new ArchSolver(pool, opts.arch, ml?.arches);
  const missing: string[] = [];
  if (opts.packages.length === 0) {
    for (const p of s.allCandidates()) s.add(p);
  } else {
    for (const name of new Set(opts.packages)) {
      const p = s.candidate(name);
      if (p) s.add(p);
      else missing.push(name);
    }
  }
  if (!opts.noDeps) s.close();
  // Multilib (Pungi's gather): the compat-arch build of each native package in the tree, when the
  // methods select it; their dependencies may bring more native packages, so repeat to a fixed point.
  while (ml) {
    const before = s.selected.size;
    for (const p of [...s.selected]) {
      if (p.arch !== opts.arch) continue;
      const c = s.compatCandidate(p.name);
      if (c && ml.select(c)) s.add(c);
    }
    if (!opts.noDeps) s.close();
    if (s.selected.size === before) break;
  }
  return {
    arch: opts.arch,
    selected: sortedByName(s.selected),
    missing: missing.sort(),
    unresolved: s.unresolved().sort((a, b) => byName(a.package, b.package) || cmp(a.requirement, b.requirement)),
  };
}
