// The provider refresh activities (task queue PROVIDER_TASK_QUEUE). Upstream trouble becomes an
// ApplicationFailure: "UpstreamError" is retried by Temporal with backoff (REFRESH_ATTEMPTS),
// "MalformedUpstreamData" is not (the same answer would fail the same way); either way the old
// data stays and the error is on the row.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type pg from 'pg';
import type { GlobalProvider, PackageProvider, ProviderName, RefreshSummary } from '../../core/providers/registry.js';
import { MalformedUpstreamError, UpstreamError } from './http.js';
import { ProviderRuntime, type BatchResult, type ProvidersConfig, type RefreshOpts } from './runtime.js';

export function toFailure(err: unknown): unknown {
  if (err instanceof MalformedUpstreamError) return ApplicationFailure.nonRetryable(err.message, 'MalformedUpstreamData');
  if (err instanceof UpstreamError) return ApplicationFailure.retryable(err.message, 'UpstreamError');
  return err;
}

export function createProviderActivities(deps: { pool: pg.Pool; providers: ProvidersConfig; fetchImpl?: typeof fetch }) {
  const runtime = () => {
    let ctx: Context | null = null;
    try {
      ctx = Context.current();
    } catch {
      ctx = null;
    }
    return new ProviderRuntime({ ...deps, onProgress: () => ctx?.heartbeat() });
  };
  const wrap = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw toFailure(err);
    }
  };
  return {
    async missingDependencies(provider: ProviderName): Promise<ProviderName[]> {
      return runtime().missingDependencies(provider);
    },
    async refreshGlobalProvider(provider: GlobalProvider, opts: RefreshOpts = {}): Promise<RefreshSummary> {
      return wrap(() => runtime().refreshGlobal(provider, opts));
    },
    async refreshPackageProvider(provider: PackageProvider, pkg: string, opts: RefreshOpts = {}): Promise<RefreshSummary> {
      return wrap(() => runtime().refreshPackage(provider, pkg, opts));
    },
    async refreshRequestedPackages(provider: PackageProvider, after: string, limit: number): Promise<BatchResult> {
      return wrap(() => runtime().refreshRequestedBatch(provider, after, limit));
    },
    async collectCacheGarbage(): Promise<{ deleted: number }> {
      return runtime().collectGarbage();
    },
  };
}

export type ProviderActivities = ReturnType<typeof createProviderActivities>;
