// How the API talks to compose workflows: start one per compose, send updates, and translate the
// workflow's refusals (ApplicationFailure types) into the HTTP errors ODCS would answer.
import { WorkflowIdConflictPolicy } from '@temporalio/common';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { SOURCE_TYPES, type ComposeRecord } from '../core/compose.js';
import type { AppConfig } from '../core/config.js';
import { BadRequestError, ForbiddenError, HttpError, NotFoundError } from '../core/errors.js';
import { ComposeOwner, ComposeSource, ComposeSourceType, ComposeState } from '../core/search-attributes.js';
import type { OdcsSettings } from '../core/settings.js';
import { stateName } from '../core/lifecycle.js';
import type { ComposeWorkflowInput } from '../workflows/compose.js';
import { composeWorkflowId, deleteUpdate, extendUpdate, type DeleteRequest, type UpdateOutcome } from '../workflows/messages.js';
import type { TemporalGateway } from './temporal-client.js';

const SOURCE_TYPE_NAMES = Object.fromEntries(Object.entries(SOURCE_TYPES).map(([k, v]) => [v, k]));

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
  const input: ComposeWorkflowInput = {
    composeId: c.id,
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

export async function startComposeWorkflow(temporal: TemporalGateway, c: ComposeRecord, config: AppConfig, settings: OdcsSettings) {
  await temporal.client.workflow.start('composeWorkflow', workflowStartOptions(c, config, settings));
}

const FAILURE_TO_ERROR: Record<string, (m: string) => HttpError> = {
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
