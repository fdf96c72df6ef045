// The compose workflow seen from outside (the starter, the reconciler, benchmarks): its start
// options, a typed start by function reference, and the delivery of recorded commands (start,
// signals). Starting is idempotent: the workflow id is fixed and a running one is kept.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { WorkflowIdConflictPolicy } from '@temporalio/common';
import { COMPOSE_STATES, SOURCE_TYPE_NAMES, type ComposeRecord } from '../core/compose.js';
import type { AppConfig } from '../core/config.js';
import { stateName } from '../core/lifecycle.js';
import { ComposeOwner, ComposeSource, ComposeSourceType, ComposeState } from '../core/search-attributes.js';
import type { OdcsSettings } from '../core/settings.js';
import { composeWorkflow, type ComposeWorkflowInput } from '../workflows/compose.js';
import { cancelSignal, composeWorkflowId, expiryChangedSignal, reusedFinishedSignal } from '../workflows/messages.js';
import type { WorkflowCommand } from '../store/workflow-commands.js';

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

/**
 * Delivers one recorded command to the compose's workflow. `row` is the compose as it is now; a
 * removed compose needs no workflow, and a workflow that has ended needs no signal.
 */
export async function deliverCommand(
  client: Client,
  row: ComposeRecord | null,
  command: WorkflowCommand,
  config: AppConfig,
  settings: OdcsSettings,
): Promise<void> {
  if (!row) return;
  if (command.kind === 'start') {
    if (row.state !== COMPOSE_STATES.removed) await startComposeWorkflow(client, row, config, settings);
    return;
  }
  const handle = client.workflow.getHandle<typeof composeWorkflow>(composeWorkflowId(row.id));
  try {
    if (command.kind === 'expiry') await handle.signal(expiryChangedSignal, command.timeToExpire);
    else if (command.kind === 'cancel') await handle.signal(cancelSignal, command.user);
    else await handle.signal(reusedFinishedSignal);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
}
