// Compose states, the allowed transitions (the store applies them) and the state_reason texts ODCS
// writes (spec Part B §3).
import { COMPOSE_STATES, STATE_NAMES, type ComposeStateName } from './compose.js';
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

/**
 * The lifecycle: from each state, the states a compose may move to. `done` straight from `wait`
 * when a compose reuses a finished one.
 */
export const TRANSITIONS: Readonly<Record<number, readonly number[]>> = {
  [wait]: [generating, failed, done],
  [generating]: [done, failed],
  [done]: [removed],
  [failed]: [removed],
  [removed]: [],
};

/** The states a compose may move to `to` from: the store's `WHERE state IN (…)` of that transition. */
export function statesFrom(to: number): number[] {
  return Object.entries(TRANSITIONS)
    .filter(([, next]) => next.includes(to))
    .map(([from]) => Number(from));
}

/** Only a compose that no generation slot has taken yet can be canceled. */
export const CANCELABLE_STATES: readonly number[] = [wait];

/** Why a request may not do what it asks: the HTTP status and ODCS's message. */
export interface Refusal {
  status: 400 | 403;
  message: string;
}

/**
 * ODCS's DELETE rules: a waiting compose is canceled by its owner or an admin; a done or failed one
 * is removed (expires now) by an admin; anything else is refused. Null: allowed.
 */
export function deleteRefusal(c: { id: number; state: number; owner: string }, user: string, isAdmin: boolean): Refusal | null {
  if (c.state === wait) {
    // ODCS's literal text, placeholder included.
    return isAdmin || c.owner === user ? null : { status: 403, message: "Compose (id=%s) can not be canceled, it's owned by someone else." };
  }
  if (!isAdmin) return { status: 403, message: `User ${user} is not in role admins.` };
  if (c.state !== done && c.state !== failed) {
    return { status: 400, message: `Compose (id=${c.id}) can not be removed, its state need to be in ['done', 'failed'].` };
  }
  return null;
}

/** The 202 message of an accepted DELETE: a waiting compose canceled, or a done/failed one to be removed. */
export function deleteAcceptedMessage(id: number, canceled: boolean): string {
  return canceled
    ? `Compose (id=${id}) has been canceled`
    : `The delete request for compose (id=${id}) has been accepted and will be processed by backend later.`;
}

/** Also the marker that lets a generating compose be reused (backend GENERATING_STATE_REASON). */
export const REASON_GENERATING = 'Compose is generating';
export const REASON_DONE = 'Compose is generated successfully';

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

export function reasonReusing(reusedId: number): string {
  return `Reusing compose ${reusedId}`;
}

export function reasonReusedFailed(reusedId: number, itsReason: string | null): string {
  return `Reused compose ${reusedId} did not succeed: ${itsReason ?? ''}`.trim();
}

export function reasonNoSpace(usage: number, limit: number, waitedSeconds: number): string {
  return `Not enough space in the compose root: ${usage} of ${limit} bytes used, and nothing more could be removed early within ${waitedSeconds} seconds.`;
}

/** removal_reason of a compose expired early to make room (reasonExpired turns it into a sentence). */
export function removalReasonOverLimit(usage: number, limit: number): string {
  return `the compose root was over its size limit (${usage} of ${limit} bytes used)`;
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

/** PATCH extend rule: never shortens a compose's life. */
export function extendedExpiry(current: Date, now: Date, secondsToLive: number): Date {
  const candidate = addSeconds(now, secondsToLive);
  return candidate > current ? candidate : current;
}

export function addSeconds(d: Date, seconds: number): Date {
  return new Date(d.getTime() + seconds * 1000);
}
