// OpenAPI descriptions of the provider-cache routes (api/providers.ts), listed by api/openapi.ts
// with the others. Documentation only: the handlers validate their own input.
import { z } from '@hono/zod-openapi';
import { ErrorSchema } from '../core/api-schemas.js';
import { PROVIDER_NAMES } from '../core/providers/registry.js';
import { DASHBOARD_OPENAPI_ROUTES } from './dashboard-openapi.js';
import type { OpenApiRoute } from './openapi.js';

const json = (schema: z.ZodType, example?: unknown) => ({ 'application/json': { schema, ...(example !== undefined ? { example } : {}) } });
const error = (description: string) => ({ description, content: json(ErrorSchema) });
const names = z.string().optional();

const ReleasesSchema = z
  .object({
    fedora: z.object({
      stable: z.int(),
      branched: z.int().nullable(),
      rawhide: z.int(),
      values: z.array(z.int()).openapi({ description: 'Active Fedora versions, ascending, ending with rawhide.' }),
      branched_frozen: z.boolean(),
    }),
    epel: z.array(z.int()),
  });

const PackageEntrySchema = z
  .object({
    maintainers: z.object({ users: z.array(z.string()), groups: z.array(z.string()) }),
    data: z.object({
      bzs: z.array(z.record(z.string(), z.unknown())),
      prs: z.array(z.record(z.string(), z.unknown())),
      updates: z.array(z.record(z.string(), z.unknown())),
      overrides: z.array(z.record(z.string(), z.unknown())),
      koschei: z.array(z.record(z.string(), z.unknown())),
      orphans: z.object({ orphaned: z.boolean(), depends_on_orphaned: z.boolean(), orphaned_since: z.string().nullable() }),
      fails_to_install: z.array(z.unknown()),
      abrt_reports: z.object({ outstanding_problems: z.array(z.record(z.string(), z.unknown())), problems_present: z.boolean(), retrace_link: z.string() }),
      calendars: z.array(z.unknown()),
      package_versions: z.record(z.string(), z.object({ stable: z.string().nullable(), testing: z.string().nullable() })),
    }),
  });

const DashboardSchema = z
  .object({
    status: z.union([z.literal(200), z.literal(202), z.literal(204)]).openapi({ description: '200 complete, 202 partial, 204 nothing cached yet.' }),
    error: z.null(),
    packages: z.record(z.string(), PackageEntrySchema),
  });

const StartedSchema = z.object({
  provider: z.string(),
  package: z.string().nullable(),
  workflow_id: z.string(),
  run_id: z.string(),
  url: z.string().openapi({ description: 'The workflow in the Temporal UI.' }),
});

const list = (path: string, operationId: string, summary: string): OpenApiRoute => ({
  method: 'get',
  path,
  tags: ['provider caches'],
  operationId,
  summary,
  description: 'Empty until its provider has been fetched once (a refresh is then queued).',
  responses: { 200: { description: 'Sorted names.', content: json(z.array(z.string())) } },
});

export const PROVIDER_OPENAPI_ROUTES: OpenApiRoute[] = [
  {
    method: 'get',
    path: '/api/v1/releases',
    tags: ['provider caches'],
    operationId: 'releases',
    summary: 'Fedora and EPEL releases',
    description: 'From the `fedora_releases` cache (Bodhi). testcloud and the Packager Dashboard read it.',
    responses: {
      200: { description: 'The releases.', content: json(ReleasesSchema, { fedora: { stable: 41, branched: 42, rawhide: 43, values: [40, 41, 42, 43], branched_frozen: true }, epel: [8, 9] }) },
      503: error('Not cached yet; a refresh is queued (Retry-After: 30).'),
    },
  },
  {
    method: 'get',
    path: '/api/v2/packager_dashboard',
    tags: ['provider caches'],
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
  },
  list('/api/v1/packager_dashboard/all_fedora_packages', 'allFedoraPackages', 'Every Fedora package (autocomplete)'),
  list('/api/v1/packager_dashboard/all_fedora_packagers', 'allFedoraPackagers', 'Every Fedora packager (autocomplete)'),
  list('/api/v1/packager_dashboard/all_fedora_groups', 'allFedoraGroups', 'Every dist-git group (autocomplete)'),
  {
    method: 'get',
    path: '/api/v1/packager_dashboard_caching',
    tags: ['provider caches'],
    operationId: 'dashboardCaching',
    summary: 'How long per-user data stays warm',
    responses: { 200: { description: 'CACHE_VISIT_DAYS.', content: json(z.object({ visits_required_every_n_days: z.int() })) } },
  },
  {
    method: 'get',
    path: '/api/v1/versions/{pkg}',
    tags: ['provider caches'],
    operationId: 'packageVersions',
    summary: 'Stable and testing builds of one package per release',
    description: 'The dist-git versions table. Queues a refresh when missing or stale.',
    request: { params: z.object({ pkg: z.string().openapi({ description: 'Package name.' }) }) },
    responses: {
      200: {
        description: 'Cached (`status` 200).',
        content: json(
          z.object({
            status: z.literal(200),
            package: z.string(),
            versions: z.record(z.string(), z.object({ stable: z.string().nullable(), testing: z.string().nullable() })),
            last_synced: z.string().nullable(),
          }),
        ),
      },
      202: { description: 'Not cached yet (`status` 204, empty `versions`); poll again.' },
      400: error('Not a package name.'),
    },
  },
  {
    method: 'get',
    path: '/api/v1/providers',
    tags: ['provider caches'],
    operationId: 'providers',
    summary: 'Every provider: rows, size, age, staleness and last error',
    responses: { 200: { description: 'One entry per provider.', content: json(z.array(z.record(z.string(), z.unknown()))) } },
  },
  {
    method: 'post',
    path: '/api/v1/admin/refresh/{provider}',
    tags: ['provider caches'],
    operationId: 'refreshProvider',
    summary: 'Refresh a provider now (admins)',
    description: `Starts the refresh workflow (deterministic id: a running one is reused). \`all\` runs refresh-all. Providers: ${PROVIDER_NAMES.join(', ')} (or their short aliases).`,
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
  },
  {
    method: 'delete',
    path: '/api/v1/admin/cache',
    tags: ['provider caches'],
    operationId: 'clearCache',
    summary: 'Clear the provider cache (admins)',
    request: { query: z.object({ provider: z.string().optional().openapi({ description: 'Only providers whose name starts with this.' }) }) },
    responses: {
      200: { description: 'Rows deleted.', content: json(z.object({ deleted: z.int(), provider: z.string().nullable() })) },
      401: error('Not authenticated.'),
      403: error('Not an admin.'),
    },
  },
  ...DASHBOARD_OPENAPI_ROUTES,
];
