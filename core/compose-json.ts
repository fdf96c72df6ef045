// The compose JSON of ODCS's Compose.json() (spec Part B §2).
import { SOURCE_TYPES, type ComposeRecord } from './compose.js';
import { flagsToNames, resultsToNames } from './flags.js';
import { stateName } from './lifecycle.js';

/** ODCS date format: UTC, whole seconds, `YYYY-MM-DDTHH:MM:SSZ`. */
export function formatOdcsDate(d: Date): string;
export function formatOdcsDate(d: Date | null): string | null;
export function formatOdcsDate(d: Date | null): string | null {
  return d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : null;
}

/** `odcs-<id>`, or the name of the compose it reuses (their files are shared). */
export function composeName(c: Pick<ComposeRecord, 'id' | 'reused_id'>): string {
  return `odcs-${c.reused_id ?? c.id}`;
}

function joinUrl(base: string, ...parts: string[]): string {
  // Like os.path.join on a URL: no doubled slash when the base already ends with one.
  return [base.replace(/\/+$/, ''), ...parts].join('/');
}

export interface ComposeUrls {
  toplevel_url: string;
  result_repo: string;
  result_repofile: string;
}

/** Public URLs; all "" off the default target_dir, and no repo/repofile for raw_config. */
export function composeUrls(
  c: Pick<ComposeRecord, 'id' | 'reused_id' | 'target_dir' | 'source_type'>,
  targetDirUrl: string,
): ComposeUrls {
  if (c.target_dir !== 'default') return { toplevel_url: '', result_repo: '', result_repofile: '' };
  const name = composeName(c);
  const toplevel_url = joinUrl(targetDirUrl, name);
  if (c.source_type === SOURCE_TYPES.raw_config) return { toplevel_url, result_repo: '', result_repofile: '' };
  const result_repo = joinUrl(toplevel_url, 'compose', 'Temporary');
  return { toplevel_url, result_repo, result_repofile: joinUrl(result_repo, `${name}.repo`) };
}

export interface ComposeJsonOptions {
  targetDirUrl: string;
  /** True only for GET /composes/<id>. */
  includeConfigDump: boolean;
  /** When given, a stored target_dir no longer configured is shown as "unknown", as ODCS does. */
  extraTargetDirNames?: readonly string[];
}

export type ComposeJson = Record<string, unknown>;

/** Never exposes reused_id, seconds_to_live or source_revision. Keys sorted, as Flask's jsonify did. */
export function composeToJson(c: ComposeRecord, opts: ComposeJsonOptions): ComposeJson {
  const urls = composeUrls(c, opts.targetDirUrl);
  const knownTargetDir =
    c.target_dir === 'default' || !opts.extraTargetDirNames || opts.extraTargetDirNames.includes(c.target_dir);
  const json: ComposeJson = {
    id: c.id,
    owner: c.owner,
    source_type: c.source_type,
    source: c.source,
    state: c.state,
    state_name: stateName(c.state),
    state_reason: c.state_reason,
    time_to_expire: formatOdcsDate(c.time_to_expire),
    time_submitted: formatOdcsDate(c.time_submitted),
    time_started: formatOdcsDate(c.time_started),
    time_done: formatOdcsDate(c.time_done),
    time_removed: formatOdcsDate(c.time_removed),
    removed_by: c.removed_by,
    result_repo: urls.result_repo,
    result_repofile: urls.result_repofile,
    toplevel_url: urls.toplevel_url,
    flags: flagsToNames(c.flags),
    results: resultsToNames(c.results),
    sigkeys: c.sigkeys || '',
    koji_event: c.koji_event,
    koji_task_id: c.koji_task_id,
    packages: c.packages,
    builds: c.builds,
    arches: c.arches,
    multilib_arches: c.multilib_arches,
    multilib_method: c.multilib_method,
    lookaside_repos: c.lookaside_repos,
    modular_koji_tags: c.modular_koji_tags,
    module_defaults_url: c.module_defaults_url,
    label: c.label,
    compose_type: c.compose_type,
    pungi_compose_id: c.pungi_compose_id,
    target_dir: knownTargetDir ? c.target_dir : 'unknown',
    scratch_modules: c.scratch_modules,
    parent_pungi_compose_ids: c.parent_pungi_compose_ids,
    scratch_build_tasks: c.scratch_build_tasks,
    modules: c.modules,
    respin_of: c.respin_of,
    base_module_br_name: c.base_module_br_name,
    base_module_br_stream: c.base_module_br_stream,
    base_module_br_stream_version_lte: c.base_module_br_stream_version_lte,
    base_module_br_stream_version_gte: c.base_module_br_stream_version_gte,
  };
  if (opts.includeConfigDump) json.pungi_config_dump = c.pungi_config_dump;
  return Object.fromEntries(Object.entries(json).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
