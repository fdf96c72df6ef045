// The provider caches (spec oraculum.md): names, scopes, dependency order, keys, intervals and
// staleness. Pure and zod-free, so the workflow bundle can import it (sdk-typescript #2227).
//
// Two kinds of provider:
// - global: one upstream snapshot, refreshed on its own Schedule. Stored as a meta row (arg '')
//   plus, for map-shaped data, one row per entity (arg = package, user or group), so a read of 300
//   packages touches 300 small rows through the primary key instead of a multi-megabyte document.
// - package: one row per package (arg = package name), fetched on demand for packages somebody
//   asked for, refreshed in the background while they keep asking (CACHE_VISIT_DAYS), deleted by
//   the garbage collector once nobody asked for CACHE_GC_DAYS.

export const GLOBAL_PROVIDERS = [
  'fedora_releases',
  'packages_owners_json',
  'pagure_groups',
  'bodhi_updates',
  'bodhi_overrides',
  'koschei_data',
  'orphans',
  'fails_to_install',
  'release_schedule',
] as const;

export const PACKAGE_PROVIDERS = [
  'package_versions_generic',
  'package_calendars',
  'packager-dashboard__all_package_bugs',
  'packager_dashboard_package_prs',
  'packager-dashboard_abrt_issues',
] as const;

export type GlobalProvider = (typeof GLOBAL_PROVIDERS)[number];
export type PackageProvider = (typeof PACKAGE_PROVIDERS)[number];
export type ProviderName = GlobalProvider | PackageProvider;

export const PROVIDER_NAMES: readonly ProviderName[] = [...GLOBAL_PROVIDERS, ...PACKAGE_PROVIDERS];

/** Short names accepted wherever a provider is named (CLI, admin API). */
export const PROVIDER_ALIASES: Record<string, ProviderName> = {
  releases: 'fedora_releases',
  owners: 'packages_owners_json',
  groups: 'pagure_groups',
  updates: 'bodhi_updates',
  overrides: 'bodhi_overrides',
  koschei: 'koschei_data',
  versions: 'package_versions_generic',
  fti: 'fails_to_install',
  schedule: 'release_schedule',
  calendars: 'package_calendars',
  bugs: 'packager-dashboard__all_package_bugs',
  prs: 'packager_dashboard_package_prs',
  abrt: 'packager-dashboard_abrt_issues',
};

export interface ProviderSpec {
  name: ProviderName;
  scope: 'global' | 'package';
  /** Providers whose data this one reads while refreshing. */
  dependsOn: ProviderName[];
  /** A Schedule of its own (globals and package versions); the others ride the package-caches one. */
  scheduled: boolean;
  /** Global providers whose data is one row per entity besides the meta row. */
  entityRows: boolean;
}

export const PROVIDERS: Record<ProviderName, ProviderSpec> = {
  fedora_releases: { name: 'fedora_releases', scope: 'global', dependsOn: [], scheduled: true, entityRows: false },
  packages_owners_json: { name: 'packages_owners_json', scope: 'global', dependsOn: [], scheduled: true, entityRows: true },
  pagure_groups: { name: 'pagure_groups', scope: 'global', dependsOn: [], scheduled: true, entityRows: true },
  bodhi_updates: { name: 'bodhi_updates', scope: 'global', dependsOn: ['fedora_releases'], scheduled: true, entityRows: true },
  bodhi_overrides: { name: 'bodhi_overrides', scope: 'global', dependsOn: ['fedora_releases'], scheduled: true, entityRows: true },
  koschei_data: { name: 'koschei_data', scope: 'global', dependsOn: ['fedora_releases'], scheduled: true, entityRows: true },
  orphans: { name: 'orphans', scope: 'global', dependsOn: [], scheduled: true, entityRows: true },
  fails_to_install: { name: 'fails_to_install', scope: 'global', dependsOn: ['fedora_releases'], scheduled: true, entityRows: true },
  release_schedule: { name: 'release_schedule', scope: 'global', dependsOn: [], scheduled: true, entityRows: false },
  package_calendars: { name: 'package_calendars', scope: 'package', dependsOn: [], scheduled: true, entityRows: false },
  package_versions_generic: {
    name: 'package_versions_generic',
    scope: 'package',
    dependsOn: ['fedora_releases', 'bodhi_updates'],
    scheduled: true,
    entityRows: false,
  },
  'packager-dashboard__all_package_bugs': {
    name: 'packager-dashboard__all_package_bugs',
    scope: 'package',
    dependsOn: ['fedora_releases'],
    scheduled: false,
    entityRows: false,
  },
  packager_dashboard_package_prs: {
    name: 'packager_dashboard_package_prs',
    scope: 'package',
    dependsOn: ['fedora_releases'],
    scheduled: false,
    entityRows: false,
  },
  'packager-dashboard_abrt_issues': {
    name: 'packager-dashboard_abrt_issues',
    scope: 'package',
    dependsOn: [],
    scheduled: false,
    entityRows: false,
  },
};

/**
 * The runbook of the seed SOP as phases: everything in a phase may run at once; a phase starts when
 * the previous one is over. Releases, then owners and groups (they say which packages are warm),
 * then updates, overrides, Koschei, orphans, fails-to-install, the release schedule and the
 * package calendars, then the per-package data: versions (they read the cached updates), bugs,
 * pull requests and ABRT reports. Package providers cover the packages asked for within
 * CACHE_VISIT_DAYS.
 */
export const REFRESH_PHASES: ProviderName[][] = [
  ['fedora_releases'],
  ['packages_owners_json', 'pagure_groups'],
  ['bodhi_updates', 'bodhi_overrides', 'koschei_data', 'orphans', 'fails_to_install', 'release_schedule', 'package_calendars'],
  ['package_versions_generic', 'packager-dashboard__all_package_bugs', 'packager_dashboard_package_prs', 'packager-dashboard_abrt_issues'],
];

/** The package providers without a Schedule of their own: the package-caches Schedule sweeps them. */
export const PACKAGE_CACHE_PROVIDERS: PackageProvider[] = PACKAGE_PROVIDERS.filter((p) => !PROVIDERS[p].scheduled);

/** Interval keys besides provider names, for PROVIDER_INTERVALS. */
export const SCHEDULE_KEYS = ['package_caches', 'garbage_collection'] as const;
export type IntervalKey = ProviderName | (typeof SCHEDULE_KEYS)[number];
export const INTERVAL_KEYS: readonly IntervalKey[] = [...PROVIDER_NAMES, ...SCHEDULE_KEYS];

export const DEFAULT_INTERVAL_SECONDS = 2 * 3600;
export const DEFAULT_GC_INTERVAL_SECONDS = 6 * 3600;

export function isProviderName(s: string): s is ProviderName {
  return (PROVIDER_NAMES as readonly string[]).includes(s);
}

/** A provider name or alias to the provider name; null when unknown. */
export function resolveProviderName(s: string): ProviderName | null {
  if (isProviderName(s)) return s;
  return Object.hasOwn(PROVIDER_ALIASES, s) ? PROVIDER_ALIASES[s] : null;
}

/** Providers whose upstream URL is not configured: never refreshed, their dashboard fields keep defaults. */
export function unconfiguredProviders(urls: { fti: string | null; schedule: string | null; calendars: string | null }): Set<ProviderName> {
  const off = new Set<ProviderName>();
  if (urls.fti === null) off.add('fails_to_install');
  if (urls.schedule === null) off.add('release_schedule');
  if (urls.calendars === null) off.add('package_calendars');
  return off;
}

export function isGlobal(p: ProviderName): p is GlobalProvider {
  return PROVIDERS[p].scope === 'global';
}

/** Every interval (seconds), defaults filled in. */
export function intervalsWithDefaults(overrides: Partial<Record<IntervalKey, number>>): Record<IntervalKey, number> {
  const out = {} as Record<IntervalKey, number>;
  for (const key of INTERVAL_KEYS) {
    out[key] = overrides[key] ?? (key === 'garbage_collection' ? DEFAULT_GC_INTERVAL_SECONDS : DEFAULT_INTERVAL_SECONDS);
  }
  return out;
}

/**
 * How old a row may be before a read queues a refresh. Scheduled data gets a quarter interval of
 * grace so that a read does not race the Schedule; on-demand package data is stale after the
 * package-caches interval.
 */
export function maxAgeSeconds(p: ProviderName, intervals: Record<IntervalKey, number>): number {
  const spec = PROVIDERS[p];
  const base = spec.scheduled ? intervals[p] : Math.min(intervals[p], intervals.package_caches);
  return Math.round(base * 1.25);
}

export function isStale(timeCreated: Date | string | null, p: ProviderName, intervals: Record<IntervalKey, number>, now: number): boolean {
  if (!timeCreated) return true;
  return now - new Date(timeCreated).getTime() > maxAgeSeconds(p, intervals) * 1000;
}

/**
 * Deterministic workflow ids: concurrent requests for one key attach to one run. The task queue
 * is part of the id, so stacks sharing a Temporal server never meet. Package names are
 * [A-Za-z0-9._+-] (isValidPackageName), so ids need no escaping.
 */
export function refreshWorkflowId(taskQueue: string, provider: ProviderName, arg?: string): string {
  return arg === undefined || arg === '' ? `oraculum-refresh-${taskQueue}-${provider}` : `oraculum-refresh-${taskQueue}-${provider}-${arg}`;
}
export const refreshAllWorkflowId = (taskQueue: string) => `oraculum-refresh-all-${taskQueue}`;
export const packageCachesWorkflowId = (taskQueue: string) => `oraculum-package-caches-${taskQueue}`;
export const garbageWorkflowId = (taskQueue: string) => `oraculum-gc-${taskQueue}`;

/** Schedule ids, one per scheduled provider plus the package caches and the garbage collector. */
export const providerScheduleId = (taskQueue: string, key: ProviderName | 'package_caches' | 'garbage_collection') =>
  `oraculum-${key}-${taskQueue}`;

/** Everything a refresh workflow needs from the configuration, carried in its input. */
export interface RefreshOptions {
  /** Task queue of the upstream-facing activities. */
  activityTaskQueue: string;
  /** Heartbeat timeout of a refresh activity (it heartbeats after every upstream answer). */
  heartbeatSeconds: number;
  /** Attempts of one refresh activity before the run fails (Temporal retries, with backoff). */
  attempts: number;
  /** First retry delay in seconds; doubles each attempt. */
  retrySeconds: number;
}

export interface RefreshInput {
  provider: ProviderName;
  /** A package (package providers); absent: the whole provider (for package providers, every package asked for recently). */
  arg?: string;
  options: RefreshOptions;
  /** Do nothing if the data was confirmed after this ISO time (a run that waited for another one). */
  skipIfRefreshedAfter?: string;
  /** Do not refresh missing dependencies first (refresh-all orders them itself). */
  noDependencies?: boolean;
  /** Continue-as-new cursor of a long package sweep. */
  after?: string;
  /** Totals carried over continue-as-new. */
  carried?: RefreshSummary;
}

export interface RefreshSummary {
  provider: ProviderName;
  arg?: string;
  /** "changed", "unchanged" (conditional requests said so), "skipped" or "swept" (package sweep). */
  outcome: 'changed' | 'unchanged' | 'skipped' | 'swept';
  /** Rows written or confirmed (entities of a global provider, packages of a sweep). */
  count: number;
  /** Package sweep: packages whose refresh failed (old data kept, error recorded on the row). */
  failed?: number;
}

/** The refresh options of a configuration (AppConfig.providers). */
export function refreshOptions(providers: {
  taskQueue: string;
  refreshAttempts: number;
  refreshRetrySeconds: number;
  upstream: { timeoutMs: number; backoffMs: number };
}): RefreshOptions {
  // The longest silence of a healthy activity: one request timing out, then the longest backoff.
  const gap = Math.ceil((providers.upstream.timeoutMs + Math.min(30_000, providers.upstream.backoffMs * 8)) / 1000);
  return {
    activityTaskQueue: providers.taskQueue,
    heartbeatSeconds: Math.max(120, 2 * gap),
    attempts: providers.refreshAttempts,
    retrySeconds: providers.refreshRetrySeconds,
  };
}

/** Package names as dist-git allows them. */
export function isValidPackageName(s: string): boolean {
  return s.length > 0 && s.length <= 200 && /^[A-Za-z0-9_+][A-Za-z0-9._+-]*$/.test(s);
}

/** User and group names (FAS) as the dashboard accepts them. */
export function isValidAccountName(s: string): boolean {
  return s.length > 0 && s.length <= 200 && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(s);
}
