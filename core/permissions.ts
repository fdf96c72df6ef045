// Roles and per-attribute permissions of ODCS (auth.py has_role, api_utils.raise_if_input_not_allowed),
// for POST and PATCH (spec Part B §4). Messages are ODCS's, byte for byte.
import { SOURCE_TYPE_NAMES, SOURCE_TYPES, type ComposeInput, type ComposeRecord } from './compose.js';
import { ForbiddenError } from './errors.js';
import { flagsToNames, resultsToNames } from './flags.js';
import type { ClientPermissions, OdcsSettings } from './settings.js';

export interface RequestUser {
  name: string;
  groups: string[];
}

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
