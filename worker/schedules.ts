// Temporal Schedules the worker ensures at start. Idempotent: an existing schedule is kept.
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { AppConfig } from '../core/config.js';

export const reconcileScheduleId = (config: AppConfig) => `odcs-reconcile-composes-${config.taskQueue}`;

export async function ensureSchedules(client: Client, config: AppConfig): Promise<void> {
  try {
    await client.schedule.create({
      scheduleId: reconcileScheduleId(config),
      spec: { intervals: [{ every: '1 minute' }] },
      action: { type: 'startWorkflow', workflowType: 'reconcileWorkflow', taskQueue: config.taskQueue, args: [] },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
      state: { note: 'Restarts the workflow of any compose that lost it' },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
}
