// Messages of the compose workflow, shared with temporal/compose.ts (which imports the definitions only).
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

export interface ExtendRequest {
  secondsToLive: number;
}
export interface DeleteRequest {
  user: string;
  isAdmin: boolean;
}
/** What the workflow did, so the HTTP reply can say it. */
export interface UpdateOutcome {
  state: number;
  timeToExpire: string; // ISO
  message: string;
}
export interface ComposeStatus {
  id: number;
  state: number;
  timeToExpire: string | null;
  reusedId: number | null;
}

// The API decides PATCH and DELETE in PostgreSQL and tells the workflow by signal (via the
// workflow_commands records). These two updates remain for workflows that are still waiting on them.
/** Move the expiry to max(current, now + secondsToLive) on this compose and the ones sharing its files. */
export const extendUpdate = defineUpdate<UpdateOutcome, [ExtendRequest]>('extend');
/** Cancel a waiting compose, or expire a done/failed one now. */
export const deleteUpdate = defineUpdate<UpdateOutcome, [DeleteRequest]>('delete');
/** The compose's expiry moved (PATCH, an admin's DELETE, a compose sharing its files was extended). */
export const expiryChangedSignal = defineSignal<[string]>('expiryChanged');
/** DELETE canceled the waiting compose in PostgreSQL (`Canceled by <user>`): stop working on it. */
export const cancelSignal = defineSignal<[string]>('cancel');
/** The compose this one reuses has finished (done or failed): follow it now. */
export const reusedFinishedSignal = defineSignal('reusedFinished');
export const statusQuery = defineQuery<ComposeStatus>('status');

export const composeWorkflowId = (id: number) => `compose-${id}`;
