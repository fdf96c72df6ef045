// Run by a Schedule every minute: gives a workflow back to any compose that has lost its own
// (the API died between the INSERT and the start, or an operator terminated one), so no compose
// stays in `wait` or `generating`, or outlives its expiry, for want of a workflow.
import { proxyActivities } from '@temporalio/workflow';
import type { ReconcileActivities } from '../activities/reconcile.js';

const { reconcileComposes } = proxyActivities<ReconcileActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { maximumAttempts: 3 },
});

export async function reconcileWorkflow(): Promise<number> {
  return reconcileComposes();
}
