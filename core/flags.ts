// Bit sets of ODCS's common/types.py. Name lists are produced in bit order, as ODCS does.

export const COMPOSE_FLAGS = {
  no_deps: 1,
  no_inheritance: 2,
  include_unpublished_pulp_repos: 4,
  check_deps: 8,
  include_done_modules: 16,
  ignore_absent_pulp_repos: 32,
  no_reuse: 64,
  use_only_compatible_arch: 128,
  no_label: 256,
} as const;
export type FlagName = keyof typeof COMPOSE_FLAGS;

/** ODCS also accepts the pseudo flag "no_flags" (value 0) in requests; it never appears in output. */
export const NO_FLAGS = 'no_flags';

export const COMPOSE_RESULTS = {
  repository: 1,
  iso: 2,
  ostree: 4,
  'boot.iso': 8,
} as const;
export type ResultName = keyof typeof COMPOSE_RESULTS;

export const MULTILIB_METHODS = {
  none: 0,
  runtime: 1,
  devel: 2,
  all: 4,
} as const;
export type MultilibMethodName = keyof typeof MULTILIB_METHODS;

function bitsToNames<K extends string>(table: Record<K, number>, bits: number): K[] {
  return (Object.keys(table) as K[]).filter((name) => table[name] !== 0 && (bits & table[name]) === table[name]);
}

export function flagsToNames(bits: number): FlagName[] {
  return bitsToNames(COMPOSE_FLAGS, bits);
}

export function resultsToNames(bits: number): ResultName[] {
  return bitsToNames(COMPOSE_RESULTS, bits);
}

export function multilibMethodToNames(bits: number): MultilibMethodName[] {
  return bitsToNames(MULTILIB_METHODS, bits);
}

export function hasFlag(bits: number, name: FlagName): boolean {
  return (bits & COMPOSE_FLAGS[name]) !== 0;
}

export function isFlagName(name: unknown): name is FlagName {
  return typeof name === 'string' && Object.hasOwn(COMPOSE_FLAGS, name);
}

export function isResultName(name: unknown): name is ResultName {
  return typeof name === 'string' && Object.hasOwn(COMPOSE_RESULTS, name);
}

export function isMultilibMethodName(name: unknown): name is MultilibMethodName {
  return typeof name === 'string' && Object.hasOwn(MULTILIB_METHODS, name);
}
