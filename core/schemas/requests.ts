// Request bodies and path parameters of the compose resource (parsed by core/compose-request.ts and
// core/patch-request.ts, which keep ODCS's messages), and the DELETE answer.
import { z } from '@hono/zod-openapi';
import { SOURCE_TYPES } from '../compose.js';
import { COMPOSE_FLAGS, COMPOSE_RESULTS, MULTILIB_METHODS, NO_FLAGS } from '../flags.js';
import { CHARSET_NOTE, namesOf } from './helpers.js';


const stringList = (description: string) => z.array(z.string()).openapi({ description });

export const ComposeSourceSchema = z
  .looseObject({
    type: z.enum(namesOf(SOURCE_TYPES)).openapi({ description: 'Source type (required).' }),
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
      .array(z.enum([...namesOf(COMPOSE_FLAGS), NO_FLAGS]))
      .optional()
      .openapi({ description: `Flags; \`${NO_FLAGS}\` means none.` }),
    results: z.array(z.enum(namesOf(COMPOSE_RESULTS))).optional().openapi({ description: 'Extra results; `repository` is always made.' }),
    arches: stringList('Architectures; default: the server\'s `arches`.').optional(),
    multilib_arches: stringList('Multilib architectures.').optional(),
    multilib_method: z.array(z.enum(namesOf(MULTILIB_METHODS))).optional().openapi({ description: 'Multilib methods, OR-ed together.' }),
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

/** Flask's <int:id>: digits only, anything else is a 404 (the route's hook says so). */
export const ComposeIdParamsSchema = z.object({
  id: z
    .string()
    .regex(/^\d{1,15}$/)
    .transform(Number)
    .openapi({ description: 'Compose id (digits only; anything else is a 404).', example: '1' }),
});
