// The compose JSON of ODCS's Compose.json() (spec Part B §2), typed by its wire schema
// (core/schemas/compose.ts), so the compiler checks the output against what is documented.
import { SOURCE_TYPES, type ComposeRecord } from './compose.js';
import { COMPOSE_INPUT_FIELDS, COMPOSE_SERVER_FIELDS } from './compose-fields.js';
import type { ComposeDetailJson, ComposeJson } from './schemas/compose.js';
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

export type { ComposeDetailJson, ComposeJson };

/** Input fields whose JSON is not the stored value. */
type ConvertedField = 'flags' | 'results' | 'sigkeys' | 'target_dir';
type CopiedField = Exclude<(typeof COMPOSE_INPUT_FIELDS)[number], ConvertedField> | (typeof COMPOSE_SERVER_FIELDS)[number];
const COPIED_FIELDS = [...COMPOSE_INPUT_FIELDS, ...COMPOSE_SERVER_FIELDS].filter(
  (f): f is CopiedField => f !== 'flags' && f !== 'results' && f !== 'sigkeys' && f !== 'target_dir',
);

/** The same object with its keys sorted, as Flask's jsonify sorted them. */
function sortKeys<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) as T;
}

/** Never exposes reused_id, seconds_to_live or source_revision. Keys sorted, as Flask's jsonify did. */
export function composeToJson(c: ComposeRecord, opts: ComposeJsonOptions & { includeConfigDump: false }): ComposeJson;
export function composeToJson(c: ComposeRecord, opts: ComposeJsonOptions & { includeConfigDump: true }): ComposeDetailJson;
export function composeToJson(c: ComposeRecord, opts: ComposeJsonOptions): ComposeJson | ComposeDetailJson;
export function composeToJson(c: ComposeRecord, opts: ComposeJsonOptions): ComposeJson | ComposeDetailJson {
  const urls = composeUrls(c, opts.targetDirUrl);
  const knownTargetDir =
    c.target_dir === 'default' || !opts.extraTargetDirNames || opts.extraTargetDirNames.includes(c.target_dir);
  const copied = Object.fromEntries(COPIED_FIELDS.map((f) => [f, c[f]])) as Pick<ComposeRecord, CopiedField>;
  const json: ComposeJson = {
    ...copied,
    state_name: stateName(c.state),
    time_to_expire: formatOdcsDate(c.time_to_expire),
    time_submitted: formatOdcsDate(c.time_submitted),
    time_started: formatOdcsDate(c.time_started),
    time_done: formatOdcsDate(c.time_done),
    time_removed: formatOdcsDate(c.time_removed),
    result_repo: urls.result_repo,
    result_repofile: urls.result_repofile,
    toplevel_url: urls.toplevel_url,
    flags: flagsToNames(c.flags),
    results: resultsToNames(c.results),
    sigkeys: c.sigkeys || '',
    target_dir: knownTargetDir ? c.target_dir : 'unknown',
  };
  if (opts.includeConfigDump) return sortKeys<ComposeDetailJson>({ ...json, pungi_config_dump: c.pungi_config_dump });
  return sortKeys(json);
}
