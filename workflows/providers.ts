// The provider-cache workflows (spec oraculum.md Part A). Deterministic orchestration only: every
// upstream request and every SQL statement happens in activities on PROVIDER_TASK_QUEUE.
//
// - refreshProvider: one provider (global), one package, or every package asked for recently
//   (a sweep in batches). Missing dependencies are refreshed first. Started with a deterministic
//   id per provider and argument, so concurrent requests for one key run once.
// - refreshAll: the seed SOP's runbook as one workflow, phase by phase (REFRESH_PHASES), each
//   provider's activities run by refresh-all itself (runs from before: a child per provider).
// - refreshPackageCaches: the per-package sweep of the bug, PR and ABRT providers (Schedule), likewise.
// - collectGarbage: deletes package rows nobody asked for within CACHE_GC_DAYS (Schedule).
import {
  ApplicationFailure,
  continueAsNew,
  executeChild,
  patched,
  proxyActivities,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { ProviderActivities } from '../activities/providers/activities.js';
import {
  isGlobal,
  PACKAGE_CACHE_PROVIDERS,
  REFRESH_PHASES,
  refreshWorkflowId,
  type PackageProvider,
  type ProviderName,
  type RefreshInput,
  type RefreshOptions,
  type RefreshSummary,
} from '../core/providers/registry.js';

/** Packages per activity in a sweep. */
const SWEEP_BATCH = 500;

function refreshActivities(o: RefreshOptions) {
  return proxyActivities<ProviderActivities>({
    taskQueue: o.activityTaskQueue,
    startToCloseTimeout: '1 hour',
    heartbeatTimeout: `${o.heartbeatSeconds} seconds`,
    retry: {
      initialInterval: `${o.retrySeconds} seconds`,
      backoffCoefficient: 2,
      maximumInterval: `${Math.max(o.retrySeconds, 3600)} seconds`,
      maximumAttempts: o.attempts,
      nonRetryableErrorTypes: ['MalformedUpstreamData'],
    },
  });
}

function bookkeepingActivities(o: RefreshOptions) {
  return proxyActivities<ProviderActivities>({
    taskQueue: o.activityTaskQueue,
    startToCloseTimeout: '10 minutes',
    retry: { initialInterval: '1 second', maximumInterval: '1 minute', maximumAttempts: 10 },
  });
}

/** The innermost message of a failure chain (child -> activity -> application failure). */
export function rootMessage(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  while (e?.cause) e = e.cause as typeof e;
  return e?.message ?? String(err);
}

/**
 * Runs a refresh as a child with its deterministic id (refresh-all). When a run with that id is
 * already going (an ad-hoc request), waits for it to finish, then runs again unless that run
 * refreshed the data meanwhile.
 */
async function runChild(input: RefreshInput): Promise<RefreshSummary> {
  const workflowId = refreshWorkflowId(workflowInfo().taskQueue, input.provider, input.arg);
  let waitingSince: string | undefined;
  for (let delay = 1; ; delay = Math.min(delay * 2, 30)) {
    try {
      return await executeChild(refreshProvider, { workflowId, args: [{ ...input, skipIfRefreshedAfter: waitingSince }] });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      waitingSince ??= new Date().toISOString();
      await sleep(`${delay} seconds`);
    }
  }
}

export async function refreshProvider(input: RefreshInput): Promise<RefreshSummary> {
  const { provider, options } = input;
  if (!input.noDependencies) {
    // Dependencies never fetched are fetched first, in order (versions: releases, then updates).
    // When one is already being fetched (many cold package refreshes wait on the same releases),
    // wait and look again rather than fetch it once more.
    const book = bookkeepingActivities(options);
    for (let delay = 1; ; delay = Math.min(delay * 2, 30)) {
      const missing = await book.missingDependencies(provider);
      if (missing.length === 0) break;
      try {
        await executeChild(refreshProvider, {
          workflowId: refreshWorkflowId(workflowInfo().taskQueue, missing[0]),
          args: [{ provider: missing[0], options }],
        });
        delay = 0.5;
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        await sleep(`${delay} seconds`);
      }
    }
  }
  return runActivities(input, true);
}

/**
 * The refresh itself: a global provider's, one package's, or a sweep in batches of the packages
 * asked for (continued as new when the history grows long, if `mayContinueAsNew`).
 */
async function runActivities(input: RefreshInput, mayContinueAsNew: boolean): Promise<RefreshSummary> {
  const { provider, arg, options } = input;
  const act = refreshActivities(options);
  const opts = input.skipIfRefreshedAfter ? { skipIfRefreshedAfter: input.skipIfRefreshedAfter } : {};
  if (isGlobal(provider)) return act.refreshGlobalProvider(provider, opts);
  if (arg) return act.refreshPackageProvider(provider as PackageProvider, arg, opts);
  const total: RefreshSummary = input.carried ?? { provider, outcome: 'swept', count: 0, failed: 0 };
  let after = input.after ?? '';
  for (;;) {
    const batch = await act.refreshRequestedPackages(provider as PackageProvider, after, SWEEP_BATCH);
    total.count += batch.refreshed;
    total.failed = (total.failed ?? 0) + batch.failed;
    if (batch.next === null) return total;
    after = batch.next;
    if (mayContinueAsNew && workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof refreshProvider>({ ...input, noDependencies: true, after, carried: total });
    }
  }
}

/**
 * Runs refresh-all's providers as its own activities rather than a child workflow each: a child
 * cost a start, two workflow tasks and a completion on the critical path of every phase (most of
 * a no-change refresh). A run of an older shape replays with its children.
 */
const INLINE_PROVIDERS_PATCH = 'refresh-all-providers-inline';

export interface RefreshAllResult {
  results: RefreshSummary[];
  failures: string[];
}

async function runPhases(phases: ProviderName[][], options: RefreshOptions, what: string): Promise<RefreshAllResult> {
  const results: RefreshSummary[] = [];
  const failures: string[] = [];
  const inline = patched(INLINE_PROVIDERS_PATCH);
  for (const phase of phases) {
    // A failed provider keeps its old data, which later phases can still use.
    const settled = await Promise.allSettled(
      phase.map((provider) => (inline ? runActivities({ provider, options }, false) : runChild({ provider, options, noDependencies: true }))),
    );
    settled.forEach((s, i) => {
      if (s.status === 'fulfilled') results.push(s.value);
      else failures.push(`${phase[i]}: ${rootMessage(s.reason)}`);
    });
  }
  if (failures.length) {
    throw ApplicationFailure.nonRetryable(
      `${what}: ${failures.length} of ${phases.flat().length} providers failed: ${failures.join('; ')}`,
      'RefreshFailed',
      { results, failures },
    );
  }
  return { results, failures };
}

/** The whole runbook: releases, owners and groups, updates/overrides/Koschei, versions, per-package data. */
export async function refreshAll(input: { options: RefreshOptions }): Promise<RefreshAllResult> {
  return runPhases(REFRESH_PHASES, input.options, `refresh-all`);
}

/** Bugs, pull requests and ABRT reports of the packages asked for recently. */
export async function refreshPackageCaches(input: { options: RefreshOptions }): Promise<RefreshAllResult> {
  return runPhases([PACKAGE_CACHE_PROVIDERS], input.options, 'package caches');
}

export async function collectGarbage(input: { options: RefreshOptions }): Promise<{ deleted: number }> {
  return bookkeepingActivities(input.options).collectCacheGarbage();
}
