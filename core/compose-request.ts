// POST /api/1/composes/: the body validated exactly as ODCS's views.py (spec Part B §1 "POST body").
// Messages are ODCS's, byte for byte. Permissions are core/permissions.ts.
import { SOURCE_TYPES, type ComposeInput, type SourceTypeName } from './compose.js';
import { BadRequestError, ValueError, pyStr, pyRepr } from './errors.js';
import { COMPOSE_FLAGS, COMPOSE_RESULTS, MULTILIB_METHODS, NO_FLAGS, isFlagName, isMultilibMethodName, isResultName } from './flags.js';
import { isJsonObject, joinedList, pyTruthy, secondsToLive, validateJsonData, type JsonObject } from './request-body.js';
import type { OdcsSettings } from './settings.js';

export type NewComposeRequest = ComposeInput & { seconds_to_live: number };

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
