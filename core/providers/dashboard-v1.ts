// The legacy v1 views (GET /api/v1/packager_dashboard/<user> and /package/<pkg>, spec Part B
// section 3): the v2 assembly regrouped as {static_info, bzs, prs, abrt_reports}, each section with
// its own completeness status (200 complete, 202 partial, 204 nothing yet; static_info 404 for a
// user who owns no package). Pure.
import { DASHBOARD_GLOBALS, type DashboardBody, type Resolved, type RowLookup } from './dashboard.js';
import type { ProviderName } from './registry.js';

type Status = 200 | 202 | 204 | 404;

export interface SectionV1 {
  status: Status;
  data: Record<string, unknown>;
}

export interface DashboardV1 {
  static_info: {
    status: Status;
    last_synced: string | null;
    data: {
      packages: string[];
      primary_packages: string[];
      group_packages: Record<string, string[]>;
      package_versions: Record<string, unknown>;
      calendars: Record<string, unknown[] | null>;
      orphans: Record<string, unknown>;
      fails_to_install: Record<string, unknown[]>;
      koschei: Record<string, unknown[]>;
      updates: Record<string, unknown[]>;
      overrides: Record<string, unknown[]>;
    };
  };
  bzs: SectionV1;
  prs: SectionV1;
  abrt_reports: SectionV1;
}

const STATIC_PACKAGE_PROVIDERS: ProviderName[] = ['package_versions_generic', 'package_calendars'];

export interface V1Options {
  /** The user of a user view (their own packages are primary_packages, their groups' are group_packages); null for a package view. */
  user: string | null;
  disabled: ReadonlySet<ProviderName>;
}

/** 200 when every (provider, package) is fetched, 204 when none is, 202 in between; 200 for no packages. */
function completeness(providers: ProviderName[], packages: string[], row: RowLookup, disabled: ReadonlySet<ProviderName>): 200 | 202 | 204 {
  let needed = 0;
  let present = 0;
  for (const p of providers) {
    if (disabled.has(p)) continue;
    const global = (DASHBOARD_GLOBALS as readonly string[]).includes(p);
    for (const pkg of packages) {
      needed++;
      if (global ? row(p, '')?.data != null : row(p, pkg)?.time_created != null) present++;
    }
  }
  if (needed === 0 || present === needed) return 200;
  return present === 0 ? 204 : 202;
}

/** {group: [its packages in this view]} for the groups of the query (a user view asks for the user's groups). */
export function groupPackages(resolved: Resolved): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const pkg of resolved.packages) for (const g of resolved.maintainers.get(pkg)?.groups ?? []) (out[g] ??= []).push(pkg);
  return Object.fromEntries(Object.keys(out).sort().map((g) => [g, out[g]]));
}

export function dashboardV1(v2: DashboardBody, resolved: Resolved, row: RowLookup, o: V1Options): DashboardV1 {
  const packages = resolved.packages;
  const pick = <K extends keyof DashboardBody['packages'][string]['data']>(field: K) =>
    Object.fromEntries(packages.map((pkg) => [pkg, v2.packages[pkg].data[field]]));
  const owners = row('packages_owners_json', '');
  let staticStatus: Status = completeness([...DASHBOARD_GLOBALS, ...STATIC_PACKAGE_PROVIDERS], packages, row, o.disabled);
  if (o.user !== null) {
    if (owners?.data == null) staticStatus = 204;
    else if (packages.length === 0) staticStatus = 404;
  }
  const section = (provider: ProviderName, field: 'bzs' | 'prs' | 'abrt_reports'): SectionV1 => ({
    status: completeness([provider], packages, row, o.disabled),
    data: pick(field),
  });
  return {
    static_info: {
      status: staticStatus,
      last_synced: owners?.time_created ? new Date(owners.time_created).toISOString() : null,
      data: {
        packages,
        primary_packages: o.user === null ? packages : packages.filter((pkg) => resolved.maintainers.get(pkg)?.users.includes(o.user!)),
        group_packages: groupPackages(resolved),
        package_versions: pick('package_versions'),
        // v1 keeps "no calendar" apart from "no events": null.
        calendars: Object.fromEntries(packages.map((pkg) => [pkg, (row('package_calendars', pkg)?.data as unknown[] | null | undefined) ?? null])),
        orphans: pick('orphans'),
        fails_to_install: pick('fails_to_install') as Record<string, unknown[]>,
        koschei: pick('koschei') as Record<string, unknown[]>,
        updates: pick('updates') as Record<string, unknown[]>,
        overrides: pick('overrides') as Record<string, unknown[]>,
      },
    },
    bzs: section('packager-dashboard__all_package_bugs', 'bzs'),
    prs: section('packager_dashboard_package_prs', 'prs'),
    abrt_reports: section('packager-dashboard_abrt_issues', 'abrt_reports'),
  };
}
