// Every provider module, by name.
import type { GlobalProvider, PackageProvider } from '../../core/providers/registry.js';
import { bodhiOverrides } from './bodhi-overrides.js';
import { bodhiUpdates } from './bodhi-updates.js';
import { bugs } from './bugzilla.js';
import { abrtReports } from './faf.js';
import { failsToInstall } from './fails-to-install.js';
import { fedoraReleases } from './fedora-releases.js';
import { koscheiData } from './koschei.js';
import { orphans } from './orphans.js';
import { packagesOwnersJson } from './owners.js';
import { packageCalendars } from './package-calendars.js';
import { packageVersions } from './package-versions.js';
import { pagureGroups } from './pagure-groups.js';
import { pullRequests } from './pagure-prs.js';
import { releaseSchedule } from './release-schedule.js';
import type { GlobalProviderModule, PackageProviderModule } from './types.js';

export const GLOBAL_MODULES: Record<GlobalProvider, GlobalProviderModule> = {
  fedora_releases: fedoraReleases,
  packages_owners_json: packagesOwnersJson,
  pagure_groups: pagureGroups,
  bodhi_updates: bodhiUpdates,
  bodhi_overrides: bodhiOverrides,
  koschei_data: koscheiData,
  orphans,
  fails_to_install: failsToInstall,
  release_schedule: releaseSchedule,
};

export const PACKAGE_MODULES: Record<PackageProvider, PackageProviderModule> = {
  package_versions_generic: packageVersions,
  package_calendars: packageCalendars,
  'packager-dashboard__all_package_bugs': bugs,
  packager_dashboard_package_prs: pullRequests,
  'packager-dashboard_abrt_issues': abrtReports,
};
