// ODCS server settings (spec Part B §4, §7 and Part A) as a zod schema with defaults.
// Unknown top-level keys are dropped so one JSON file can also carry other components' sections.
import { z } from 'zod';
import { COMPOSE_FLAGS, COMPOSE_RESULTS } from './flags.js';

const stringList = () => z.array(z.string());

/** Per-attribute permissions of one allowed_clients user or group; a missing list falls back to allowed_<attr>. */
const clientPermissions = z.strictObject({
  source_types: stringList().optional(),
  sources: stringList().optional(),
  results: stringList().optional(),
  flags: stringList().optional(),
  arches: stringList().optional(),
  compose_types: stringList().optional(),
  target_dirs: stringList().optional(),
  raw_config_keys: stringList().optional(),
});
export type ClientPermissions = z.infer<typeof clientPermissions>;

const repoLocation = z
  .string()
  .refine((s) => s.startsWith('/') || /^(file|https?):\/\//.test(s), {
    message: 'must be an absolute path or a file://, http:// or https:// URL',
  });

const tagDefinition = z.strictObject({
  repos: z.array(repoLocation).default(() => []),
  parents: stringList().optional(),
});

const rawConfigUrl = z.looseObject({
  url: z.string(),
  config_filename: z.string(),
});

export const settingsSchema = z
  .object({
    auth_backend: z.enum(['noauth', 'openidc', 'header']).default('noauth'),
    allowed_clients: z
      .strictObject({
        groups: z.record(z.string(), clientPermissions).default(() => ({})),
        users: z.record(z.string(), clientPermissions).default(() => ({})),
      })
      .default(() => ({ groups: {}, users: {} })),
    admins: z
      .strictObject({
        groups: stringList().default(() => []),
        users: stringList().default(() => []),
      })
      .default(() => ({ groups: [], users: [] })),
    // Our embedded default; ODCS's own was [tag, module, build] (module needs MBS, which we lack).
    allowed_source_types: stringList().default(() => ['tag', 'build', 'repo']),
    allowed_flags: stringList().default(() => Object.keys(COMPOSE_FLAGS)),
    allowed_arches: stringList().default(() => ['x86_64']),
    allowed_results: stringList().default(() => Object.keys(COMPOSE_RESULTS)),
    allowed_sources: stringList().default(() => ['']),
    allowed_compose_types: stringList().default(() => ['']),
    allowed_target_dirs: stringList().default(() => []),
    // Unset means "every raw_config_urls key", which is what ODCS does (it has no such option).
    allowed_raw_config_keys: stringList().optional(),
    arches: stringList().default(() => ['x86_64']),
    sigkeys: stringList().default(() => []),
    base_module_names: stringList().default(() => ['platform', 'bootstrap']),
    seconds_to_live: z.int().default(86400),
    max_seconds_to_live: z.int().default(259200),
    extra_target_dirs: z
      .record(z.string(), z.string().startsWith('/', { message: 'must be an absolute path' }))
      .default(() => ({})),
    raw_config_urls: z.record(z.string(), rawConfigUrl).default(() => ({})),
    num_concurrent_pungi: z.int().positive().default(2),
    pungi_timeout: z.int().positive().default(3600),
    tags: z.record(z.string(), tagDefinition).default(() => ({})),
    version: z.string().default('0.1.0'),
  })
  .superRefine((s, ctx) => {
    if (Object.hasOwn(s.extra_target_dirs, 'default')) {
      ctx.addIssue({
        code: 'custom',
        path: ['extra_target_dirs', 'default'],
        message: '"default" names the main target_dir and cannot be an extra one',
      });
    }
    for (const [name, tag] of Object.entries(s.tags)) {
      for (const parent of tag.parents ?? []) {
        if (!Object.hasOwn(s.tags, parent)) {
          ctx.addIssue({ code: 'custom', path: ['tags', name, 'parents'], message: `unknown parent tag "${parent}"` });
        }
      }
    }
  });

export type OdcsSettings = z.infer<typeof settingsSchema>;

/** Validates settings JSON and fills defaults; throws an Error listing every problem with its path. */
export function parseSettings(json: unknown): OdcsSettings {
  const result = settingsSchema.safeParse(json ?? {});
  if (!result.success) {
    throw new Error(`Invalid ODCS settings:\n${z.prettifyError(result.error)}`);
  }
  return result.data;
}

/**
 * The repositories of a tag: its own, then (unless noInheritance) each parent's, depth-first in
 * declared order. Cycles and repeats are skipped. null when the tag is not configured.
 */
export function resolveTagRepos(settings: OdcsSettings, tag: string, noInheritance: boolean): string[] | null {
  if (!Object.hasOwn(settings.tags, tag)) return null;
  const repos: string[] = [];
  const visited = new Set<string>();
  const visit = (name: string): void => {
    if (visited.has(name) || !Object.hasOwn(settings.tags, name)) return;
    visited.add(name);
    const def = settings.tags[name];
    for (const repo of def.repos) if (!repos.includes(repo)) repos.push(repo);
    if (noInheritance) return;
    for (const parent of def.parents ?? []) visit(parent);
  };
  visit(tag);
  return repos;
}
