// zod schemas of what the REST API sends and accepts, for the OpenAPI document (api/openapi.ts)
// and for tests. They DESCRIBE the wire format; requests are still validated by
// core/compose-request.ts and core/patch-request.ts, which keep ODCS's exact error messages.
// Pure: no I/O. Every example here is checked against its schema by test/unit/api-schemas.test.ts.
import { z } from '@hono/zod-openapi';
import { COMPOSE_STATES, SOURCE_TYPES } from './compose.js';
import { COMPOSE_FLAGS, COMPOSE_RESULTS, MULTILIB_METHODS, NO_FLAGS } from './flags.js';
import { ORDER_BY_KEYS } from './list-query.js';

const names = <T extends Record<string, unknown>>(table: T) => Object.keys(table) as [keyof T & string, ...(keyof T & string)[]];

export const SOURCE_TYPE_NAMES = names(SOURCE_TYPES);
export const STATE_NAMES = names(COMPOSE_STATES);
export const FLAG_NAMES = names(COMPOSE_FLAGS);
export const RESULT_NAMES = names(COMPOSE_RESULTS);
export const MULTILIB_METHOD_NAMES = names(MULTILIB_METHODS);

const table = (t: Record<string, number>) =>
  Object.entries(t)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');

/** ODCS dates: UTC, whole seconds. */
const ODCS_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const odcsDate = (description: string) =>
  z.string().regex(ODCS_DATE).openapi({ format: 'date-time', description: `${description} (\`YYYY-MM-DDTHH:MM:SSZ\`, UTC)` });
const nullableDate = (description: string) => odcsDate(description).nullable();
const nullableString = (description: string) => z.string().nullable().openapi({ description });
const nullableInt = (description: string) => z.int().nullable().openapi({ description });

const CHARSET_NOTE =
  'Strings may hold only alphanumerics and the characters ` -/_.:#+?$~^` (items of `packages` are exempt); anything else is a 400.';

// ---------------------------------------------------------------------------------------------
// Compose JSON (spec Part B §2, core/compose-json.ts)

const composeShape = {
  id: z.int().openapi({ description: 'Compose id.' }),
  owner: z.string().openapi({ description: 'Who asked for the compose (`unknown` under the noauth backend).' }),
  source_type: z.int().min(1).max(7).openapi({ description: `Source type number: ${table(SOURCE_TYPES)}.` }),
  source: z.string().openapi({ description: 'Space-separated sources (tag name, repository paths, ...); `""` for build composes.' }),
  state: z.int().min(0).max(4).openapi({ description: `State number: ${table(COMPOSE_STATES)}.` }),
  state_name: z.enum(STATE_NAMES).openapi({ description: 'State name.' }),
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
  flags: z.array(z.enum(FLAG_NAMES)).openapi({ description: 'Flag names, in bit order.' }),
  results: z.array(z.enum(RESULT_NAMES)).openapi({ description: 'Result names, in bit order (`repository` always).' }),
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
};

export type ComposeJsonBody = z.infer<typeof ComposeSchema>;

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

// ---------------------------------------------------------------------------------------------
// List (spec Part B "List", core/list-query.ts)

export const PageMetaSchema = z
  .strictObject({
    page: z.int().min(1).openapi({ description: 'This page (1-based).' }),
    pages: z.int().min(0).openapi({ description: 'Number of pages.' }),
    per_page: z.int().min(0).openapi({ description: 'Items per page.' }),
    total: z.int().min(0).openapi({ description: 'Number of matching composes.' }),
    first: z.string().openapi({ description: 'Absolute URL of the first page, keeping the other query arguments.' }),
    last: z.string().openapi({ description: 'Absolute URL of the last page.' }),
    prev: z.string().nullable().openapi({ description: 'Absolute URL of the previous page, null on the first.' }),
    next: z.string().nullable().openapi({ description: 'Absolute URL of the next page, null on the last.' }),
  })
  .openapi('PageMeta', { description: 'Flask-SQLAlchemy style paging metadata.' });

export const LIST_EXAMPLE = {
  items: [COMPOSE_EXAMPLES.tagDone],
  meta: {
    page: 1,
    pages: 1,
    per_page: 10,
    total: 1,
    first: 'http://127.0.0.1:8080/api/1/composes/?page=1&per_page=10&source_type=tag',
    last: 'http://127.0.0.1:8080/api/1/composes/?page=1&per_page=10&source_type=tag',
    prev: null,
    next: null,
  },
};

export const ComposeListSchema = z
  .strictObject({
    items: z.array(ComposeSchema),
    meta: PageMetaSchema,
  })
  .openapi('ComposeList', { description: 'A page of composes (list items omit `pungi_config_dump`).', example: LIST_EXAMPLE });

const ORDER_BY_VALUES = [...ORDER_BY_KEYS, ...ORDER_BY_KEYS.map((k) => `-${k}` as const)] as [string, ...string[]];

/** GET /api/1/composes/ query. Filters are exact-match and ignored when empty. */
export const ListQuerySchema = z.object({
  owner: z.string().optional().openapi({ description: 'Owner name.', example: 'unknown' }),
  source_type: z
    .union([z.enum(SOURCE_TYPE_NAMES), z.int()])
    .optional()
    .openapi({ description: `Source type, by name or number (${table(SOURCE_TYPES)}).`, example: 'tag' }),
  source: z.string().optional().openapi({ description: 'Source, exactly as stored (space-separated, sorted).', example: 'demo' }),
  state: z
    .union([z.enum(STATE_NAMES), z.int()])
    .optional()
    .openapi({ description: `State, by name or number (${table(COMPOSE_STATES)}).`, example: 'done' }),
  koji_task_id: z.int().optional().openapi({ description: 'Koji task id.' }),
  pungi_compose_id: z.string().optional().openapi({ description: 'Pungi compose id.', example: 'odcs-1-1-20240115.t.0' }),
  compose_type: z.string().optional().openapi({ description: 'Compose type.', example: 'test' }),
  label: z.string().optional().openapi({ description: 'Compose label.' }),
  order_by: z
    .enum(ORDER_BY_VALUES)
    .optional()
    .openapi({ description: 'Sort key, `-` for descending; default `-id`. (`source_Type` is ODCS\'s own spelling.)', example: '-id' }),
  page: z.int().optional().openapi({ description: 'Page number; default 1, values below 1 mean 1.', example: 1 }),
  per_page: z.int().optional().openapi({ description: 'Items per page; default 10, at most 100, negative means 20.', example: 10 }),
});

// ---------------------------------------------------------------------------------------------
// Errors (spec Part B §1)

export const ErrorSchema = z
  .strictObject({
    status: z.int().min(400).max(599).openapi({ description: 'The HTTP status again.' }),
    error: z.string().openapi({ description: 'The reason phrase, e.g. `Bad Request`.' }),
    message: z.string().openapi({ description: 'What went wrong (ODCS\'s own texts).' }),
  })
  .openapi('Error', {
    description: 'The body of every error.',
    example: { status: 404, error: 'Not Found', message: 'No such compose found.' },
  });

export type ErrorJsonBody = z.infer<typeof ErrorSchema>;

const err = (status: number, error: string, message: string): ErrorJsonBody => ({ status, error, message });

/** Error bodies the API really sends (unit tests reproduce each message from the code that emits it). */
export const ERROR_EXAMPLES = {
  notFound: err(404, 'Not Found', 'No such compose found.'),
  renewNotFound: err(404, 'Not Found', 'No compose with id 1 found'),
  badOrderBy: err(
    400,
    'Bad Request',
    "An invalid order_by key was suplied, allowed keys are: ['id', 'owner', 'source_Type', 'koji_event', 'state', 'time_to_expire', 'time_submitted', 'time_done', 'time_removed']",
  ),
  badState: err(400, 'Bad Request', "Invalid state 'finished'."),
  noBody: err(400, 'Bad Request', 'No JSON POST data submitted'),
  missingType: err(400, 'Bad Request', "Missing type in source configuration, received: {'source': 'demo'}"),
  unknownFlag: err(400, 'Bad Request', "('Unknown flag %s', 'fast')"),
  badJson: err(400, 'Bad Request', 'Failed to decode JSON object: Unexpected end of JSON input'),
  forbiddenSourceType: err(403, 'Forbidden', 'User unknown not allowed to operate with compose with source_types=module.'),
  deleteNotRemovable: err(400, 'Bad Request', "Compose (id=1) can not be removed, its state need to be in ['done', 'failed']."),
  tooLarge: err(413, 'Payload Too Large', 'Request body is larger than 1048576 bytes.'),
  badEventsQuery: err(400, 'Bad Request', 'compose_id must be a non-negative integer, got "abc"'),
  databaseDown: err(503, 'Service Unavailable', 'The database is unavailable, try again later.'),
  temporalDown: err(503, 'Service Unavailable', 'The workflow service (Temporal) is unavailable, try again later.'),
  fileNotFound: err(404, 'Not Found', 'The requested URL /composes/odcs-9/compose/Temporary/odcs-9.repo was not found on the server.'),
};

// ---------------------------------------------------------------------------------------------
// POST body (spec Part B "POST body")

const stringList = (description: string) => z.array(z.string()).openapi({ description });

export const ComposeSourceSchema = z
  .looseObject({
    type: z.enum(SOURCE_TYPE_NAMES).openapi({ description: 'Source type (required).' }),
    source: z
      .string()
      .optional()
      .openapi({ description: 'Space-separated sources: a tag, repository paths, module N:S[:V[:C]]s, `name#commit` (raw_config), ... Empty only for `build`.' }),
    packages: stringList('Packages to include (their dependencies follow unless `no_deps`).').optional(),
    builds: stringList('Build NVRs (`build` composes).').optional(),
    sigkeys: stringList('Signing key ids; default: the server\'s `sigkeys`.').optional(),
    koji_event: z.int().optional().openapi({ description: 'Koji event to compose from.' }),
    modular_koji_tags: stringList('Modular Koji tags.').optional(),
    scratch_modules: stringList('Scratch module NSVCs.').optional(),
    scratch_build_tasks: stringList('Scratch build task ids.').optional(),
    modules: stringList('Module NSVCs.').optional(),
    module_defaults_url: z.string().optional().openapi({ description: 'Module defaults git URL (with `module_defaults_commit`).' }),
    module_defaults_commit: z.string().optional().openapi({ description: 'Module defaults commit (with `module_defaults_url`).' }),
    base_module_br_name: z.string().optional().openapi({ description: 'Base module buildrequire name.' }),
    base_module_br_stream: z.string().optional().openapi({ description: 'Base module buildrequire stream.' }),
    base_module_br_stream_version_lte: z.int().optional().openapi({ description: 'Base module stream version upper bound.' }),
    base_module_br_stream_version_gte: z.int().optional().openapi({ description: 'Base module stream version lower bound.' }),
  })
  .openapi('ComposeSource', {
    description: `What to compose. Lists are stored space-joined; unknown keys are ignored. ${CHARSET_NOTE}`,
  });

const secondsToLive = z
  .int()
  .optional()
  .openapi({ description: 'Lifetime in seconds after the compose is done; missing or 0 means the server default, larger than the maximum means the maximum.' });

export const ComposeRequestSchema = z
  .looseObject({
    source: ComposeSourceSchema,
    seconds_to_live: secondsToLive,
    'seconds-to-live': z.int().optional().openapi({ description: 'Legacy spelling of `seconds_to_live` (the Python client sends it); read when `seconds_to_live` is absent.' }),
    flags: z
      .array(z.enum([...FLAG_NAMES, NO_FLAGS]))
      .optional()
      .openapi({ description: `Flags; \`${NO_FLAGS}\` means none.` }),
    results: z.array(z.enum(RESULT_NAMES)).optional().openapi({ description: 'Extra results; `repository` is always made.' }),
    arches: stringList('Architectures; default: the server\'s `arches`.').optional(),
    multilib_arches: stringList('Multilib architectures.').optional(),
    multilib_method: z.array(z.enum(MULTILIB_METHOD_NAMES)).optional().openapi({ description: 'Multilib methods, OR-ed together.' }),
    lookaside_repos: stringList('Lookaside repository URLs.').optional(),
    parent_pungi_compose_ids: stringList('Parent Pungi compose ids.').optional(),
    label: z.string().optional().openapi({ description: 'Compose label.' }),
    compose_type: z.string().optional().openapi({ description: 'Compose type; default `test`.' }),
    target_dir: z.string().optional().openapi({ description: '`default` or a key of the server\'s `extra_target_dirs`.' }),
    respin_of: z.string().optional().openapi({ description: 'Pungi compose id this compose respins.' }),
  })
  .openapi('ComposeRequest', {
    description: `POST /api/1/composes/ body. Any Content-Type is read as JSON; unknown keys are ignored. ${CHARSET_NOTE}`,
  });

export type ComposeRequestBody = z.infer<typeof ComposeRequestSchema>;

export const POST_EXAMPLES = {
  tag: {
    summary: 'Tag compose of the demo tag',
    value: { source: { type: 'tag', source: 'demo', packages: ['odcs-demo-app'] }, seconds_to_live: 3600 },
  },
  pythonClient: {
    summary: 'As the Python client sends it (legacy seconds-to-live)',
    value: {
      source: { type: 'tag', source: 'demo', packages: ['odcs-demo-app'], sigkeys: [] },
      flags: ['no_deps'],
      arches: ['x86_64'],
      'seconds-to-live': 7200,
      label: 'demo-1',
    },
  },
  repo: {
    summary: 'Compose of a local repository, checking dependencies',
    value: { source: { type: 'repo', source: '/srv/repos/base', packages: ['odcs-demo-app'] }, flags: ['check_deps'] },
  },
  build: {
    summary: 'Build compose from NVRs',
    value: { source: { type: 'build', builds: ['odcs-demo-app-1.0-1'] }, compose_type: 'test' },
  },
} satisfies Record<string, { summary: string; value: ComposeRequestBody }>;

// ---------------------------------------------------------------------------------------------
// PATCH body (spec Part B "PATCH (renew)")

export const RenewRequestSchema = z
  .looseObject({
    seconds_to_live: secondsToLive,
    'seconds-to-live': z.int().optional().openapi({ description: 'Legacy spelling of `seconds_to_live`.' }),
    sigkeys: stringList('New signing keys; different keys make a copy.').optional(),
    label: z.string().optional().openapi({ description: 'New label; a different label makes a copy.' }),
    source: z
      .looseObject({
        modules: stringList('Modules for the copy.').optional(),
        builds: stringList('Builds for the copy.').optional(),
      })
      .optional()
      .openapi({ description: 'Giving `modules` or `builds` makes a copy.' }),
  })
  .openapi('RenewRequest', {
    description:
      'PATCH /api/1/composes/{id} body (optional). A done compose is extended to max(current, now + seconds_to_live); a removed or failed one, or one renewed with other sigkeys, label, modules or builds, is copied into a new compose.',
  });

export const PATCH_EXAMPLES = {
  extend: { summary: 'Extend by two hours', value: { seconds_to_live: 7200 } },
  relabel: { summary: 'Copy with another label', value: { label: 'demo-2', seconds_to_live: 3600 } },
} satisfies Record<string, { summary: string; value: z.infer<typeof RenewRequestSchema> }>;

// ---------------------------------------------------------------------------------------------
// DELETE

export const DeleteResponseSchema = z
  .strictObject({
    status: z.literal(202),
    message: z.string(),
  })
  .openapi('DeleteAccepted', {
    description: 'A waiting compose is canceled; a done or failed one expires now and is removed within seconds.',
    example: {
      status: 202,
      message: 'The delete request for compose (id=1) has been accepted and will be processed by backend later.',
    },
  });

export const DELETE_EXAMPLES = {
  removed: {
    summary: 'Removal of a done compose',
    value: { status: 202 as const, message: 'The delete request for compose (id=1) has been accepted and will be processed by backend later.' },
  },
  canceled: { summary: 'Cancel of a waiting compose', value: { status: 202 as const, message: 'Compose (id=1) has been canceled' } },
};

// ---------------------------------------------------------------------------------------------
// About

const ClientPermissionsSchema = z
  .strictObject({
    source_types: z.array(z.string()).optional(),
    sources: z.array(z.string()).optional(),
    results: z.array(z.string()).optional(),
    flags: z.array(z.string()).optional(),
    arches: z.array(z.string()).optional(),
    compose_types: z.array(z.string()).optional(),
    target_dirs: z.array(z.string()).optional(),
    raw_config_keys: z.array(z.string()).optional(),
  })
  .openapi('ClientPermissions', { description: 'Per-attribute permissions; a missing list falls back to the server\'s allowed_<attr>.' });

export const AboutSchema = z
  .strictObject({
    version: z.string().openapi({ description: 'Server version.' }),
    auth_backend: z.enum(['noauth', 'openidc', 'header']).openapi({ description: 'Authentication backend.' }),
    allowed_clients: z
      .strictObject({
        groups: z.record(z.string(), ClientPermissionsSchema),
        users: z.record(z.string(), ClientPermissionsSchema),
      })
      .openapi({ description: 'Users and groups allowed to create and renew composes, with their permissions.' }),
    raw_config_urls: z
      .record(z.string(), z.looseObject({ url: z.string(), config_filename: z.string() }))
      .openapi({ description: 'raw_config sources by name.' }),
    sigkeys: z.array(z.string()).openapi({ description: 'Default signing keys.' }),
  })
  .openapi('About', {
    description: 'Server configuration, in ODCS\'s shape.',
    example: { version: '0.1.0', auth_backend: 'noauth', allowed_clients: { groups: {}, users: {} }, raw_config_urls: {}, sigkeys: [] },
  });

// ---------------------------------------------------------------------------------------------
// Health

export const HealthSchema = z.strictObject({ status: z.literal('ok') }).openapi('Health', { example: { status: 'ok' } });

const CheckSchema = z
  .strictObject({ ok: z.boolean(), error: z.string().optional() })
  .openapi('DependencyCheck', { description: 'One dependency\'s answer; `error` says why it is down.' });
const ChecksSchema = z.strictObject({ postgres: CheckSchema, temporal: CheckSchema });
const ReadyDetailsSchema = z
  .strictObject({
    composeRoot: z.strictObject({
      usageBytes: z.number().int().nullable().openapi({ description: 'Bytes the compose trees take (null while PostgreSQL is down).' }),
      limitBytes: z.number().int().nullable().openapi({ description: 'COMPOSE_ROOT_LIMIT, or null for no limit.' }),
    }),
    workflowStarts: z
      .strictObject({
        pending: z.number().int().openapi({ description: 'Workflow starts and signals committed in PostgreSQL, not yet delivered to Temporal.' }),
        oldestSeconds: z.number().openapi({ description: 'Age of the oldest of them (0 when none).' }),
      })
      .nullable()
      .openapi({ description: 'null while PostgreSQL is down.' }),
  })
  .openapi('ReadyDetails', { description: 'Reported, never a readiness failure: a full compose root makes generations wait.' });

export const ReadySchema = z
  .strictObject({ status: z.literal('ready'), checks: ChecksSchema, details: ReadyDetailsSchema })
  .openapi('Ready', {
    example: {
      status: 'ready',
      checks: { postgres: { ok: true }, temporal: { ok: true } },
      details: { composeRoot: { usageBytes: 10485760, limitBytes: 536870912000 }, workflowStarts: { pending: 0, oldestSeconds: 0 } },
    },
  });

export const NotReadySchema = z
  .strictObject({
    status: z.literal(503),
    error: z.literal('Service Unavailable'),
    message: z.string(),
    down: z.array(z.enum(['postgres', 'temporal'])),
    checks: ChecksSchema,
    details: ReadyDetailsSchema,
  })
  .openapi('NotReady', {
    description: 'The error body plus what is down.',
    example: {
      status: 503,
      error: 'Service Unavailable',
      message: 'not ready: temporal unavailable',
      down: ['temporal'],
      checks: { postgres: { ok: true }, temporal: { ok: false, error: 'Temporal did not answer within 2000 ms' } },
      details: { composeRoot: { usageBytes: 10485760, limitBytes: null }, workflowStarts: { pending: 12, oldestSeconds: 40.5 } },
    },
  });

// ---------------------------------------------------------------------------------------------
// Events (GET /api/1/events: server-sent events from the outbox)

export const ComposeEventSchema = z
  .strictObject({
    event: z.literal('state-changed'),
    compose: ComposeSchema,
  })
  .openapi('ComposeEvent', {
    description:
      'The `data` of each `state-changed` event (also the message published on topic `odcs.compose.state-changed`). The SSE `id` is the outbox id: resume with `Last-Event-ID`.',
    example: { event: 'state-changed', compose: COMPOSE_EXAMPLES.tagDone },
  });

export const EventsReadySchema = z
  .strictObject({ last_event_id: z.int().min(0) })
  .openapi('EventsReady', {
    description: 'The `data` of the first event, `ready`: the outbox position the stream starts after.',
    example: { last_event_id: 41 },
  });

export const EventsQuerySchema = z.object({
  compose_id: z.int().min(0).optional().openapi({ description: 'Only the events of this compose.', example: 1 }),
  last_event_id: z
    .int()
    .min(0)
    .optional()
    .openapi({ description: 'Resume after this event id (for clients that cannot send the `Last-Event-ID` header); default: from now on.' }),
});

export const EventsHeadersSchema = z.object({
  'last-event-id': z.string().regex(/^\d+$/).optional().openapi({ description: 'Resume after this event id (sent by EventSource on reconnect).', example: '41' }),
});

/** The event stream as it is written (what EventSource receives), for the docs. */
export const EVENT_STREAM_EXAMPLE = [
  'id: 41',
  'event: ready',
  'data: {"last_event_id":41}',
  '',
  'id: 42',
  'event: state-changed',
  `data: ${JSON.stringify({ event: 'state-changed', compose: COMPOSE_EXAMPLES.tagWait })}`,
  '',
  ': keepalive',
  '',
].join('\n');

// ---------------------------------------------------------------------------------------------
// Path parameters

export const ComposeIdParamsSchema = z.object({
  id: z.int().min(0).openapi({ description: 'Compose id (digits only; anything else is a 404).', example: 1 }),
});

export const ComposeFileParamsSchema = z.object({
  path: z.string().openapi({
    description: 'Path under the compose root; may contain `/`. A directory without a trailing slash redirects to it with one.',
    example: 'odcs-1/compose/Temporary/odcs-1.repo',
  }),
});

export const RangeHeaderSchema = z.object({
  range: z.string().optional().openapi({ description: 'A single `bytes=` range.', example: 'bytes=0-99' }),
});

/** Every named schema of the document, by component name. */
export const NAMED_SCHEMAS = {
  Compose: ComposeSchema,
  ComposeDetail: ComposeDetailSchema,
  ComposeList: ComposeListSchema,
  PageMeta: PageMetaSchema,
  ComposeRequest: ComposeRequestSchema,
  ComposeSource: ComposeSourceSchema,
  RenewRequest: RenewRequestSchema,
  DeleteAccepted: DeleteResponseSchema,
  Error: ErrorSchema,
  About: AboutSchema,
  ClientPermissions: ClientPermissionsSchema,
  Health: HealthSchema,
  Ready: ReadySchema,
  ReadyDetails: ReadyDetailsSchema,
  NotReady: NotReadySchema,
  DependencyCheck: CheckSchema,
  ComposeEvent: ComposeEventSchema,
  EventsReady: EventsReadySchema,
} as const;
