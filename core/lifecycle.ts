// Compose states, allowed transitions and the state_reason texts ODCS writes (spec Part B §3).
import { COMPOSE_STATES, STATE_NAMES, type ComposeRecord, type ComposeStateName } from './compose.js';
import type { OdcsSettings } from './settings.js';

const { wait, generating, done, removed, failed } = COMPOSE_STATES;


export function stateName(state: number): ComposeStateName {
  const name = STATE_NAMES[state];
  if (!name) throw new Error(`Unknown compose state ${state}`);
  return name;
}

/** Accepts a state number or name ("done", "2"); null when it is neither. */
export function parseState(value: string | number): number | null {
  if (typeof value === 'number') return Object.hasOwn(STATE_NAMES, value) ? value : null;
  if (/^\d+$/.test(value)) return parseState(Number(value));
  return Object.hasOwn(COMPOSE_STATES, value) ? COMPOSE_STATES[value as ComposeStateName] : null;
}

/** Generation is over (what the client's wait_for_compose waits for): done, failed or removed. */
export function isFinal(state: number): boolean {
  return state === done || state === failed || state === removed;
}

const TRANSITIONS: Record<number, readonly number[]> = {
  [wait]: [generating, failed, done], // done straight from wait when an existing compose is reused
  [generating]: [done, failed],
  [done]: [removed],
  [failed]: [removed],
  [removed]: [],
};

export function canTransition(from: number, to: number): boolean {
  return TRANSITIONS[from]?.includes(to) ?? false;
}

export const REASON_THREAD_STARTED = 'Compose thread started';
/** Also the marker that lets a generating compose be reused (backend GENERATING_STATE_REASON). */
export const REASON_GENERATING = 'Compose is generating';
export const REASON_DONE = 'Compose is generated successfully';
export const REASON_STUCK_IN_WAIT = "Compose stuck in 'wait' state for longer than 3 days.";

/** `logErrors` are the ERROR lines of the Pungi log ODCS appends after a newline. */
export function reasonError(error: string, logErrors?: string): string {
  const reason = `Error while generating compose: ${error}`;
  return logErrors ? `${reason}\n${logErrors}` : reason;
}

export function reasonCanceled(user: string): string {
  return `Canceled by ${user}`;
}

export function reasonStuckGenerating(seconds: number): string {
  return `Compose stuck in 'generating' state for longer than ${seconds} seconds.`;
}

export function reasonMissingPackages(packages: readonly string[]): string {
  return `The following requested packages are not present in the generated compose: ${packages.join(' ')}.`;
}

/** Reason on expiry, appended after a newline to the previous reason as ODCS's cleanup does. */
export function reasonExpired(previousReason: string | null, removedBy: string | null, removedEarlyBecause?: string | null): string {
  const reason = removedEarlyBecause
    ? `Removed early: ${removedEarlyBecause}.`
    : removedBy
      ? `Removed by ${removedBy}.`
      : 'Compose is expired.';
  return previousReason ? `${previousReason}\n${reason}` : reason;
}

/** TTL semantics of a request: missing or 0 → default, otherwise capped at the maximum (negatives pass). */
export function clampTtl(requested: number | null | undefined, settings: OdcsSettings): number {
  if (!requested) return settings.seconds_to_live;
  return Math.min(requested, settings.max_seconds_to_live);
}

/** On done/failed the lifetime restarts from completion. */
export function expiryOnCompletion(c: Pick<ComposeRecord, 'seconds_to_live'>, now: Date): Date {
  return addSeconds(now, c.seconds_to_live);
}

/** PATCH extend rule: never shortens a compose's life. */
export function extendedExpiry(current: Date, now: Date, secondsToLive: number): Date {
  const candidate = addSeconds(now, secondsToLive);
  return candidate > current ? candidate : current;
}

export function addSeconds(d: Date, seconds: number): Date {
  return new Date(d.getTime() + seconds * 1000);
}

export type TransitionPatch = Partial<
  Pick<ComposeRecord, 'state' | 'state_reason' | 'time_started' | 'time_done' | 'time_removed' | 'time_to_expire'>
>;

/** The column updates of ODCS's Compose.transition(); throws on a transition the lifecycle forbids. */
export function transitionPatch(
  c: Pick<ComposeRecord, 'id' | 'state' | 'seconds_to_live'>,
  to: number,
  reason: string,
  now: Date,
): TransitionPatch {
  if (!canTransition(c.state, to)) {
    throw new Error(`Compose ${c.id} cannot go from ${stateName(c.state)} to ${stateName(to)}`);
  }
  const patch: TransitionPatch = { state: to, state_reason: reason };
  if (to === generating) patch.time_started = now;
  if (to === done) patch.time_done = now;
  if (to === removed) patch.time_removed = now;
  if (to === done || to === failed) patch.time_to_expire = expiryOnCompletion(c, now);
  return patch;
}
