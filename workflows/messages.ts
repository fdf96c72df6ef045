// Messages of the compose workflow, shared with the API (which imports the definitions only).
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

/** Move the expiry to max(current, now + secondsToLive) on this compose and the ones sharing its files. */
export const extendUpdate = defineUpdate<UpdateOutcome, [ExtendRequest]>('extend');
/** Cancel a waiting compose, or expire a done/failed one now. */
export const deleteUpdate = defineUpdate<UpdateOutcome, [DeleteRequest]>('delete');
/** Another compose's workflow moved this compose's expiry (a compose reusing it was extended). */
export const expiryChangedSignal = defineSignal<[string]>('expiryChanged');
export const statusQuery = defineQuery<ComposeStatus>('status');

export const composeWorkflowId = (id: number) => `compose-${id}`;
