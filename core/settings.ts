// ODCS server settings (spec Part B §4, §7 and Part A) as a zod schema with defaults.
// Unknown top-level keys are dropped so one JSON file can also carry other components' sections.
import net from 'node:net';
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

/** An IPv4/IPv6 address, or a CIDR block such as 10.0.0.0/8 or fd00::/8. */
const ipOrCidr = z.string().refine(
  (s) => {
    const [addr, prefix, ...rest] = s.trim().split('/');
    const family = net.isIP(addr);
    if (family === 0 || rest.length > 0) return false;
    if (prefix === undefined) return true;
    return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
  },
  { message: 'must be an IP address or a CIDR block (10.0.0.0/8, fd00::/8)' },
);

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
    // auth_backend "openidc" (api/auth/oidc.ts): a Bearer JWT checked against these.
    oidc_issuer: z.string().min(1).optional(),
    oidc_audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    oidc_jwks_url: z.url({ protocol: /^https?$/ }).optional(),
    /** PEM text of the public key (or certificate), or the path of a file holding it. */
    oidc_public_key_pem: z.string().min(1).optional(),
    /** Unset: preferred_username, else sub. */
    oidc_username_claim: z.string().min(1).optional(),
    oidc_base_namespace: z.string().default('https://pagure.io/odcs/'),
    oidc_clock_tolerance: z.int().min(0).default(30),
    auth_openidc_required_scopes: stringList().default(() => []),
    // auth_backend "header" (api/auth/header.ts): an authenticating proxy names the user.
    auth_user_header: z.string().min(1).default('X-Remote-User'),
    auth_groups_header: z.string().min(1).default('X-Remote-Groups'),
    trusted_proxies: z.array(ipOrCidr).default(() => []),
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
    // Where `tag` composes get their packages: "configured" (the default) = `tags` above; "koji" = a
    // Koji hub. The koji_* keys have no schema defaults (so parsed settings only show what was set):
    // KOJI_DEFAULTS below applies.
    tag_source: z.enum(['configured', 'koji']).optional(),
    /** Koji's XML-RPC endpoint, e.g. https://koji.fedoraproject.org/kojihub */
    koji_hub_url: z.url({ protocol: /^https?$/ }).optional(),
    /** Where Koji serves packages (its topurl), e.g. https://kojipkgs.fedoraproject.org; file:// works too. */
    koji_topurl: z.url({ protocol: /^(https?|file)$/ }).optional(),
    /** Seconds per hub call (per attempt). */
    koji_timeout: z.number().positive().optional(),
    /** Seconds per RPM download (per attempt). */
    koji_download_timeout: z.number().positive().optional(),
    /** Retries of a hub call or a download after network errors, timeouts and HTTP 5xx. */
    koji_retries: z.int().min(0).optional(),
    /** Seconds before the first retry; doubles each time. */
    koji_retry_delay: z.number().min(0).optional(),
    koji_download_concurrency: z.int().positive().optional(),
    /** Seconds a compose keeps waiting (and retrying) for an unreachable hub before it fails. */
    koji_unavailable_timeout: z.int().min(0).optional(),
    // `pulp` composes: content set name -> its repositories (url may contain $basearch).
    pulp_content_sets: z
      .record(
        z.string(),
        z.array(
          z.strictObject({
            url: z.string().regex(/^(https?|file):\/\//, 'must be an http(s):// or file:// URL'),
            arches: stringList().optional(),
            published: z.boolean().optional(),
          }),
        ),
      )
      .default(() => ({})),
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
    if (s.tag_source === 'koji') {
      for (const key of ['koji_hub_url', 'koji_topurl'] as const) {
        if (!s[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'required when tag_source is "koji"' });
      }
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

/** Defaults of the optional koji_* settings. */
export const KOJI_DEFAULTS = {
  koji_timeout: 15,
  koji_download_timeout: 600,
  koji_retries: 2,
  koji_retry_delay: 1,
  koji_download_concurrency: 8,
  koji_unavailable_timeout: 600,
} as const;

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
