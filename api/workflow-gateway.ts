// How the API talks to compose workflows (started by activities/compose-start.ts): send updates,
// and translate the workflow's refusals (ApplicationFailure types) into the HTTP errors ODCS would answer.
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { BadRequestError, ForbiddenError, NotFoundError } from '../core/errors.js';
import { composeWorkflowId, deleteUpdate, extendUpdate, type DeleteRequest, type UpdateOutcome } from '../workflows/messages.js';
import type { TemporalGateway } from '../temporal/client.js';

/** The compose expired while an extend waited for the workflow: the caller renews it instead. */
export class ComposeExpiredError extends Error {}

const FAILURE_TO_ERROR: Record<string, (m: string) => Error> = {
  Gone: (m) => new ComposeExpiredError(m),
  NotFound: (m) => new NotFoundError(m),
  Forbidden: (m) => new ForbiddenError(m),
  BadRequest: (m) => new BadRequestError(m),
};

async function runUpdate<T>(id: number, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      const cause = err.cause as { type?: string; message?: string } | undefined;
      const make = cause?.type ? FAILURE_TO_ERROR[cause.type] : undefined;
      if (make) throw make(cause!.message ?? '');
    }
    if (err instanceof WorkflowNotFoundError) throw new NotFoundError(`No compose with id ${id} found`);
    throw err;
  }
}

export function extendCompose(temporal: TemporalGateway, id: number, secondsToLive: number): Promise<UpdateOutcome> {
  const handle = temporal.client.workflow.getHandle(composeWorkflowId(id));
  return runUpdate(id, () => handle.executeUpdate(extendUpdate, { args: [{ secondsToLive }] }));
}

export function deleteCompose(temporal: TemporalGateway, id: number, req: DeleteRequest): Promise<UpdateOutcome> {
  const handle = temporal.client.workflow.getHandle(composeWorkflowId(id));
  return runUpdate(id, () => handle.executeUpdate(deleteUpdate, { args: [req] }));
}
