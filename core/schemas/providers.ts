// The provider-cache API (oraculum): the bodies of its answers.
import { z } from '@hono/zod-openapi';

export const ReleasesSchema = z
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

export const PackageEntrySchema = z
  .object({
    maintainers: z.object({ users: z.array(z.string()), groups: z.array(z.string()) }),
    data: z.object({
      bzs: z.array(z.record(z.string(), z.unknown())),
      prs: z.array(z.record(z.string(), z.unknown())),
      updates: z.array(z.record(z.string(), z.unknown())),
      overrides: z.array(z.record(z.string(), z.unknown())),
      koschei: z.array(z.record(z.string(), z.unknown())),
      orphans: z
        .looseObject({ orphaned: z.boolean(), depends_on_orphaned: z.boolean(), orphaned_since: z.string().nullable() })
        .openapi({ description: 'With the orphans provider on, also problematic_since, direct_dependencies, remote_dependencies, dot_graph and vis_js.' }),
      fails_to_install: z.array(z.unknown()),
      abrt_reports: z.object({ outstanding_problems: z.array(z.record(z.string(), z.unknown())), problems_present: z.boolean(), retrace_link: z.string() }),
      calendars: z.array(z.unknown()),
      package_versions: z.record(z.string(), z.object({ stable: z.string().nullable(), testing: z.string().nullable() })),
    }),
  });

export const DashboardSchema = z
  .object({
    status: z.union([z.literal(200), z.literal(202), z.literal(204)]).openapi({ description: '200 complete, 202 partial, 204 nothing cached yet.' }),
    error: z.null(),
    packages: z.record(z.string(), PackageEntrySchema),
  });

export const StartedSchema = z.object({
  provider: z.string(),
  package: z.string().nullable(),
  workflow_id: z.string(),
  run_id: z.string(),
  url: z.string().openapi({ description: 'The workflow in the Temporal UI.' }),
});

export const VersionsSchema = z.object({
  status: z.literal(200),
  package: z.string(),
  versions: z.record(z.string(), z.object({ stable: z.string().nullable(), testing: z.string().nullable() })),
  last_synced: z.string().nullable(),
});
