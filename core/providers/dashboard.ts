// GET /api/v2/packager_dashboard, assembled from cached rows (spec Part B section 3). Pure: the
// API reads the rows, this decides the packages, the body, its completeness status, and which keys
// must be refreshed (missing or stale) or marked as asked for.
import type { AbrtReports, PackageVersions } from './items.js';
import { isStale, PACKAGE_PROVIDERS, type IntervalKey, type ProviderName } from './registry.js';

/** One bug, pull request, update, override or Koschei entry, as its provider stored it. */
type Item = Record<string, unknown>;

export interface DashboardQuery {
  users: string[];
  groups: string[];
  packages: string[];
  requiredAcl: 'commit' | 'admin';
}

/** What the assembly needs of a cache row. */
export interface RowLike {
  data: unknown;
  time_created: Date | string | null;
  time_requested: Date | string | null;
}
export type RowLookup = (provider: string, arg: string) => RowLike | undefined;

/** The meta row of pagure_groups: every group, and each user's groups (from the groups' members). */
export interface GroupsMeta {
  groups: string[];
  /** user -> the groups they are a member of, sorted. */
  user_groups: Record<string, string[]>;
}

/** Global providers whose per-package rows go into each package's data. */
export const DASHBOARD_GLOBALS = ['bodhi_updates', 'bodhi_overrides', 'koschei_data', 'orphans', 'fails_to_install'] as const;

export const DEFAULT_ORPHANS = { orphaned: false, depends_on_orphaned: false, orphaned_since: null };
export const DEFAULT_ABRT: AbrtReports = { outstanding_problems: [], problems_present: false, retrace_link: '' };

export interface PackageEntry {
  maintainers: { users: string[]; groups: string[] };
  data: {
    bzs: Item[];
    prs: Item[];
    updates: Item[];
    overrides: Item[];
    koschei: Item[];
    orphans: { orphaned: boolean; depends_on_orphaned: boolean; orphaned_since: string | null } & Record<string, unknown>;
    fails_to_install: unknown[];
    abrt_reports: AbrtReports;
    calendars: unknown[];
    package_versions: PackageVersions;
  };
}

export interface DashboardBody {
  status: 200 | 202 | 204;
  error: null;
  packages: Record<string, PackageEntry>;
}

export interface KeyDemand {
  provider: ProviderName;
  arg: string;
  /** Refresh it: missing or stale. */
  queue: boolean;
  /** Record the visit (package providers, once per touchEverySeconds). */
  touch: boolean;
}

/** The meta rows and entity rows a query needs before its packages are known. */
export function resolutionKeys(q: DashboardQuery): Array<{ provider: ProviderName; arg: string }> {
  const keys: Array<{ provider: ProviderName; arg: string }> = [{ provider: 'packages_owners_json', arg: 'orphan' }];
  for (const p of DASHBOARD_GLOBALS) keys.push({ provider: p, arg: '' });
  if (q.users.length) {
    keys.push({ provider: 'packages_owners_json', arg: '' });
    for (const u of q.users) keys.push({ provider: 'packages_owners_json', arg: u });
  }
  if (q.groups.length) {
    keys.push({ provider: 'pagure_groups', arg: '' });
    for (const g of q.groups) keys.push({ provider: 'pagure_groups', arg: g });
  }
  return keys;
}

export interface Resolved {
  packages: string[];
  maintainers: Map<string, { users: string[]; groups: string[] }>;
  /** Users or groups asked for whose provider has never been fetched. */
  unresolved: boolean;
}

/** Users and groups to packages (required_acl: commit includes admin), plus the packages named. */
export function resolvePackages(q: DashboardQuery, row: RowLookup): Resolved {
  const maintainers = new Map<string, { users: string[]; groups: string[] }>();
  const entry = (pkg: string) => {
    let m = maintainers.get(pkg);
    if (!m) maintainers.set(pkg, (m = { users: [], groups: [] }));
    return m;
  };
  let unresolved = false;
  if (q.users.length) {
    if (row('packages_owners_json', '')?.data == null) unresolved = true;
    for (const u of q.users) {
      const pkgs = (row('packages_owners_json', u)?.data as string[] | null | undefined) ?? [];
      for (const pkg of pkgs) entry(pkg).users.push(u);
    }
  }
  if (q.groups.length) {
    if (row('pagure_groups', '')?.data == null) unresolved = true;
    for (const g of q.groups) {
      const acls = row('pagure_groups', g)?.data as { commit?: string[]; admin?: string[] } | null | undefined;
      const pkgs = q.requiredAcl === 'admin' ? (acls?.admin ?? []) : [...(acls?.commit ?? []), ...(acls?.admin ?? [])];
      for (const pkg of new Set(pkgs)) entry(pkg).groups.push(g);
    }
  }
  for (const pkg of q.packages) entry(pkg);
  return { packages: [...maintainers.keys()].sort(), maintainers, unresolved };
}

export interface AssembleOptions {
  intervals: Record<IntervalKey, number>;
  now: number;
  /** Mark a package row as asked for when its last mark is older than this. */
  touchEverySeconds: number;
  /** Providers that are off (no upstream URL): neither needed nor queued. */
  disabled?: ReadonlySet<ProviderName>;
}

/** The body, and what to refresh or mark. */
export function assembleDashboard(q: DashboardQuery, resolved: Resolved, row: RowLookup, o: AssembleOptions): { body: DashboardBody; demand: KeyDemand[] } {
  const demand: KeyDemand[] = [];
  const off = o.disabled ?? new Set<ProviderName>();
  const globalKeys: ProviderName[] = DASHBOARD_GLOBALS.filter((p) => !off.has(p));
  if (q.users.length) globalKeys.push('packages_owners_json');
  if (q.groups.length) globalKeys.push('pagure_groups');
  for (const p of globalKeys) {
    const meta = row(p, '');
    if (meta?.data == null || isStale(meta.time_created, p, o.intervals, o.now)) demand.push({ provider: p, arg: '', queue: true, touch: false });
  }
  const orphaned = new Set((row('packages_owners_json', 'orphan')?.data as string[] | null | undefined) ?? []);
  let needed = 0;
  let present = 0;
  const packages: Record<string, PackageEntry> = {};
  for (const pkg of resolved.packages) {
    // A global provider's entity row; absent means "nothing for this package" once the provider was fetched.
    const perGlobal = DASHBOARD_GLOBALS.map((p) => {
      if (off.has(p)) return null;
      needed++;
      if (row(p, '')?.data == null) return null;
      present++;
      return row(p, pkg)?.data ?? (p === 'orphans' ? null : []);
    });
    const perPackage = PACKAGE_PROVIDERS.map((p) => {
      if (off.has(p)) return null;
      needed++;
      const r = row(p, pkg);
      // Fetched once = has time_created (a package without a calendar is fetched, and null).
      const missing = r?.time_created == null;
      const stale = missing || isStale(r!.time_created, p, o.intervals, o.now);
      const touch = !r?.time_requested || o.now - new Date(r.time_requested).getTime() > o.touchEverySeconds * 1000;
      if (stale || touch) demand.push({ provider: p, arg: pkg, queue: stale, touch });
      if (missing) return null;
      present++;
      return r!.data;
    });
    const [updates, overrides, koschei, orphanItem, fti] = perGlobal as [Item[] | null, Item[] | null, Item[] | null, PackageEntry['data']['orphans'] | null, Item[] | null];
    const [versions, calendars, bzs, prs, abrt] = perPackage;
    const m = resolved.maintainers.get(pkg)!;
    packages[pkg] = {
      maintainers: { users: [...m.users].sort(), groups: [...m.groups].sort() },
      data: {
        bzs: (bzs as Item[] | null) ?? [],
        prs: (prs as Item[] | null) ?? [],
        updates: updates ?? [],
        overrides: overrides ?? [],
        koschei: koschei ?? [],
        orphans: orphanItem ?? { ...DEFAULT_ORPHANS, orphaned: orphaned.has(pkg) },
        fails_to_install: fti ?? [],
        abrt_reports: (abrt as AbrtReports | null) ?? { ...DEFAULT_ABRT },
        calendars: (calendars as Item[] | null) ?? [],
        package_versions: (versions as PackageVersions | null) ?? {},
      },
    };
  }
  let status: DashboardBody['status'];
  if (resolved.packages.length === 0) status = resolved.unresolved ? 204 : 200;
  else if (present === 0) status = 204;
  else status = resolved.unresolved || present < needed ? 202 : 200;
  return { body: { status, error: null, packages }, demand };
}
