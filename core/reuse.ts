// Reuse of an earlier identical compose (spec Part B §3 "Reuse", ODCS backend get_reusable_compose).
// source_revision (the source repositories' metadata revision) stands in for Koji's koji_event.
import { COMPOSE_STATES, SOURCE_TYPES, type ComposeInput, type ComposeRecord } from './compose.js';
import { hasFlag } from './flags.js';
import { REASON_GENERATING } from './lifecycle.js';

export type ReuseInput = ComposeInput & { source_revision: string | null; id?: number };

/** Space-separated lists compared as sets. */
const SET_FIELDS = [
  'packages',
  'builds',
  'sigkeys',
  'arches',
  'lookaside_repos',
  'multilib_arches',
  'modular_koji_tags',
  'scratch_modules',
  'modules',
  'scratch_build_tasks',
  'parent_pungi_compose_ids',
] as const satisfies readonly (keyof ComposeInput)[];

const EXACT_FIELDS = [
  'source',
  'flags',
  'results',
  'module_defaults_url',
  'respin_of',
  'target_dir',
  'multilib_method',
] as const satisfies readonly (keyof ComposeInput)[];

function asSet(value: string | null): Set<string> {
  return new Set(value ? value.split(/\s+/).filter(Boolean) : []);
}

function sameSet(a: string | null, b: string | null): boolean {
  const sa = asSet(a);
  const sb = asSet(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

/** Whether a compose may be reused at all: not with no_reuse, and never raw_config or pulp (no Pungi run). */
export function mayReuse(c: Pick<ComposeInput, 'flags' | 'source_type'>): boolean {
  return (
    !hasFlag(c.flags, 'no_reuse') && c.source_type !== SOURCE_TYPES.raw_config && c.source_type !== SOURCE_TYPES.pulp
  );
}

/** done, or generating past the point where its inputs are final, and not itself a reuse. */
export function isReuseCandidate(old: ComposeRecord): boolean {
  if (old.reused_id !== null) return false;
  if (old.state === COMPOSE_STATES.done) return true;
  return old.state === COMPOSE_STATES.generating && old.state_reason === REASON_GENERATING;
}

export function isReusable(newC: ReuseInput, old: ComposeRecord): boolean {
  if (!mayReuse(newC) || !isReuseCandidate(old)) return false;
  if (old.source_type !== newC.source_type) return false;
  if (newC.id !== undefined && old.id >= newC.id) return false;
  if (!SET_FIELDS.every((f) => sameSet(newC[f], old[f]))) return false;
  if (!EXACT_FIELDS.every((f) => newC[f] === old[f])) return false;
  return newC.source_revision === old.source_revision;
}

/** Done composes newest first (most recent content), then generating ones oldest first (avoids reuse chains). */
export function orderReuseCandidates(candidates: readonly ComposeRecord[]): ComposeRecord[] {
  const eligible = candidates.filter(isReuseCandidate);
  const done = eligible.filter((c) => c.state === COMPOSE_STATES.done).sort((a, b) => b.id - a.id);
  const generating = eligible.filter((c) => c.state === COMPOSE_STATES.generating).sort((a, b) => a.id - b.id);
  return [...done, ...generating];
}

/** The compose to reuse, if any, among candidates (typically same source_type and lower id). */
export function findReusableCompose(newC: ReuseInput, candidates: readonly ComposeRecord[]): ComposeRecord | null {
  if (!mayReuse(newC)) return null;
  return orderReuseCandidates(candidates).find((old) => isReusable(newC, old)) ?? null;
}

/**
 * Fields to set when `newC` reuses `old`: reused_id and pungi_compose_id from the old compose, and
 * both composes get the later time_to_expire (apply `time_to_expire` to `old` too).
 */
export function reuseUpdate(
  newC: Pick<ComposeRecord, 'time_to_expire'>,
  old: Pick<ComposeRecord, 'id' | 'pungi_compose_id' | 'time_to_expire'>,
): { reused_id: number; pungi_compose_id: string | null; time_to_expire: Date } {
  const later = newC.time_to_expire > old.time_to_expire ? newC.time_to_expire : old.time_to_expire;
  return { reused_id: old.id, pungi_compose_id: old.pungi_compose_id, time_to_expire: later };
}
