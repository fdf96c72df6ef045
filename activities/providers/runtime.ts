// Running providers against the cache: the logic behind the refresh activities, also used
// directly by the CLI (`refresh --direct`, `debug`) and the benchmarks. Each refresh reads its
// previous validators, asks the upstream (conditionally when it can, in bulk or through a
// "changed since" filter in package sweeps), and writes the results in few statements. Failures
// keep the data and are recorded on the row.
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
  recordFailures,
  writePackage,
  writePackages,
  type PackageWrite,
} from '../../store/cache.js';
import { deleteCold, warmPackages } from '../../store/visits.js';
import { fetchTransport, isUpstreamFailure, mapLimit, runConditional, UpstreamClient } from './http.js';
import { GLOBAL_MODULES, PACKAGE_MODULES } from './index.js';
import type { BatchOutcome, ProviderEnv } from './types.js';

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

export interface BatchResult {
  /** Last package handled, or null when the sweep is over. */
  next: string | null;
  refreshed: number;
  changed: number;
  failed: number;
}

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
      deps.fetchImpl ? fetchTransport(deps.fetchImpl) : undefined,
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
      preload: async (provider: string, args: string[]) => {
        const found = new Map((await readRows(this.deps.pool, [provider], args)).map((r) => [r.arg, r.data]));
        for (const arg of args) memo.set(`${provider}\u0000${arg}`, Promise.resolve(found.get(arg) ?? null));
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

  async refreshPackage(provider: PackageProvider, pkg: string, opts: RefreshOpts = {}, env?: ProviderEnv): Promise<RefreshSummary> {
    if (!isValidPackageName(pkg)) throw new Error(`invalid package name ${JSON.stringify(pkg)}`);
    const pool = this.deps.pool;
    const row = await readRow(pool, provider, pkg);
    if (skip(row?.time_created ?? null, opts)) return { provider, arg: pkg, outcome: 'skipped', count: 0 };
    if (unconfiguredProviders(this.deps.providers.urls).has(provider)) return { provider, arg: pkg, outcome: 'skipped', count: 0 };
    try {
      env ??= await this.env();
      const mod = PACKAGE_MODULES[provider];
      const today = new Date();
      const plan = await mod.plan(env, pkg, today);
      const result = await runConditional(this.client, row?.time_created ? row.validators : null, plan, (ctx) => mod.fetch(ctx, env!, pkg), today);
      if (result.unchanged) {
        await confirmUnchanged(pool, provider, pkg);
        return { provider, arg: pkg, outcome: 'unchanged', count: 1 };
      }
      const changed = await writePackage(pool, provider, pkg, result.value, { ...result.validators, full_at: today.getTime() });
      return { provider, arg: pkg, outcome: changed ? 'changed' : 'unchanged', count: 1 };
    } catch (err) {
      if (isUpstreamFailure(err)) await recordFailure(pool, provider, pkg, `${provider} ${pkg}: ${(err as Error).message}`);
      throw err;
    }
  }

  /**
   * Refreshes the next `limit` packages (in name order after `after`) that somebody asked for
   * within CACHE_VISIT_DAYS, directly or through a user or group they looked at (store/visits.ts).
   * Few requests and few statements per batch: packages the upstream's "changed since" filter
   * clears are confirmed without a request of their own, bulk upstreams are asked for many
   * packages at once, the rest conditionally one by one; then one statement writes what changed,
   * one confirms the rest, one records the failures. A package whose upstream fails keeps its
   * data and records the error; the batch goes on.
   */
  async refreshRequestedBatch(provider: PackageProvider, after: string, limit: number): Promise<BatchResult> {
    const pool = this.deps.pool;
    const pkgs = await warmPackages(pool, provider, this.deps.providers.visitDays, after, limit);
    const next = pkgs.length < limit ? null : pkgs[pkgs.length - 1];
    if (unconfiguredProviders(this.deps.providers.urls).has(provider)) return { next, refreshed: 0, changed: 0, failed: 0 };
    const env = await this.env();
    const mod = PACKAGE_MODULES[provider];
    const rows = new Map((await readRows(pool, [provider], pkgs)).map((r) => [r.arg, r]));
    const today = new Date();
    await mod.prepare?.(env, pkgs);
    const plans = new Map(await mapLimit(pkgs, 16, async (pkg) => [pkg, await mod.plan(env, pkg, today)] as const));
    const outcomes = new Map<string, BatchOutcome>();
    // Fetched once = has time_created (a package without a calendar is fetched, and null).
    const previous = (pkg: string) => (rows.get(pkg)?.time_created ? (rows.get(pkg)!.validators ?? {}) : null);

    // 1. The upstream's "changed since" filter, for packages fetched in full recently with the same plan.
    const resync = this.deps.providers.upstream.fullResyncMs ?? 0;
    if (mod.changedSince && resync > 0) {
      const eligible = pkgs.filter((pkg) => {
        const row = rows.get(pkg);
        const v = row?.validators;
        return row?.time_created && !row.last_error && v !== undefined && v.plan === plans.get(pkg) && v.full_at !== undefined && today.getTime() - v.full_at < resync;
      });
      if (eligible.length) {
        // Five minutes of slack for clocks that disagree.
        const since = new Date(Math.min(...eligible.map((pkg) => rows.get(pkg)!.time_created!.getTime())) - 300_000);
        try {
          const delta = await runConditional(this.client, null, 'delta', (ctx) => mod.changedSince!(ctx, env, eligible, since), today);
          if (delta.unchanged) throw new Error('unreachable: an unconditional fetch is never unchanged');
          // null: the filter cannot answer this time (off, or a gap in its feed).
          const changed = delta.value;
          if (changed) for (const pkg of eligible) if (!changed.has(pkg)) outcomes.set(pkg, { unchanged: true });
        } catch (err) {
          // Without the filter every package is asked on its own below.
          if (!isUpstreamFailure(err)) throw err;
        }
      }
    }

    // 2. Bulk upstreams, or each package conditionally.
    const todo = pkgs.filter((pkg) => !outcomes.has(pkg));
    const got = mod.fetchBatch ? await mod.fetchBatch(this.client, env, todo.map((pkg) => ({ pkg, plan: plans.get(pkg)!, previous: previous(pkg) })), today) : null;
    if (got) {
      for (const [pkg, o] of got) outcomes.set(pkg, o);
    } else {
      // The client keeps UPSTREAM_CONCURRENCY requests in flight; enough packages at once to fill them.
      const perPackage = Math.max(1, this.deps.providers.upstream.concurrency);
      await mapLimit(todo, perPackage, async (pkg) => {
        try {
          outcomes.set(pkg, await runConditional(this.client, previous(pkg), plans.get(pkg)!, (ctx) => mod.fetch(ctx, env, pkg), today));
        } catch (err) {
          if (!isUpstreamFailure(err)) throw err;
          outcomes.set(pkg, { error: err as Error });
        }
      });
    }

    // 3. One statement each: what was fetched, what is confirmed, what failed.
    const writes: PackageWrite[] = [];
    const unchanged: string[] = [];
    const failures: Array<{ arg: string; message: string }> = [];
    for (const pkg of pkgs) {
      const o = outcomes.get(pkg);
      if (!o) continue;
      if ('error' in o) failures.push({ arg: pkg, message: `${provider} ${pkg}: ${o.error.message}` });
      else if (o.unchanged) unchanged.push(pkg);
      else writes.push({ arg: pkg, data: o.value, validators: { ...o.validators, full_at: today.getTime() } });
    }
    const changed = await writePackages(pool, provider, writes);
    await confirmUnchanged(pool, provider, unchanged);
    await recordFailures(pool, provider, failures);
    return { next, refreshed: pkgs.length, changed: changed.size, failed: failures.length };
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
