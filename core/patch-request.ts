// PATCH /api/1/composes/<id> (renew): body parsing and the copy-or-extend decision (spec Part B "PATCH").
import { COMPOSE_STATES, type ComposeRecord } from './compose.js';
import { composeInputOf } from './compose-fields.js';
import type { NewComposeRequest } from './compose-request.js';
import { isJsonObject, joinedList, secondsToLive, validateJsonData } from './request-body.js';
import { BadRequestError, NotFoundError } from './errors.js';
import { extendedExpiry } from './lifecycle.js';
import type { OdcsSettings } from './settings.js';

export interface RenewRequest {
  seconds_to_live: number;
  /** Space-joined; undefined keeps the old compose's sigkeys. */
  sigkeys?: string;
  /** undefined (or "") keeps the old label (ODCS 0.8+). */
  label?: string;
  /** Space-joined source.modules / source.builds; giving either forces a copy. */
  modules?: string;
  builds?: string;
}

export type RenewDecision =
  | { kind: 'copy'; input: NewComposeRequest; respin_of: string | null }
  | { kind: 'extend'; timeToExpire: Date };

/** The body is optional: undefined or null means {}. A non-object body is a 400. */
export function parseRenewRequest(body: unknown, settings: OdcsSettings): RenewRequest {
  const data = body ?? {};
  if (!isJsonObject(data)) throw new BadRequestError('Failed to decode JSON object: expected a JSON object');
  validateJsonData(data);

  const req: RenewRequest = { seconds_to_live: secondsToLive(data, settings) };
  const sigkeys = joinedList(data, 'sigkeys');
  if (sigkeys !== null) req.sigkeys = sigkeys;
  if (typeof data.label === 'string' && data.label) req.label = data.label;
  const source = isJsonObject(data.source) ? data.source : {};
  const modules = joinedList(source, 'modules');
  if (modules !== null) req.modules = modules;
  const builds = joinedList(source, 'builds');
  if (builds !== null) req.builds = builds;
  return req;
}

const RENEWABLE_STATES: readonly number[] = [COMPOSE_STATES.done, COMPOSE_STATES.removed, COMPOSE_STATES.failed];

/** Only done, removed and failed composes can be renewed; ODCS answers 404 for the others. */
export function assertRenewable(compose: Pick<ComposeRecord, 'id' | 'state'>): void {
  if (!RENEWABLE_STATES.includes(compose.state)) throw new NotFoundError(`No compose with id ${compose.id} found`);
}

/**
 * Copy when the compose is gone (removed/failed), when sigkeys or label change, or when modules or
 * builds are given; otherwise extend its life to max(current, now + ttl). On extend the caller also
 * extends the compose it reuses and all composes reusing it, with `extendedExpiry`.
 */
export function decideRenew(compose: ComposeRecord, req: RenewRequest, now: Date): RenewDecision {
  assertRenewable(compose);
  const sigkeys = req.sigkeys ?? compose.sigkeys;
  const label = req.label || compose.label;
  const mustCopy =
    compose.state === COMPOSE_STATES.removed ||
    compose.state === COMPOSE_STATES.failed ||
    sigkeys !== compose.sigkeys ||
    label !== compose.label ||
    req.modules !== undefined ||
    req.builds !== undefined;
  if (!mustCopy) {
    return { kind: 'extend', timeToExpire: extendedExpiry(compose.time_to_expire, now, req.seconds_to_live) };
  }
  // The copy is a respin of the old Pungi compose; empty modules/builds lists keep the old values (ODCS).
  const respin_of = compose.pungi_compose_id;
  const input: NewComposeRequest = {
    ...composeInputOf(compose),
    sigkeys,
    label,
    modules: req.modules || compose.modules,
    builds: req.builds || compose.builds,
    respin_of,
    seconds_to_live: req.seconds_to_live,
  };
  return { kind: 'copy', input, respin_of };
}
