// POST /api/1/composes/ validation and the permission checks of ODCS views.py / api_utils.py
// (spec Part B §1 "POST body", §4). Messages are ODCS's, byte for byte.
import { SOURCE_TYPE_NAMES, SOURCE_TYPES, type ComposeInput, type ComposeRecord, type SourceTypeName } from './compose.js';
import { BadRequestError, ForbiddenError, ValueError, pyRepr, pyStr } from './errors.js';
import {
  COMPOSE_FLAGS,
  COMPOSE_RESULTS,
  MULTILIB_METHODS,
  NO_FLAGS,
  flagsToNames,
  isFlagName,
  isMultilibMethodName,
  isResultName,
  resultsToNames,
} from './flags.js';
import { clampTtl } from './lifecycle.js';
import type { ClientPermissions, OdcsSettings } from './settings.js';

export type NewComposeRequest = ComposeInput & { seconds_to_live: number };
export type JsonObject = Record<string, unknown>;

export interface RequestUser {
  name: string;
  groups: string[];
}

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
// POST body

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

function namesList(obj: JsonObject, key: string): unknown[] {
  if (!Object.hasOwn(obj, key)) return [];
  const v = obj[key];
  if (!Array.isArray(v)) throw new ValueError(`${key} should be a list`);
  return v;
}

function optionalInt(obj: JsonObject, key: string): number | null {
  const v = obj[key];
  if (v === undefined || v === null) return null;
  const n = typeof v === 'boolean' ? Number(v) : (v as number); // already checked by validateJsonData
  // The columns are bigint: a larger number would make the INSERT fail (a 500).
  if (Math.abs(n) >= 2 ** 63) throw new ValueError(`${key} is out of range`);
  return n;
}

function optionalString(obj: JsonObject, key: string): string | null {
  const v = obj[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new ValueError(`${key} should be a string`);
  return v;
}

/** Splits the space-separated source; duplicates go (ODCS used a set, so order is not kept: we sort). */
function splitSource(sourceData: JsonObject): string[] {
  if (!Object.hasOwn(sourceData, 'source') || sourceData.source === '') return [];
  if (typeof sourceData.source !== 'string') throw new ValueError('source should be a string');
  return [...new Set(sourceData.source.split(/\s+/).filter(Boolean))].sort();
}

function validateRawConfigSource(sources: string[], settings: OdcsSettings): void {
  if (sources.length > 1) throw new ValueError('Only single source is allowed for "raw_config" source_type');
  const parts = sources[0].split('#');
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    throw new ValueError('Source must be in "source_name#commit_hash" format for "raw_config" source_type.');
  }
  if (!Object.hasOwn(settings.raw_config_urls, parts[0])) {
    throw new ValueError(`Source "${parts[0]}" does not exist in server configuration.`);
  }
}

function validateModuleSources(sources: string[], settings: OdcsSettings): void {
  for (const module of sources) {
    const nsvc = module.split(':');
    if (nsvc.length < 2) {
      throw new ValueError(`Module definition must be in "n:s", "n:s:v" or "n:s:v:c" format, but got ${module}`);
    }
    if (settings.base_module_names.includes(nsvc[0])) {
      throw new ValueError(`ODCS currently cannot create compose with base modules, but ${nsvc[0]} was requested.`);
    }
  }
}

function parseFlags(data: JsonObject): number {
  let flags = 0;
  for (const name of namesList(data, 'flags')) {
    if (name === NO_FLAGS) continue;
    // ODCS raises ValueError("Unknown flag %s", name): str() of that exception is the tuple repr.
    if (!isFlagName(name)) throw new ValueError(`('Unknown flag %s', ${pyRepr(name)})`);
    flags |= COMPOSE_FLAGS[name];
  }
  return flags;
}

function parseResults(data: JsonObject): number {
  let results: number = COMPOSE_RESULTS.repository;
  for (const name of namesList(data, 'results')) {
    if (!isResultName(name)) throw new ValueError(`('Unknown result %s', ${pyRepr(name)})`);
    results |= COMPOSE_RESULTS[name];
  }
  return results;
}

function parseMultilibMethod(data: JsonObject): number {
  let method = 0;
  for (const name of namesList(data, 'multilib_method')) {
    if (!isMultilibMethodName(name)) throw new ValueError(`Unknown multilib method "${pyStr(name)}"`);
    method |= MULTILIB_METHODS[name];
  }
  return method;
}

function parseModuleDefaults(sourceData: JsonObject): string | null {
  const url = sourceData.module_defaults_url;
  const commit = sourceData.module_defaults_commit;
  if (pyTruthy(url) !== pyTruthy(commit)) {
    throw new ValueError('The "module_defaults_url" and "module_defaults_commit" must be used together.');
  }
  return pyTruthy(url) ? `${pyStr(url)} ${pyStr(commit)}` : null;
}

/** "default" or a key of extra_target_dirs; the key is stored, its path is looked up when needed. */
function parseTargetDir(data: JsonObject, settings: OdcsSettings): string {
  const targetDir = data.target_dir;
  if (!pyTruthy(targetDir) || targetDir === 'default') return 'default';
  const name = pyStr(targetDir);
  if (!Object.hasOwn(settings.extra_target_dirs, name)) throw new ValueError(`Unknown "target_dir" "${name}"`);
  return name;
}

/**
 * Validates a POST body exactly as ODCS's ComposesListAPI.post does (checks 1–10 and TTL).
 * Permissions are separate: call requireAllowedClient before and checkPermissions after.
 */
export function parseNewComposeRequest(body: unknown, settings: OdcsSettings): NewComposeRequest {
  if (!pyTruthy(body)) throw new ValueError('No JSON POST data submitted');
  // ODCS crashes (500) on non-object JSON such as "abc" or [1]; a 400 is what a client expects.
  if (!isJsonObject(body)) throw new BadRequestError('Failed to decode JSON object: expected a JSON object');
  validateJsonData(body);

  const seconds_to_live = secondsToLive(body, settings);

  const sourceData = body.source;
  if (!isJsonObject(sourceData)) throw new ValueError(`Invalid source configuration provided: ${pyRepr(body)}`);
  if (!Object.hasOwn(sourceData, 'type')) {
    throw new ValueError(`Missing type in source configuration, received: ${pyRepr(sourceData)}`);
  }
  const typeName = sourceData.type as string;
  if (!Object.hasOwn(SOURCE_TYPES, typeName)) throw new ValueError(`Unknown source type "${typeName}"`);
  const source_type = SOURCE_TYPES[typeName as SourceTypeName];

  const sources = splitSource(sourceData);
  const modules = joinedList(sourceData, 'modules');
  const scratch_modules = joinedList(sourceData, 'scratch_modules');
  const emptySourceAllowed =
    source_type === SOURCE_TYPES.build || (source_type === SOURCE_TYPES.module && pyTruthy(scratch_modules));
  if (sources.length === 0 && !emptySourceAllowed) throw new ValueError(`No source provided for ${source_type}`);
  if (source_type === SOURCE_TYPES.raw_config) validateRawConfigSource(sources, settings);
  if (source_type === SOURCE_TYPES.module) validateModuleSources(sources, settings);

  const sigkeys = joinedList(sourceData, 'sigkeys') ?? settings.sigkeys.join(' ');
  const flags = parseFlags(body);
  const results = parseResults(body);
  // ODCS's Compose.create falls back to conf.arches for an empty list too.
  const arches = joinedList(body, 'arches') || settings.arches.join(' ');
  const multilib_method = parseMultilibMethod(body);
  const module_defaults_url = parseModuleDefaults(sourceData);
  const target_dir = parseTargetDir(body, settings);

  return {
    source_type,
    source: sources.join(' '),
    packages: joinedList(sourceData, 'packages'),
    builds: joinedList(sourceData, 'builds'),
    flags,
    results,
    arches,
    sigkeys,
    koji_event: optionalInt(sourceData, 'koji_event'),
    lookaside_repos: joinedList(body, 'lookaside_repos') ?? '',
    multilib_arches: joinedList(body, 'multilib_arches') ?? '',
    multilib_method,
    modular_koji_tags: joinedList(sourceData, 'modular_koji_tags'),
    module_defaults_url,
    scratch_modules,
    scratch_build_tasks: joinedList(sourceData, 'scratch_build_tasks'),
    modules,
    parent_pungi_compose_ids: joinedList(body, 'parent_pungi_compose_ids'),
    respin_of: optionalString(body, 'respin_of'),
    label: optionalString(body, 'label'),
    compose_type: optionalString(body, 'compose_type') ?? 'test',
    target_dir,
    base_module_br_name: optionalString(sourceData, 'base_module_br_name'),
    base_module_br_stream: optionalString(sourceData, 'base_module_br_stream'),
    base_module_br_stream_version_lte: optionalInt(sourceData, 'base_module_br_stream_version_lte'),
    base_module_br_stream_version_gte: optionalInt(sourceData, 'base_module_br_stream_version_gte'),
    seconds_to_live,
  };
}

// ---------------------------------------------------------------------------------------------
// Roles and per-attribute permissions (auth.py has_role, api_utils.raise_if_input_not_allowed)

export type Role = 'allowed_clients' | 'admins';

/** A role holds when the user or one of the groups is listed. With noauth every role holds (ODCS). */
export function hasRole(user: RequestUser, settings: OdcsSettings, role: Role): boolean {
  if (settings.auth_backend === 'noauth') return true;
  const users = role === 'admins' ? settings.admins.users : Object.keys(settings.allowed_clients.users);
  const groups = role === 'admins' ? settings.admins.groups : Object.keys(settings.allowed_clients.groups);
  return users.includes(user.name) || user.groups.some((g) => groups.includes(g));
}

export function isAdmin(user: RequestUser, settings: OdcsSettings): boolean {
  return hasRole(user, settings, 'admins');
}

/** The @requires_role("allowed_clients") guard of POST and PATCH; ODCS runs it before reading the body. */
export function requireAllowedClient(user: RequestUser, settings: OdcsSettings): void {
  if (!hasRole(user, settings, 'allowed_clients')) {
    throw new ForbiddenError(`User ${user.name} is not in role allowed_clients.`);
  }
}

type PermissionAttr = keyof ClientPermissions;
type PermissionCheck = [PermissionAttr, string[]];


/** The attribute values ODCS checks, in its keyword order (which is also the message order). */
function permissionChecks(input: ComposeInput, composeType: string, withTargetDir: boolean): PermissionCheck[] {
  const checks: PermissionCheck[] = [
    ['source_types', [SOURCE_TYPE_NAMES[input.source_type] ?? String(input.source_type)]],
    ['sources', input.source.split(' ')],
    ['results', resultsToNames(input.results)],
    ['flags', flagsToNames(input.flags)],
    ['arches', input.arches.split(' ')],
    ['compose_types', composeType.split(' ')],
  ];
  // The default target_dir is always allowed, so it is not checked at all.
  if (withTargetDir && input.target_dir !== 'default') checks.push(['target_dirs', [input.target_dir]]);
  const rawConfigKeys = input.source_type === SOURCE_TYPES.raw_config ? [input.source.split('#')[0]] : [];
  checks.push(['raw_config_keys', rawConfigKeys]);
  return checks;
}

function defaultAllowed(attr: PermissionAttr, settings: OdcsSettings): string[] {
  switch (attr) {
    case 'raw_config_keys':
      return settings.allowed_raw_config_keys ?? Object.keys(settings.raw_config_urls);
    case 'source_types':
      return settings.allowed_source_types;
    case 'sources':
      return settings.allowed_sources;
    case 'results':
      return settings.allowed_results;
    case 'flags':
      return settings.allowed_flags;
    case 'arches':
      return settings.allowed_arches;
    case 'compose_types':
      return settings.allowed_compose_types;
    case 'target_dirs':
      return settings.allowed_target_dirs;
  }
}

/** A user entry wins outright; otherwise every matching group entry is a chance to pass. */
function permissionEntries(user: RequestUser, settings: OdcsSettings): ClientPermissions[] {
  if (settings.auth_backend === 'noauth') return [{}]; // conf defaults only
  const { users, groups } = settings.allowed_clients;
  if (Object.hasOwn(users, user.name)) return [users[user.name]];
  return user.groups.filter((g) => Object.hasOwn(groups, g)).map((g) => groups[g]);
}

function checkAttributes(checks: PermissionCheck[], user: RequestUser, settings: OdcsSettings, admin: boolean): void {
  const noauth = settings.auth_backend === 'noauth';
  if (admin && !noauth) return; // admins bypass per-attribute permissions (ODCS 0.7+)
  const name = noauth ? 'unknown' : user.name;
  const errors = new Set<string>();
  for (const entry of permissionEntries(user, settings)) {
    let denied = false;
    for (const [attr, values] of checks) {
      const allowed = entry[attr] ?? defaultAllowed(attr, settings);
      const anything = allowed.length === 1 && allowed[0] === '';
      const bad = anything ? undefined : values.find((v) => !allowed.includes(v));
      if (bad !== undefined) {
        errors.add(`User ${name} not allowed to operate with compose with ${attr}=${bad}.`);
        denied = true;
      }
    }
    if (!denied) return;
  }
  if (errors.size > 0) throw new ForbiddenError([...errors].join(' '));
  throw new ForbiddenError(`User ${name} not allowed to operate with any compose.`);
}

/**
 * POST permission check: the allowed_clients role, then per-attribute permissions (admins bypass).
 * With auth_backend "noauth" only the per-attribute check runs, against the allowed_* defaults,
 * for user "unknown".
 */
export function checkPermissions(input: ComposeInput, user: RequestUser, settings: OdcsSettings, isAdminUser: boolean): void {
  requireAllowedClient(user, settings);
  checkAttributes(permissionChecks(input, input.compose_type, true), user, settings, isAdminUser);
}

/** PATCH permission check, run against the old compose (no target_dirs; missing compose_type is "test"). */
export function checkRenewPermissions(
  old: ComposeRecord,
  user: RequestUser,
  settings: OdcsSettings,
  isAdminUser: boolean,
): void {
  requireAllowedClient(user, settings);
  checkAttributes(permissionChecks(old, old.compose_type || 'test', false), user, settings, isAdminUser);
}
