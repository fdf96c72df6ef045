// The compose JSON (spec Part B §2): its schema, one entry per field of core/compose-fields.ts,
// and examples as core/compose-json.ts produces them (test/unit/api-schemas.test.ts checks that).
import { z } from '@hono/zod-openapi';
import { COMPOSE_STATES, SOURCE_TYPES } from '../compose.js';
import type { ComposeJsonField } from '../compose-fields.js';
import { COMPOSE_FLAGS, COMPOSE_RESULTS, MULTILIB_METHODS } from '../flags.js';
import { namesOf, nullableDate, nullableInt, nullableString, numberTable as table, odcsDate } from './helpers.js';

const composeShape = {
  id: z.int().openapi({ description: 'Compose id.' }),
  owner: z.string().openapi({ description: 'Who asked for the compose (`unknown` under the noauth backend).' }),
  source_type: z.int().min(1).max(7).openapi({ description: `Source type number: ${table(SOURCE_TYPES)}.` }),
  source: z.string().openapi({ description: 'Space-separated sources (tag name, repository paths, ...); `""` for build composes.' }),
  state: z.int().min(0).max(4).openapi({ description: `State number: ${table(COMPOSE_STATES)}.` }),
  state_name: z.enum(namesOf(COMPOSE_STATES)).openapi({ description: 'State name.' }),
  state_reason: nullableString('Why the compose is in its state (e.g. `Compose is generated successfully`, or the failure).'),
  time_to_expire: odcsDate('When the compose will be removed'),
  time_submitted: odcsDate('When the compose was requested'),
  time_started: nullableDate('When generation started'),
  time_done: nullableDate('When the compose was done or failed'),
  time_removed: nullableDate('When the compose was removed'),
  removed_by: nullableString('Who asked for the removal, when someone did.'),
  result_repo: z.string().openapi({ description: 'URL of the repository directory; `""` off the default target_dir and for raw_config.' }),
  result_repofile: z.string().openapi({ description: 'URL of the `.repo` file; `""` off the default target_dir and for raw_config.' }),
  toplevel_url: z.string().openapi({ description: 'URL of the compose directory; `""` off the default target_dir.' }),
  flags: z.array(z.enum(namesOf(COMPOSE_FLAGS))).openapi({ description: 'Flag names, in bit order.' }),
  results: z.array(z.enum(namesOf(COMPOSE_RESULTS))).openapi({ description: 'Result names, in bit order (`repository` always).' }),
  sigkeys: z.string().openapi({ description: 'Space-separated signing key ids; `""` when unsigned packages are accepted.' }),
  koji_event: nullableInt('Koji event (odcs-flow: the source repositories\' metadata revision is recorded separately).'),
  koji_task_id: nullableInt('Koji task id (always null in odcs-flow).'),
  packages: nullableString('Space-separated package names.'),
  builds: nullableString('Space-separated build NVRs.'),
  arches: z.string().openapi({ description: 'Space-separated architectures.' }),
  multilib_arches: z.string().openapi({ description: 'Space-separated multilib architectures (`""` when none).' }),
  multilib_method: z.int().min(0).openapi({ description: `Multilib method bit set: ${table(MULTILIB_METHODS)}.` }),
  lookaside_repos: z.string().openapi({ description: 'Space-separated lookaside repository URLs (`""` when none).' }),
  modular_koji_tags: nullableString('Space-separated modular Koji tags.'),
  module_defaults_url: nullableString('`"<url> <commit>"` of the module defaults, when given.'),
  label: nullableString('Compose label.'),
  compose_type: z.string().openapi({ description: 'Compose type (`test` unless asked otherwise).' }),
  pungi_compose_id: nullableString('Pungi compose id, once generated (e.g. `odcs-1-1-20240115.t.0`).'),
  target_dir: z.string().openapi({ description: '`default`, a key of `extra_target_dirs`, or `unknown` when that key is no longer configured.' }),
  scratch_modules: nullableString('Space-separated scratch module NSVCs.'),
  parent_pungi_compose_ids: nullableString('Space-separated parent Pungi compose ids.'),
  scratch_build_tasks: nullableString('Space-separated scratch build task ids.'),
  modules: nullableString('Space-separated module NSVCs.'),
  respin_of: nullableString('Pungi compose id this compose is a respin of.'),
  base_module_br_name: nullableString('Base module buildrequire name.'),
  base_module_br_stream: nullableString('Base module buildrequire stream.'),
  base_module_br_stream_version_lte: nullableInt('Base module stream version upper bound.'),
  base_module_br_stream_version_gte: nullableInt('Base module stream version lower bound.'),
} satisfies { [K in ComposeJsonField]: z.ZodType }; // every field of the table, and no other

/** The compose JSON of lists, POST and PATCH (what composeToJson returns). */
export type ComposeJson = z.infer<typeof ComposeSchema>;
/** The compose JSON of GET /api/1/composes/{id}. */
export type ComposeDetailJson = z.infer<typeof ComposeDetailSchema>;

const tagComposeWait: z.infer<z.ZodObject<typeof composeShape>> = {
  arches: 'x86_64',
  base_module_br_name: null,
  base_module_br_stream: null,
  base_module_br_stream_version_gte: null,
  base_module_br_stream_version_lte: null,
  builds: null,
  compose_type: 'test',
  flags: [],
  id: 1,
  koji_event: null,
  koji_task_id: null,
  label: null,
  lookaside_repos: '',
  modular_koji_tags: null,
  module_defaults_url: null,
  modules: null,
  multilib_arches: '',
  multilib_method: 0,
  owner: 'unknown',
  packages: 'odcs-demo-app',
  parent_pungi_compose_ids: null,
  pungi_compose_id: null,
  removed_by: null,
  respin_of: null,
  result_repo: 'http://127.0.0.1:8080/composes/odcs-1/compose/Temporary',
  result_repofile: 'http://127.0.0.1:8080/composes/odcs-1/compose/Temporary/odcs-1.repo',
  results: ['repository'],
  scratch_build_tasks: null,
  scratch_modules: null,
  sigkeys: '',
  source: 'demo',
  source_type: 1,
  state: 0,
  state_name: 'wait',
  state_reason: null,
  target_dir: 'default',
  time_done: null,
  time_removed: null,
  time_started: null,
  time_submitted: '2024-01-15T10:00:00Z',
  time_to_expire: '2024-01-15T11:00:00Z',
  toplevel_url: 'http://127.0.0.1:8080/composes/odcs-1',
};

const tagComposeDone: z.infer<z.ZodObject<typeof composeShape>> = {
  ...tagComposeWait,
  pungi_compose_id: 'odcs-1-1-20240115.t.0',
  state: 2,
  state_name: 'done',
  state_reason: 'Compose is generated successfully',
  time_done: '2024-01-15T10:00:09Z',
  time_started: '2024-01-15T10:00:01Z',
  time_to_expire: '2024-01-15T11:00:09Z',
};

/** Examples of compose bodies, as composeToJson produces them (the unit test checks that). */
export const COMPOSE_EXAMPLES = {
  /** POST {"source":{"type":"tag","source":"demo","packages":["odcs-demo-app"]},"seconds_to_live":3600}. */
  tagWait: tagComposeWait,
  /** The same compose once generated. */
  tagDone: tagComposeDone,
  /** A compose of a local repository, failed because a package is missing. */
  repoFailed: {
    ...tagComposeWait,
    id: 2,
    source_type: 3,
    source: '/srv/repos/base',
    packages: 'odcs-demo-app missing-pkg',
    flags: ['check_deps'],
    state: 4,
    state_name: 'failed',
    state_reason: 'The following requested packages are not present in the generated compose: missing-pkg.',
    result_repo: 'http://127.0.0.1:8080/composes/odcs-2/compose/Temporary',
    result_repofile: 'http://127.0.0.1:8080/composes/odcs-2/compose/Temporary/odcs-2.repo',
    toplevel_url: 'http://127.0.0.1:8080/composes/odcs-2',
    time_submitted: '2024-01-15T10:05:00Z',
    time_started: '2024-01-15T10:05:01Z',
    time_done: '2024-01-15T10:05:04Z',
    time_to_expire: '2024-01-16T10:05:04Z',
  },
} satisfies Record<string, z.infer<z.ZodObject<typeof composeShape>>>;

export const ComposeSchema = z.strictObject(composeShape).openapi('Compose', {
  description: 'A compose as listed and as returned by POST and PATCH (spec Part B §2). Keys are sorted.',
  example: COMPOSE_EXAMPLES.tagWait,
});

export const ComposeDetailSchema = z
  .strictObject({
    ...composeShape,
    pungi_config_dump: nullableString('The Pungi configuration used (GET /api/1/composes/{id} only).'),
  })
  .openapi('ComposeDetail', {
    description: 'A compose as returned by GET /api/1/composes/{id}: the list form plus `pungi_config_dump`.',
    example: { ...COMPOSE_EXAMPLES.tagDone, pungi_config_dump: null },
  });

