// The compose record as stored in PostgreSQL and passed between API, workflow and activities.
// Field names follow ODCS's compose JSON (spec Part B section 2); lists are stored space-joined,
// as ODCS stores them, so the JSON can be produced without re-encoding.

export const COMPOSE_STATES = {
  wait: 0,
  generating: 1,
  done: 2,
  removed: 3,
  failed: 4,
} as const;
export type ComposeStateName = keyof typeof COMPOSE_STATES;
export type ComposeState = (typeof COMPOSE_STATES)[ComposeStateName];

export const SOURCE_TYPES = {
  tag: 1,
  module: 2,
  repo: 3,
  pulp: 4,
  raw_config: 5,
  build: 6,
  pungi_compose: 7,
} as const;
export type SourceTypeName = keyof typeof SOURCE_TYPES;

/** Numbers back to names: 2 -> 'done', 1 -> 'tag'. */
export const STATE_NAMES: Readonly<Record<number, ComposeStateName>> = Object.fromEntries(
  Object.entries(COMPOSE_STATES).map(([k, v]) => [v, k]),
) as Record<number, ComposeStateName>;
export const SOURCE_TYPE_NAMES: Readonly<Record<number, SourceTypeName>> = Object.fromEntries(
  Object.entries(SOURCE_TYPES).map(([k, v]) => [v, k]),
) as Record<number, SourceTypeName>;

/** What a client asked for, after validation; everything the reuse rules compare. */
export interface ComposeInput {
  source_type: number;
  source: string;
  packages: string | null;
  builds: string | null;
  flags: number; // bit set, see core/flags.ts
  results: number; // bit set
  arches: string; // space-joined
  sigkeys: string; // space-joined, "" when none
  koji_event: number | null;
  lookaside_repos: string;
  multilib_arches: string;
  multilib_method: number;
  modular_koji_tags: string | null;
  module_defaults_url: string | null;
  scratch_modules: string | null;
  scratch_build_tasks: string | null;
  modules: string | null;
  parent_pungi_compose_ids: string | null;
  respin_of: string | null;
  label: string | null;
  compose_type: string;
  target_dir: string; // "default" or an extra_target_dirs key
  base_module_br_name: string | null;
  base_module_br_stream: string | null;
  base_module_br_stream_version_lte: number | null;
  base_module_br_stream_version_gte: number | null;
}

/** A row of the `composes` table. Dates are JS Dates (UTC) or null. */
export interface ComposeRecord extends ComposeInput {
  id: number;
  owner: string;
  state: number;
  state_reason: string | null;
  time_to_expire: Date;
  time_submitted: Date;
  time_started: Date | null;
  time_done: Date | null;
  time_removed: Date | null;
  removed_by: string | null;
  koji_task_id: number | null;
  pungi_compose_id: string | null;
  pungi_config_dump: string | null;
  reused_id: number | null;
  /** Requested lifetime in seconds; time_to_expire is recomputed from it on completion. */
  seconds_to_live: number;
  /** Metadata revision of the source repositories; stands in for koji_event in reuse rules. */
  source_revision: string | null;
  /** Bytes the compose's tree takes on the compose root (0 for a compose reusing another's). */
  size_bytes: number;
  /** Set when the compose is removed before its time (disk pressure); becomes its state_reason. */
  removal_reason: string | null;
}
