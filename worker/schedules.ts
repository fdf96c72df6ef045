// Temporal Schedules the worker ensures at start. Idempotent: an existing schedule is kept.
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { AppConfig } from '../core/config.js';
import { PROVIDERS, PROVIDER_NAMES, providerScheduleId, refreshOptions } from '../core/providers/registry.js';
import { collectGarbage, refreshPackageCaches, refreshProvider } from '../workflows/providers.js';
import { reconcileWorkflow } from '../workflows/reconcile.js';

export const reconcileScheduleId = (config: AppConfig) => `odcs-reconcile-composes-${config.taskQueue}`;

export async function ensureSchedules(client: Client, config: AppConfig): Promise<void> {
  try {
    await client.schedule.create({
      scheduleId: reconcileScheduleId(config),
      spec: { intervals: [{ every: '1 minute' }] },
      action: { type: 'startWorkflow', workflowType: reconcileWorkflow, taskQueue: config.taskQueue, args: [] },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
      state: { note: 'Restarts the workflow of any compose that lost it' },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
}

// Provider caches (oraculum): one Schedule per scheduled provider, one for the per-package caches
// and one for the garbage collector. Overlap SKIP: a run still going when the next is due is
// left alone. Created at worker start; an existing one whose interval or arguments changed in the
// configuration is updated in place, so restarts never duplicate them.
export interface ProviderSchedule {
  scheduleId: string;
  /** The name of the workflow function (refreshProvider, refreshPackageCaches or collectGarbage). */
  workflowType: string;
  args: unknown[];
  everySeconds: number;
  note: string;
}

export function providerSchedules(config: AppConfig): ProviderSchedule[] {
  const options = refreshOptions(config.providers);
  const { intervals } = config.providers;
  const out: ProviderSchedule[] = PROVIDER_NAMES.filter((p) => PROVIDERS[p].scheduled).map((provider) => ({
    scheduleId: providerScheduleId(config.taskQueue, provider),
    workflowType: refreshProvider.name,
    args: [{ provider, options }],
    everySeconds: intervals[provider],
    note: `Refreshes the ${provider} provider cache`,
  }));
  out.push({
    scheduleId: providerScheduleId(config.taskQueue, 'package_caches'),
    workflowType: refreshPackageCaches.name,
    args: [{ options }],
    everySeconds: intervals.package_caches,
    note: 'Refreshes bugs, pull requests and ABRT reports of packages asked for recently',
  });
  out.push({
    scheduleId: providerScheduleId(config.taskQueue, 'garbage_collection'),
    workflowType: collectGarbage.name,
    args: [{ options }],
    everySeconds: intervals.garbage_collection,
    note: 'Deletes per-package cache rows nobody asked for within CACHE_GC_DAYS',
  });
  return out;
}

/** Creates or updates the provider Schedules (deletes them when PROVIDER_SCHEDULES=false). */
export async function ensureProviderSchedules(client: Client, config: AppConfig): Promise<{ created: string[]; updated: string[]; deleted: string[] }> {
  const result = { created: [] as string[], updated: [] as string[], deleted: [] as string[] };
  if (!config.providers.schedules) {
    result.deleted = await deleteProviderSchedules(client, config);
    return result;
  }
  for (const s of providerSchedules(config)) {
    const action = { type: 'startWorkflow' as const, workflowType: s.workflowType, taskQueue: config.taskQueue, args: s.args };
    try {
      await client.schedule.create({
        scheduleId: s.scheduleId,
        spec: { intervals: [{ every: s.everySeconds * 1000 }] },
        action,
        policies: { overlap: ScheduleOverlapPolicy.SKIP },
        state: { note: s.note },
      });
      result.created.push(s.scheduleId);
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      const handle = client.schedule.getHandle(s.scheduleId);
      const current = await handle.describe();
      const every = current.spec.intervals?.[0]?.every;
      const same =
        current.spec.intervals?.length === 1 &&
        (typeof every === 'number' ? every : Number.NaN) === s.everySeconds * 1000 &&
        current.action.type === 'startWorkflow' &&
        current.action.workflowType === s.workflowType &&
        current.action.taskQueue === config.taskQueue &&
        JSON.stringify(current.action.args) === JSON.stringify(s.args) &&
        current.policies.overlap === ScheduleOverlapPolicy.SKIP;
      if (same) continue;
      await handle.update((prev) => ({
        ...prev,
        spec: { intervals: [{ every: s.everySeconds * 1000 }] },
        action,
        policies: { ...prev.policies, overlap: ScheduleOverlapPolicy.SKIP },
      }));
      result.updated.push(s.scheduleId);
    }
  }
  return result;
}

export async function deleteProviderSchedules(client: Client, config: AppConfig): Promise<string[]> {
  const deleted: string[] = [];
  for (const s of providerSchedules(config)) {
    try {
      await client.schedule.getHandle(s.scheduleId).delete();
      deleted.push(s.scheduleId);
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
  }
  return deleted;
}
