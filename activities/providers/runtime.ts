// Running providers against the cache: the logic behind the refresh activities, also used
// directly by the CLI (`refresh --direct`, `debug`) and the benchmarks. Each refresh reads its
// previous validators, asks the upstream (conditionally when it can), and writes the result in
// one transaction. Failures keep the data and are recorded on the row before they propagate.
import type pg from 'pg';
import type { AppConfig } from '../../core/config.js';
import {
  isGlobal,
  isValidPackageName,
  PACKAGE_PROVIDERS,
  PROVIDERS,
  type GlobalProvider,
  type PackageProvider,
  type ProviderName,
  type RefreshSummary,
  unconfiguredProviders,
} from '../../core/providers/registry.js';
import { ReleaseLabels, type ReleasesData } from '../../core/providers/releases.js';
import {
  confirmUnchanged,
  readData,
  readRow,
  readRows,
  recordFailure,
  writeGlobal,
  writePackage,
  type CacheRow,
} from '../../store/cache.js';
import { deleteCold, warmPackages } from '../../store/visits.js';
import { MalformedUpstreamError, mapLimit, runConditional, UpstreamClient, UpstreamError } from './http.js';
import { GLOBAL_MODULES, PACKAGE_MODULES } from './index.js';
import type { ProviderEnv } from './types.js';

export type ProvidersConfig = AppConfig['providers'];

export interface RuntimeDeps {
  pool: pg.Pool;
  providers: ProvidersConfig;
  /** Called after every upstream answer (activities heartbeat here). */
  onProgress?: () => void;
  fetchImpl?: typeof fetch;
}

export interface RefreshOpts {
  /** Skip when the data was confirmed after this ISO time. */
  skipIfRefreshedAfter?: string;
}

interface BatchContext {
  rows: Map<string, CacheRow>;
  /** Packages the upstream said are unchanged, confirmed together at the end. */
  unchanged: string[];
}

export interface BatchResult {
  /** Last package handled, or null when the sweep is over. */
  next: string | null;
  refreshed: number;
  changed: number;
  failed: number;
}

/** Errors a refresh records on the row (upstream trouble); anything else is our own failure. */
export const isUpstreamFailure = (err: unknown) => err instanceof UpstreamError || err instanceof MalformedUpstreamError;

export class ProviderRuntime {
  readonly client: UpstreamClient;

  constructor(private readonly deps: RuntimeDeps) {
    const { upstream, urls, bzApiKey } = deps.providers;
    this.client = new UpstreamClient(
      {
        ...upstream,
        headersFor: (url): Record<string, string> => (bzApiKey && url.startsWith(`${urls.bugzilla}/`) ? { 'X-BUGZILLA-API-KEY': bzApiKey } : {}),
      },
      deps.onProgress,
      deps.fetchImpl,
    );
  }

  /** What providers read besides their upstream; dependency reads are remembered for its lifetime (one activity). */
  async env(): Promise<ProviderEnv> {
    const releases = await readData<ReleasesData>(this.deps.pool, 'fedora_releases');
    const memo = new Map<string, Promise<unknown>>();
    return {
      urls: this.deps.providers.urls,
      releases,
      labels: new ReleaseLabels(releases),
      readData: <T>(provider: string, arg = '') => {
        const key = `${provider}\u0000${arg}`;
        if (!memo.has(key)) memo.set(key, readData(this.deps.pool, provider, arg));
        return memo.get(key) as Promise<T | null>;
      },
    };
  }

  /** Dependencies that have never been fetched (their meta row has no data). */
  async missingDependencies(provider: ProviderName): Promise<ProviderName[]> {
    const missing: ProviderName[] = [];
    for (const dep of PROVIDERS[provider].dependsOn) {
      if ((await readData(this.deps.pool, dep)) === null) missing.push(dep);
    }
    return missing;
  }

  async refreshGlobal(provider: GlobalProvider, opts: RefreshOpts = {}): Promise<RefreshSummary> {
    const pool = this.deps.pool;
    const row = await readRow(pool, provider);
    if (skip(row?.time_created ?? null, opts)) return { provider, outcome: 'skipped', count: 0 };
    if (unconfiguredProviders(this.deps.providers.urls).has(provider)) return { provider, outcome: 'skipped', count: 0 };
    try {
      const env = await this.env();
      const mod = GLOBAL_MODULES[provider];
      const result = await runConditional(this.client, row?.data != null ? row.validators : null, mod.plan(env), (ctx) => mod.fetch(ctx, env));
      if (result.unchanged) {
        await confirmUnchanged(pool, provider);
        return { provider, outcome: 'unchanged', count: 0 };
      }
      const { changed, count } = await writeGlobal(pool, provider, { ...result.value, validators: result.validators });
      return { provider, outcome: changed ? 'changed' : 'unchanged', count };
    } catch (err) {
      if (isUpstreamFailure(err)) await recordFailure(pool, provider, '', `${provider}: ${(err as Error).message}`);
      throw err;
    }
  }

  async refreshPackage(provider: PackageProvider, pkg: string, opts: RefreshOpts = {}, env?: ProviderEnv, batch?: BatchContext): Promise<RefreshSummary> {
    if (!isValidPackageName(pkg)) throw new Error(`invalid package name ${JSON.stringify(pkg)}`);
    const pool = this.deps.pool;
    const row = batch ? (batch.rows.get(pkg) ?? null) : await readRow(pool, provider, pkg);
    if (skip(row?.time_created ?? null, opts)) return { provider, arg: pkg, outcome: 'skipped', count: 0 };
    if (unconfiguredProviders(this.deps.providers.urls).has(provider)) return { provider, arg: pkg, outcome: 'skipped', count: 0 };
    try {
      env ??= await this.env();
      const mod = PACKAGE_MODULES[provider];
      const today = new Date();
      const plan = await mod.plan(env, pkg, today);
      const result = await runConditional(this.client, row?.data != null ? row.validators : null, plan, (ctx) => mod.fetch(ctx, env!, pkg), today);
      if (result.unchanged) {
        if (batch) batch.unchanged.push(pkg);
        else await confirmUnchanged(pool, provider, pkg);
        return { provider, arg: pkg, outcome: 'unchanged', count: 1 };
      }
      const changed = await writePackage(pool, provider, pkg, result.value, result.validators);
      return { provider, arg: pkg, outcome: changed ? 'changed' : 'unchanged', count: 1 };
    } catch (err) {
      if (isUpstreamFailure(err)) await recordFailure(pool, provider, pkg, `${provider} ${pkg}: ${(err as Error).message}`);
      throw err;
    }
  }

  /**
   * Refreshes the next `limit` packages (in name order after `after`) that somebody asked for
   * within CACHE_VISIT_DAYS, directly or through a user or group they looked at (store/visits.ts). A package whose upstream fails keeps its data and records the error;
   * the batch goes on.
   */
  async refreshRequestedBatch(provider: PackageProvider, after: string, limit: number): Promise<BatchResult> {
    const pool = this.deps.pool;
    const pkgs = await warmPackages(pool, provider, this.deps.providers.visitDays, after, limit);
    const env = await this.env();
    // One read of the batch's rows and one write for all the unchanged ones.
    const batch: BatchContext = { rows: new Map((await readRows(pool, [provider], pkgs)).map((r) => [r.arg, r])), unchanged: [] };
    let changed = 0;
    let failed = 0;
    const perPackage = Math.max(1, Math.ceil(this.deps.providers.upstream.concurrency / 2));
    await mapLimit(pkgs, perPackage, async (pkg) => {
      try {
        const r = await this.refreshPackage(provider, pkg, {}, env, batch);
        if (r.outcome === 'changed') changed++;
      } catch (err) {
        if (!isUpstreamFailure(err)) throw err;
        failed++;
      }
    });
    await confirmUnchanged(pool, provider, batch.unchanged);
    return { next: pkgs.length < limit ? null : pkgs[pkgs.length - 1], refreshed: pkgs.length, changed, failed };
  }

  /** Deletes package rows nobody asked for within CACHE_GC_DAYS, unless a user or group seen since owns them. */
  async collectGarbage(): Promise<{ deleted: number }> {
    return { deleted: await deleteCold(this.deps.pool, PACKAGE_PROVIDERS, this.deps.providers.gcDays) };
  }

  /** Any provider, for the CLI: a global one, one package, or every requested package. */
  async refresh(provider: ProviderName, arg?: string): Promise<RefreshSummary> {
    if (isGlobal(provider)) return this.refreshGlobal(provider);
    if (arg) return this.refreshPackage(provider as PackageProvider, arg);
    let after = '';
    const total: RefreshSummary = { provider, outcome: 'swept', count: 0, failed: 0 };
    for (;;) {
      const b = await this.refreshRequestedBatch(provider as PackageProvider, after, 100);
      total.count += b.refreshed;
      total.failed! += b.failed;
      if (b.next === null) return total;
      after = b.next;
    }
  }
}

function skip(timeCreated: Date | null, opts: RefreshOpts): boolean {
  return Boolean(opts.skipIfRefreshedAfter && timeCreated && timeCreated.getTime() > Date.parse(opts.skipIfRefreshedAfter));
}
