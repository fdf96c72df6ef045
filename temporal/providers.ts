// Starting provider refreshes (workflows started by function reference): from the API (a stale or
// missing read, an admin), the CLI and the worker. Ids are deterministic per provider and argument
// and a running refresh is reused (USE_EXISTING), so concurrent requests for one key run once.
import type { Client } from '@temporalio/client';
import { WorkflowIdConflictPolicy, type Priority } from '@temporalio/common';
import type { AppConfig } from '../core/config.js';
import {
  refreshAllWorkflowId,
  refreshOptions,
  refreshWorkflowId,
  type ProviderName,
  type RefreshInput,
} from '../core/providers/registry.js';
import { mapLimit } from '../activities/providers/http.js';
import { refreshAll, refreshProvider } from '../workflows/providers.js';

export interface Started {
  workflowId: string;
  runId: string;
}

/** `priority.priorityKey`: 1 goes first; unset is 3 (Schedules). A running refresh keeps its own. */
export async function startRefresh(client: Client, config: AppConfig, provider: ProviderName, arg?: string, opts: { priority?: number } = {}): Promise<Started> {
  const input: RefreshInput = { provider, options: refreshOptions(config.providers), ...(arg ? { arg } : {}) };
  const workflowId = refreshWorkflowId(config.taskQueue, provider, arg);
  const handle = await client.workflow.start(refreshProvider, {
    workflowId,
    taskQueue: config.taskQueue,
    args: [input],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    memo: { summary: `refresh ${provider}${arg ? ` ${arg}` : ''}` },
    ...(opts.priority ? { priority: { priorityKey: opts.priority } satisfies Priority } : {}),
  });
  return { workflowId, runId: handle.firstExecutionRunId };
}

export async function startRefreshAll(client: Client, config: AppConfig): Promise<Started> {
  const workflowId = refreshAllWorkflowId(config.taskQueue);
  const handle = await client.workflow.start(refreshAll, {
    workflowId,
    taskQueue: config.taskQueue,
    args: [{ options: refreshOptions(config.providers) }],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    memo: { summary: 'refresh every provider in dependency order' },
  });
  return { workflowId, runId: handle.firstExecutionRunId };
}

/** Starts many refreshes, a few at a time; failures are reported, not thrown. */
export async function startRefreshes(
  client: Client,
  config: AppConfig,
  keys: Array<{ provider: ProviderName; arg: string }>,
  concurrency = 8,
  opts: { priority?: number } = {},
): Promise<{ started: number; errors: Error[] }> {
  const errors: Error[] = [];
  await mapLimit(keys, concurrency, async (k) => {
    try {
      await startRefresh(client, config, k.provider, k.arg || undefined, opts);
    } catch (err) {
      errors.push(err as Error);
    }
  });
  return { started: keys.length - errors.length, errors };
}
