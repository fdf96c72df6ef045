// The one table of a compose's fields: which ones the client chooses (inserted as given, copied by
// a renew) and which the server sets; together they are the keys of the compose JSON, whose wire
// schema (core/schemas/compose.ts) must describe exactly these. Pure and zod-free.
import type { ComposeInput, ComposeRecord } from './compose.js';

/** What a client chooses (after core/compose-request.ts), as stored: the INSERT's columns and what a renew copies. */
export const COMPOSE_INPUT_FIELDS = [
  'source_type',
  'source',
  'packages',
  'builds',
  'flags',
  'results',
  'arches',
  'sigkeys',
  'koji_event',
  'lookaside_repos',
  'multilib_arches',
  'multilib_method',
  'modular_koji_tags',
  'module_defaults_url',
  'scratch_modules',
  'scratch_build_tasks',
  'modules',
  'parent_pungi_compose_ids',
  'respin_of',
  'label',
  'compose_type',
  'target_dir',
  'base_module_br_name',
  'base_module_br_stream',
  'base_module_br_stream_version_lte',
  'base_module_br_stream_version_gte',
] as const satisfies ReadonlyArray<keyof ComposeInput>;
export type ComposeInputField = (typeof COMPOSE_INPUT_FIELDS)[number];

/** Stored columns the server sets that the compose JSON shows as they are. */
export const COMPOSE_SERVER_FIELDS = [
  'id',
  'owner',
  'state',
  'state_reason',
  'removed_by',
  'koji_task_id',
  'pungi_compose_id',
] as const satisfies ReadonlyArray<Exclude<keyof ComposeRecord, keyof ComposeInput>>;

/** Keys of the compose JSON computed from the row (names, dates, URLs). */
export const COMPOSE_DERIVED_FIELDS = [
  'state_name',
  'time_to_expire',
  'time_submitted',
  'time_started',
  'time_done',
  'time_removed',
  'result_repo',
  'result_repofile',
  'toplevel_url',
] as const;

/** Every key of the compose JSON in its list form (GET one adds `pungi_config_dump`). */
export const COMPOSE_JSON_FIELDS = [...COMPOSE_INPUT_FIELDS, ...COMPOSE_SERVER_FIELDS, ...COMPOSE_DERIVED_FIELDS] as const;
export type ComposeJsonField = (typeof COMPOSE_JSON_FIELDS)[number];

// Every input field is in the table, and nothing else (a compile error otherwise).
type Missing = Exclude<keyof ComposeInput, ComposeInputField>;
const everyInputField: [Missing] extends [never] ? true : Missing = true;
void everyInputField;

/** The input fields of a compose (koji_event included), as Compose.create_copy copies them. */
export function composeInputOf(c: ComposeInput): ComposeInput {
  return Object.fromEntries(COMPOSE_INPUT_FIELDS.map((f) => [f, c[f]])) as unknown as ComposeInput;
}
