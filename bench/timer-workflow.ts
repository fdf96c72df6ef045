// Bench-only workflow (bundled on its own, run by its own worker on its own task queue, see
// bench/expiry-lag.ts): the baseline of the expiry-lag benchmark. It does what the compose
// workflow does at its deadline, minus the compose: sleep until an absolute deadline, then tell an
// activity when it woke. The workflow clock after the sleep is the time of the workflow task
// that resumed it; the activity adds its own wall clock (timer -> workflow task -> activity, the
// same path as the compose's expireCompose).
import { proxyActivities, sleep } from '@temporalio/workflow';

export interface TimerWake {
  key: number;
  deadline: number;
  /** Workflow clock (ms since epoch) when the sleep returned. */
  workflowWake: number;
}

export interface TimerActivities {
  recordWake(wake: TimerWake): Promise<void>;
}

const { recordWake } = proxyActivities<TimerActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', backoffCoefficient: 2 },
});

export async function benchTimerWorkflow(key: number, deadline: number): Promise<void> {
  // As in workflows/compose.ts: the remaining time, measured on the workflow clock.
  const remaining = Math.max(0, deadline - Date.now());
  if (remaining > 0) await sleep(remaining);
  await recordWake({ key, deadline, workflowWake: Date.now() });
}
