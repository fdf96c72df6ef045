// What every provider module implements. A global provider turns upstream answers into a meta
// document plus entity rows; a package provider into one document per package. Both are pure
// functions of what they fetch through the FetchContext (which handles retries, conditional
// requests and concurrency) and of the cached data they depend on (ProviderEnv).
import type { GlobalProvider, PackageProvider } from '../../core/providers/registry.js';
import type { ReleaseLabels, ReleasesData } from '../../core/providers/releases.js';
import type { Validators } from '../../store/cache.js';
import type { ConditionalResult, FetchContext, UpstreamClient } from './http.js';

export interface UpstreamUrls {
  bodhi: string;
  pagure: string;
  koschei: string;
  mdapi: string;
  /** Koji hub (XML-RPC); null: package versions from mdapi only. */
  koji: string | null;
  bugzilla: string;
  faf: string;
  /** datagrepper, the message bus archive; null: no message feed (every package's pull requests listed). */
  datagrepper: string | null;
  /** Topic prefix of dist-git's messages (org.fedoraproject.prod). */
  topicPrefix: string;
  /** Full URL of the orphans JSON. */
  orphans: string;
  /** Full URL of the fails-to-install JSON; null: provider off. */
  fti: string | null;
  /** Full URL of the release schedule ICS; null: provider off. */
  schedule: string | null;
  /** Base of the per-package calendars (<base>/<pkg>.ics); null: provider off. */
  calendars: string | null;
  /** Pagure's file listing of the calendars' folder; null: every package asked. */
  calendarsIndex: string | null;
}

export interface ProviderEnv {
  urls: UpstreamUrls;
  /** Cached fedora_releases data (null before its first refresh). */
  releases: ReleasesData | null;
  labels: ReleaseLabels;
  /** Reads cached data of another provider (dependencies). */
  readData<T = unknown>(provider: string, arg?: string): Promise<T | null>;
  /** Reads the rows of many args in one statement, for the readData calls that follow. */
  preload(provider: string, args: string[]): Promise<void>;
}

export interface GlobalFetchResult {
  meta: unknown;
  /** One row per entity (package, user, group); null when the provider has only its meta row. */
  entries: Map<string, unknown> | null;
}

export interface GlobalProviderModule {
  name: GlobalProvider;
  /** What the URL set and the parsing depend on besides the upstream (conditional requests are only valid for the same plan). */
  plan(env: ProviderEnv): string;
  fetch(ctx: FetchContext, env: ProviderEnv): Promise<GlobalFetchResult>;
}

export interface PackageProviderModule {
  name: PackageProvider;
  plan(env: ProviderEnv, pkg: string, today: Date): Promise<string>;
  fetch(ctx: FetchContext, env: ProviderEnv, pkg: string): Promise<unknown>;
  /** Optional: before a batch, read what plan() and fetch() will read of other providers (env.preload). */
  prepare?(env: ProviderEnv, pkgs: string[]): Promise<void>;
  /**
   * Optional "changed since" filter of the upstream (Bodhi, Bugzilla, datagrepper's messages): of
   * `pkgs`, each fetched in full with its current plan and confirmed at or after `since`, the ones
   * that may have changed since. The others are confirmed without a request of their own. null:
   * the filter cannot answer this time (not configured, or its feed has a gap): every package is
   * asked on its own.
   */
  changedSince?(ctx: FetchContext, env: ProviderEnv, pkgs: string[], since: Date): Promise<Set<string> | null>;
  /**
   * Optional bulk fetch (Bugzilla, FAF, Koji): many packages with few requests. A failed request
   * fails the packages it was for (their old data stays); the others go on. null: no bulk source
   * configured, each package is asked on its own.
   */
  fetchBatch?(client: UpstreamClient, env: ProviderEnv, items: BatchItem[], today: Date): Promise<Map<string, BatchOutcome> | null>;
}

export interface BatchItem {
  pkg: string;
  plan: string;
  /** Validators of the last full fetch; null when the package has no data yet. */
  previous: Validators | null;
}

export type BatchOutcome = ConditionalResult<unknown> | { error: Error };

/** Sorted, de-duplicated. */
export const uniqSorted = (xs: Iterable<string>) => [...new Set(xs)].sort();

/** Appends to a map of lists. */
export function push<T>(m: Map<string, T[]>, key: string, value: T): void {
  const list = m.get(key);
  if (list) list.push(value);
  else m.set(key, [value]);
}
