// Reading a request body as ODCS did: Flask's get_json(force=True), its validate_json_data, Python
// truthiness, joined lists and the TTL, shared by the POST and PATCH parsers. Messages are ODCS's.
import { BadRequestError, ValueError, pyRepr } from './errors.js';
import { clampTtl } from './lifecycle.js';
import type { OdcsSettings } from './settings.js';

export type JsonObject = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Body decoding and structural validation (validate_json_data)

/** Flask's get_json(force=True): undecodable text is a 400 whose message names the failure. */
export function decodeJsonBody(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (e) {
    throw new BadRequestError(`Failed to decode JSON object: ${(e as Error).message}`);
  }
}

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Python truthiness of a decoded JSON value. */
export function pyTruthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isJsonObject(v)) return Object.keys(v).length > 0;
  return true;
}

const LIST_KEYS = new Set(['builds', 'multilib_method', 'packages', 'scratch_build_tasks', 'scratch_modules', 'sigkeys', 'modules']);
const STRING_KEYS = new Set(['base_module_br_name', 'base_module_br_stream', 'compose_type', 'label', 'target_dir', 'type']);
const INT_KEYS = new Set(['seconds_to_live', 'koji_event', 'base_module_br_stream_version_lte', 'base_module_br_stream_version_gte']);
// These strings end up in the Pungi config, hence the whitelist ('^' since ODCS 0.4).
const ALLOWED_CHARS = [' ', '-', '/', '_', '.', ':', '#', '+', '?', '$', '~', '^'];
const ALNUM = /^[\p{L}\p{N}]$/u;

/** Python's isinstance(v, int): bool is an int subclass, floats are not. */
function isPyInt(v: unknown): v is number | boolean {
  return typeof v === 'boolean' || Number.isInteger(v);
}

/**
 * ODCS's validate_json_data: typed keys at any depth, dicts only under top-level "source", a
 * character whitelist for every string except `packages` items. Throws the first problem found.
 */
export function validateJsonData(data: JsonObject | unknown[], level = 0, parentKey: string | number | null = null): void {
  const entries: [string | number, unknown][] = Array.isArray(data) ? data.map((v, i) => [i, v]) : Object.entries(data);
  for (const [k, v] of entries) {
    if (typeof k === 'string') {
      if (LIST_KEYS.has(k) && !Array.isArray(v)) throw new ValueError(`${k} should be a list`);
      if (STRING_KEYS.has(k) && typeof v !== 'string') throw new ValueError(`${k} should be a string`);
      if (INT_KEYS.has(k) && !isPyInt(v)) throw new ValueError(`${k} should be an integer`);
    }
    if (isJsonObject(v)) {
      if (level !== 0 || k !== 'source') throw new ValueError("Only 'source' key is allowed to contain dict.");
      validateJsonData(v, level + 1, k);
    } else if (Array.isArray(v)) {
      validateJsonData(v, level + 1, k);
    } else if (typeof v === 'string') {
      if (parentKey === 'packages') continue; // package names go to comps.xml, not the Pungi config
      for (const ch of v) {
        if (!ALNUM.test(ch) && !ALLOWED_CHARS.includes(ch)) {
          throw new ValueError(
            `Only alphanumerical characters and ${pyRepr(ALLOWED_CHARS)} characters are allowed in ODCS input variables`,
          );
        }
      }
    } else if (typeof v !== 'number' && typeof v !== 'boolean') {
      throw new ValueError(
        `Only dict, list, str, unicode, int, float and bool types are allowed in ODCS input variables, but '${k}' has '<class 'NoneType'>' type`,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// TTL

/** Python int() of a JSON value; null where Python would raise. */
function pyInt(v: unknown): number | null {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : null;
  if (typeof v === 'string' && /^\s*[+-]?\d+(?:_\d+)*\s*$/.test(v)) return Number(v.trim().replaceAll('_', ''));
  return null;
}

/** The TTL column is a 32-bit integer. */
const MIN_TTL = -(2 ** 31);

/**
 * `seconds_to_live`, else the legacy `seconds-to-live` the Python client sends; missing/0 → default,
 * otherwise min(v, max). The error quotes the whole request body, as ODCS does.
 */
export function secondsToLive(data: JsonObject, settings: OdcsSettings): number {
  let value = data.seconds_to_live;
  if (value === undefined || value === null) value = data['seconds-to-live'];
  if (!pyTruthy(value)) return settings.seconds_to_live;
  const n = pyInt(value);
  if (n === null) throw new ValueError(`Invalid seconds_to_live specified in request: ${pyRepr(data)}`);
  const ttl = clampTtl(n, settings);
  // Negative TTLs pass (as in ODCS), but one beyond the 32-bit column cannot be stored or added to
  // a date (ODCS crashed with OverflowError there): refuse it like an unparsable value.
  if (ttl < MIN_TTL) throw new ValueError(`Invalid seconds_to_live specified in request: ${pyRepr(data)}`);
  return ttl;
}

// ---------------------------------------------------------------------------------------------
// Lists

/** " ".join(obj[key]) when the key is present, else null. */
export function joinedList(obj: JsonObject, key: string): string | null {
  if (!Object.hasOwn(obj, key)) return null;
  const v = obj[key];
  if (!Array.isArray(v)) throw new ValueError(`${key} should be a list`);
  if (!v.every((item) => typeof item === 'string')) throw new ValueError(`${key} should be a list of strings`);
  // `packages` items skip the character whitelist; PostgreSQL text cannot hold NUL (psycopg2's
  // ValueError under ODCS, hence a 400 with its text).
  if (v.some((item) => item.includes('\0'))) throw new ValueError('A string literal cannot contain NUL (0x00) characters.');
  return v.join(' ');
}
