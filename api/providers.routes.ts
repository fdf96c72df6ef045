// The routes of the provider-cache API (oraculum; handlers: api/providers.ts). Queries and path
// parameters are documented here and checked by the handlers, which keep their own messages.
import { createRoute, z } from '@hono/zod-openapi';
import { PROVIDER_NAMES } from '../core/providers/registry.js';
import { DashboardSchema, ReleasesSchema, StartedSchema, VersionsSchema } from '../core/schemas/providers.js';
import { ErrorSchema } from '../core/schemas/index.js';
import { adminOnly } from './auth.js';
import { json, WRITE_SECURITY } from './routing.js';

const tags = ['provider caches'];
const error = (description: string) => ({ description, content: json(ErrorSchema) });
const names = z.string().optional();

export const releases = createRoute({
  method: 'get',
  path: '/api/v1/releases',
  tags,
  operationId: 'releases',
  summary: 'Fedora and EPEL releases',
  description: 'From the `fedora_releases` cache (Bodhi). testcloud and the Packager Dashboard read it.',
  responses: {
    200: {
      description: 'The releases.',
      content: json(ReleasesSchema, {
        releases: { value: { fedora: { stable: 41, branched: 42, rawhide: 43, values: [40, 41, 42, 43], branched_frozen: true }, epel: [8, 9] } },
      }),
    },
    503: error('Not cached yet; a refresh is queued (Retry-After: 30).'),
  },
});

export const packagerDashboard = createRoute({
  method: 'get',
  path: '/api/v2/packager_dashboard',
  tags,
  operationId: 'packagerDashboard',
  summary: 'Packager Dashboard data',
  description:
    'Packages of the users (`users=orphan` included), of the groups (with `required_acl`) and the packages named, with their bugs, pull requests, updates, overrides, Koschei, ABRT reports and versions. Never waits on an upstream: missing or stale data is queued for refresh; every data field is present, with defaults, while partial.',
  request: {
    query: z.object({
      users: names.openapi({ description: 'Comma-separated FAS user names.' }),
      groups: names.openapi({ description: 'Comma-separated group names.' }),
      packages: names.openapi({ description: 'Comma-separated package names.' }),
      required_acl: z.enum(['commit', 'admin']).optional().openapi({ description: 'Group ACL a package needs (default commit; commit includes admin).' }),
    }),
  },
  responses: {
    200: { description: 'Complete (`status` 200).', content: json(DashboardSchema) },
    202: { description: 'Partial (`status` 202) or nothing cached yet (`status` 204); poll again.', content: json(DashboardSchema) },
    400: error('No users, groups or packages, a bad name, or a bad required_acl.'),
  },
});

const nameList = (path: string, operationId: string, summary: string) =>
  createRoute({
    method: 'get',
    path,
    tags,
    operationId,
    summary,
    description: 'Empty until its provider has been fetched once (a refresh is then queued).',
    responses: { 200: { description: 'Sorted names.', content: json(z.array(z.string())) } },
  });

/** The autocomplete lists: route, and the field of which provider's meta row they answer with. */
export const NAME_LISTS = [
  { route: nameList('/api/v1/packager_dashboard/all_fedora_packages', 'allFedoraPackages', 'Every Fedora package (autocomplete)'), provider: 'packages_owners_json', field: 'packages' },
  { route: nameList('/api/v1/packager_dashboard/all_fedora_packagers', 'allFedoraPackagers', 'Every Fedora packager (autocomplete)'), provider: 'packages_owners_json', field: 'packagers' },
  { route: nameList('/api/v1/packager_dashboard/all_fedora_groups', 'allFedoraGroups', 'Every dist-git group (autocomplete)'), provider: 'pagure_groups', field: 'groups' },
] as const;

export const dashboardCaching = createRoute({
  method: 'get',
  path: '/api/v1/packager_dashboard_caching',
  tags,
  operationId: 'dashboardCaching',
  summary: 'How long per-user data stays warm',
  responses: { 200: { description: 'CACHE_VISIT_DAYS.', content: json(z.object({ visits_required_every_n_days: z.int() })) } },
});

export const packageVersions = createRoute({
  method: 'get',
  path: '/api/v1/versions/{pkg}',
  tags,
  operationId: 'packageVersions',
  summary: 'Stable and testing builds of one package per release',
  description: 'The dist-git versions table. Queues a refresh when missing or stale.',
  request: { params: z.object({ pkg: z.string().openapi({ description: 'Package name.' }) }) },
  responses: {
    200: { description: 'Cached (`status` 200).', content: json(VersionsSchema) },
    202: { description: 'Not cached yet (`status` 204, empty `versions`); poll again.' },
    400: error('Not a package name.'),
  },
});

export const providers = createRoute({
  method: 'get',
  path: '/api/v1/providers',
  tags,
  operationId: 'providers',
  summary: 'Every provider: rows, size, age, staleness and last error',
  responses: { 200: { description: 'One entry per provider.', content: json(z.array(z.record(z.string(), z.unknown()))) } },
});

export const refreshProvider = createRoute({
  method: 'post',
  path: '/api/v1/admin/refresh/{provider}',
  tags,
  operationId: 'refreshProvider',
  summary: 'Refresh a provider now (admins)',
  description: `Starts the refresh workflow (deterministic id: a running one is reused). \`all\` runs refresh-all. Providers: ${PROVIDER_NAMES.join(', ')} (or their short aliases).`,
  security: WRITE_SECURITY,
  middleware: [adminOnly] as const,
  request: {
    params: z.object({ provider: z.string().openapi({ description: 'Provider name, alias, or `all`.' }) }),
    query: z.object({ package: z.string().optional().openapi({ description: 'One package of a package provider.' }) }),
  },
  responses: {
    202: { description: 'Started (or already running).', content: json(StartedSchema) },
    400: error('A package for a global provider, or a bad package name.'),
    401: error('Not authenticated.'),
    403: error('Not an admin.'),
    404: error('No such provider.'),
  },
});

export const clearCache = createRoute({
  method: 'delete',
  path: '/api/v1/admin/cache',
  tags,
  operationId: 'clearCache',
  summary: 'Clear the provider cache (admins)',
  security: WRITE_SECURITY,
  middleware: [adminOnly] as const,
  request: { query: z.object({ provider: z.string().optional().openapi({ description: 'Only providers whose name starts with this.' }) }) },
  responses: {
    200: { description: 'Rows deleted.', content: json(z.object({ deleted: z.int(), provider: z.string().nullable() })) },
    401: error('Not authenticated.'),
    403: error('Not an admin.'),
  },
});
