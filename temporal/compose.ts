// The compose workflow seen from outside (API, reconciler, benchmarks): its start options, a typed
// start by function reference, and its updates with the workflow's refusals (ApplicationFailure
// types) turned into the HTTP errors ODCS answers. Starting is idempotent: the workflow id is fixed
// and an existing run is kept.
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { WorkflowIdConflictPolicy } from '@temporalio/common';
import { COMPOSE_STATES, SOURCE_TYPE_NAMES, type ComposeRecord } from '../core/compose.js';
import type { AppConfig } from '../core/config.js';
import { BadRequestError, ForbiddenError, NotFoundError } from '../core/errors.js';
import { stateName } from '../core/lifecycle.js';
import { ComposeOwner, ComposeSource, ComposeSourceType, ComposeState } from '../core/search-attributes.js';
import type { OdcsSettings } from '../core/settings.js';
import { composeWorkflow, type ComposeWorkflowInput } from '../workflows/compose.js';
import { composeWorkflowId, deleteUpdate, extendUpdate, type DeleteRequest, type UpdateOutcome } from '../workflows/messages.js';

/**
 * At most `bytes` UTF-8 bytes of `s`, never splitting a character. Temporal limits a search
 * attribute value by bytes (2 KiB by default), and a source of non-ASCII letters passes ODCS's
 * whitelist: cutting by UTF-16 units let such a source fail the workflow start (a 500).
 */
export function truncateUtf8(s: string, bytes: number): string {
  const buf = Buffer.from(s, 'utf8');
  if (buf.length <= bytes) return s;
  let end = bytes;
  while (end > 0 && (buf[end] & 0xc0) === 0x80) end--; // back to the start of a character
  return buf.subarray(0, end).toString('utf8');
}

export function workflowStartOptions(c: ComposeRecord, config: AppConfig, settings: OdcsSettings) {
  const finished = c.state === COMPOSE_STATES.done || c.state === COMPOSE_STATES.failed;
  const input: ComposeWorkflowInput = {
    composeId: c.id,
    // A finished compose whose workflow was lost only needs its expiry timer back.
    ...(finished ? { resume: { state: c.state, timeToExpire: new Date(c.time_to_expire).toISOString() } } : {}),
    pungiTimeout: settings.pungi_timeout,
    generateTaskQueue: config.generateTaskQueue,
    heartbeatTimeout: config.generateHeartbeatTimeout,
  };
  return {
    workflowId: composeWorkflowId(c.id),
    taskQueue: config.taskQueue,
    args: [input] as [ComposeWorkflowInput],
    // Idempotent: the reconciler and a retried request may start the same compose twice.
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    typedSearchAttributes: [
      { key: ComposeState, value: stateName(c.state) },
      { key: ComposeOwner, value: c.owner },
      { key: ComposeSourceType, value: SOURCE_TYPE_NAMES[c.source_type] ?? String(c.source_type) },
      { key: ComposeSource, value: truncateUtf8(c.source, 1000) },
    ],
    memo: { summary: truncateUtf8(`compose ${c.id}: ${SOURCE_TYPE_NAMES[c.source_type]} ${c.source}`, 500), owner: c.owner },
  };
}

export async function startComposeWorkflow(client: Client, c: ComposeRecord, config: AppConfig, settings: OdcsSettings): Promise<void> {
  await client.workflow.start(composeWorkflow, workflowStartOptions(c, config, settings));
}

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

export function extendCompose(client: Client, id: number, secondsToLive: number): Promise<UpdateOutcome> {
  const handle = client.workflow.getHandle<typeof composeWorkflow>(composeWorkflowId(id));
  return runUpdate(id, () => handle.executeUpdate(extendUpdate, { args: [{ secondsToLive }] }));
}

export function deleteCompose(client: Client, id: number, req: DeleteRequest): Promise<UpdateOutcome> {
  const handle = client.workflow.getHandle<typeof composeWorkflow>(composeWorkflowId(id));
  return runUpdate(id, () => handle.executeUpdate(deleteUpdate, { args: [req] }));
}
