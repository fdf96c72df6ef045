// One workflow per compose (id `compose-<id>`): wait -> generating -> done|failed -> removed.
// Pure orchestration: every read and write happens in activities; the only clock is Temporal's.
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  TimeoutFailure,
  upsertSearchAttributes,
  workflowInfo,
  log,
} from '@temporalio/workflow';
import { COMPOSE_STATES, STATE_NAMES } from '../core/compose.js';
import { deleteAcceptedMessage, deleteRefusal, reasonError, reasonNoSpace, reasonStuckGenerating, type Refusal } from '../core/lifecycle.js';
import { ComposeState } from '../core/search-attributes.js';
import type { ComposeActivities, GenerateActivities } from '../activities/compose-activities.js';
import {
  cancelSignal,
  composeWorkflowId,
  reusedFinishedSignal,
  deleteUpdate,
  expiryChangedSignal,
  extendUpdate,
  statusQuery,
  type ExtendRequest,
  type UpdateOutcome,
} from './messages.js';

export interface ComposeWorkflowInput {
  composeId: number;
  /** Generation longer than this (seconds) is killed; waiting and generating together may take twice it. */
  pungiTimeout: number;
  generateTaskQueue: string;
  /** Seconds without a heartbeat before a generation is retried elsewhere (a killed worker). */
  heartbeatTimeout?: number;
  /** Set when continuing as new: the compose is already finished and only its expiry is pending. */
  resume?: { state: number; timeToExpire: string };
}

const FOLLOW_POLL_MIN_MS = 1_000;
const FOLLOW_POLL_MAX_MS = 30_000;

const RETRY = { initialInterval: '1 second', maximumInterval: '30 seconds', backoffCoefficient: 2 };
/** Activities on the default task queue: file removal (expiry), pulp .repo files; before LOCAL_DB_STEPS, every step. */
const db = proxyActivities<ComposeActivities>({ startToCloseTimeout: '1 minute', retry: RETRY });
/**
 * Short database steps (one statement or transaction each) run as local activities: one marker in
 * the history instead of three events and a workflow task each.
 */
const dbLocal = proxyLocalActivities<ComposeActivities>({ startToCloseTimeout: '30 seconds', retry: RETRY });
/**
 * Resolving a source may mirror a Koji tag (downloads, createrepo_c): more time, cancelable, and it
 * heartbeats, so a killed worker is noticed in seconds rather than at the start-to-close timeout.
 */
const sources = proxyActivities<Pick<ComposeActivities, 'prepareCompose'>>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '30 seconds',
  retry: RETRY,
});
/** Histories recorded before local activities keep replaying with remote ones. */
const LOCAL_DB_STEPS = 'local-db-steps';
/** Sources on local files are resolved by a local activity; histories recorded before ran the remote one only. */
const LOCAL_PREPARE = 'local-prepare';

export async function composeWorkflow(input: ComposeWorkflowInput): Promise<string> {
  const id = input.composeId;
  const steps = patched(LOCAL_DB_STEPS) ? dbLocal : db;
  let state: number = input.resume?.state ?? COMPOSE_STATES.wait;
  let expiresAt: number | null = input.resume ? Date.parse(input.resume.timeToExpire) : null;
  let reusedId: number | null = null;
  let wake = false; // set by updates and signals to re-evaluate the expiry timer
  let cancelRequestedBy: string | null = null;
  let canceled = false; // the compose ended as `Canceled by <user>`, not for another reason
  let expiring = false; // the expiry activity is deciding; an extend waits for its verdict
  let generation: CancellationScope | null = null;
  let preparing: CancellationScope | null = null;

  const setState = (next: number) => {
    state = next;
    upsertSearchAttributes([{ key: ComposeState, value: STATE_NAMES[next] }]);
  };
  const outcome = (message: string): UpdateOutcome => ({
    state,
    timeToExpire: new Date(expiresAt ?? Date.now()).toISOString(),
    message,
  });

  setHandler(statusQuery, () => ({
    id,
    state,
    timeToExpire: expiresAt ? new Date(expiresAt).toISOString() : null,
    reusedId,
  }));

  setHandler(expiryChangedSignal, (iso: string) => {
    const t = Date.parse(iso);
    if (!Number.isNaN(t)) {
      expiresAt = t;
      wake = true;
    }
  });

  let reusedFinished = false;
  setHandler(reusedFinishedSignal, () => {
    reusedFinished = true;
  });

  setHandler(cancelSignal, (user: string) => {
    // The row is already failed `Canceled by <user>`: stop resolving, or waiting for a slot.
    if (state !== COMPOSE_STATES.wait && state !== COMPOSE_STATES.generating) return;
    cancelRequestedBy ??= user;
    canceled = true;
    preparing?.cancel();
    generation?.cancel();
    wake = true;
  });

  setHandler(
    extendUpdate,
    async ({ secondsToLive }) => {
      await condition(() => !expiring);
      // Expired while this update waited: the caller renews it as a new compose instead.
      if (state === COMPOSE_STATES.removed) throw ApplicationFailure.nonRetryable(`Compose (id=${id}) has expired`, 'Gone');
      const result = await steps.extendCompose(id, secondsToLive);
      expiresAt = Date.parse(result.timeToExpire);
      wake = true;
      // Composes sharing these files must not expire before them: tell their workflows.
      for (const other of result.related) {
        await getExternalWorkflowHandle(composeWorkflowId(other.id))
          .signal(expiryChangedSignal, other.timeToExpire)
          .catch(() => undefined); // that compose's workflow already ended
      }
      return outcome(`Compose (id=${id}) will expire at ${result.timeToExpire}`);
    },
    {
      validator: (_req: ExtendRequest) => {
        if (state !== COMPOSE_STATES.done && state !== COMPOSE_STATES.failed) {
          throw ApplicationFailure.nonRetryable(`No compose with id ${id} found`, 'NotFound');
        }
      },
    },
  );

  setHandler(
    deleteUpdate,
    async ({ user, isAdmin }) => {
      if (state === COMPOSE_STATES.wait || state === COMPOSE_STATES.generating) {
        // Only a compose no generation slot has taken yet can be canceled; the database decides the race.
        if (state === COMPOSE_STATES.wait && !generation) {
          cancelRequestedBy = user;
          preparing?.cancel(); // a source being resolved (a Koji hub that is down) does not hold it up
          wake = true;
          await condition(() => state !== COMPOSE_STATES.wait);
          if (canceled) return outcome(deleteAcceptedMessage(id, true));
        } else {
          const result = await steps.cancelIfWaiting(id, user);
          if (result.canceled) {
            cancelRequestedBy = user;
            canceled = true;
            generation?.cancel();
            await condition(() => state === COMPOSE_STATES.failed);
            return outcome(deleteAcceptedMessage(id, true));
          }
        }
        refuse(deleteRefusal({ id, state: COMPOSE_STATES.generating, owner: user }, user, isAdmin));
      }
      const result = await steps.requestRemoval(id, user);
      expiresAt = Date.parse(result.timeToExpire);
      wake = true;
      return outcome(deleteAcceptedMessage(id, false));
    },
    {
      validator: ({ user, isAdmin }) => {
        if (state === COMPOSE_STATES.wait || state === COMPOSE_STATES.generating) return; // decided in the handler
        refuse(deleteRefusal({ id, state, owner: user }, user, isAdmin));
      },
    },
  );

  if (state === COMPOSE_STATES.wait) {
    const finished = await produce();
    setState(finished.state);
    // An expiry signal that arrived while producing (an admin's DELETE committed right after the
    // compose was marked done) is newer than the outcome: keep the earlier of the two. Waking too
    // early costs nothing, the expiry step reads the row and says when it really expires.
    const produced = Date.parse(finished.timeToExpire);
    expiresAt = expiresAt === null ? produced : Math.min(expiresAt, produced);
  }

  // Live until the deadline; updates and signals move it. The timer is durable: it survives
  // worker and server restarts.
  for (;;) {
    // A compose extended many times grows its history; start afresh with the state carried over.
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof composeWorkflow>({
        ...input,
        resume: { state, timeToExpire: new Date(expiresAt ?? Date.now()).toISOString() },
      });
    }
    wake = false;
    const remaining = Math.max(0, (expiresAt ?? Date.now()) - Date.now());
    const woken = await condition(() => wake, remaining);
    if (woken) continue;
    expiring = true;
    const result = await db.expireCompose(id);
    expiring = false;
    if (result.expired) {
      setState(COMPOSE_STATES.removed);
      await condition(allHandlersFinished);
      return 'removed';
    }
    expiresAt = Date.parse(result.timeToExpire); // extended meanwhile
  }

  /**
   * Over COMPOSE_ROOT_LIMIT a new generation waits (still `wait`, still cancelable) while composes
   * nearest to expiry are removed early; after pungi_timeout it fails with the reason. Returns the
   * failed or canceled outcome, or null when there is room.
   */
  async function waitForSpace(): Promise<{ state: number; timeToExpire: string } | null> {
    const deadline = Date.now() + input.pungiTimeout * 1000;
    for (;;) {
      const space = await steps.reserveSpace();
      if (space.ok) return null;
      for (const e of space.evicted) {
        await getExternalWorkflowHandle(composeWorkflowId(e.id))
          .signal(expiryChangedSignal, e.timeToExpire)
          .catch(() => undefined);
      }
      if (cancelRequestedBy) {
        canceled = true;
        return steps.cancelCompose(id, cancelRequestedBy);
      }
      if (Date.now() >= deadline) {
        return steps.failCompose(id, reasonNoSpace(space.usage, space.limit, input.pungiTimeout));
      }
      await condition(() => cancelRequestedBy !== null, SPACE_POLL);
    }
  }

  /** From `wait` to `done` or `failed`: cancel, reuse, or generate. */
  async function produce(): Promise<{ state: number; timeToExpire: string }> {
    const cancel = () => {
      canceled = true;
      return steps.cancelCompose(id, cancelRequestedBy!);
    };
    if (cancelRequestedBy) return cancel();
    preparing = new CancellationScope();
    let plan;
    try {
      plan = await preparing.run(async () => {
        // Local files resolve in moments: no activity task to dispatch, the first workflow task
        // does it all. A Koji hub (downloads, minutes, heartbeats) takes the remote activity.
        if (patched(LOCAL_PREPARE)) {
          const local = await dbLocal.prepareComposeLocally(id);
          if (local.kind !== 'remote') return local;
        }
        return sources.prepareCompose(id);
      });
    } catch (err) {
      if (cancelRequestedBy && isCancellation(err)) return cancel();
      throw err;
    } finally {
      preparing = null;
    }
    if (cancelRequestedBy) return cancel();
    switch (plan.kind) {
      case 'finished':
        reusedId = plan.reusedId ?? null;
        return { state: plan.state, timeToExpire: plan.timeToExpire };
      case 'fail':
        return steps.failCompose(id, plan.reason);
      case 'reuse':
        reusedId = plan.reusedId;
        setState(COMPOSE_STATES.generating);
        // Woken by a signal when the reused compose finishes; the poll with backoff is the safety net
        // (a long generation must not grow this history without bound).
        for (let delay = FOLLOW_POLL_MIN_MS; ; delay = Math.min(delay * 2, FOLLOW_POLL_MAX_MS)) {
          const followed = await steps.followReused(id, plan.reusedId);
          if (followed) return followed;
          const signaled = reusedFinished; // arrived before the reused compose's row said so: look once more
          reusedFinished = false;
          if (!signaled) await condition(() => reusedFinished, delay);
        }
      case 'pulp': {
        setState(COMPOSE_STATES.generating);
        return steps.completeCompose(id, await db.writePulpCompose(plan.plan));
      }
      case 'generate': {
        const roomless = plan.roomChecked ? null : await waitForSpace();
        if (roomless) return roomless;
        // ComposeState 'generating' from here on means "scheduled or running"; the row says
        // `wait` until a generation slot (num_concurrent_pungi) takes it.
        setState(COMPOSE_STATES.generating);
        const gen = proxyActivities<GenerateActivities>({
          taskQueue: input.generateTaskQueue,
          startToCloseTimeout: `${input.pungiTimeout} seconds`,
          // Waiting for a generation slot counts too: ODCS fails composes stuck this long.
          scheduleToCloseTimeout: `${input.pungiTimeout * 2} seconds`,
          heartbeatTimeout: `${input.heartbeatTimeout ?? 30} seconds`,
          // No attempt limit: scheduleToCloseTimeout bounds the whole, and a database or Temporal
          // outage longer than a few attempts must not fail the compose; retries stay prompt.
          retry: {
            initialInterval: '2 seconds',
            maximumInterval: '10 seconds',
            nonRetryableErrorTypes: ['GenerationError', 'ComposeNotWaiting'],
          },
        });
        try {
          generation = new CancellationScope();
          const outcome = await generation.run(() => gen.generateCompose(plan.plan));
          if ('finished' in outcome) return outcome.finished; // marked done by the generation itself
          return steps.completeCompose(id, outcome); // histories recorded before it did
        } catch (err) {
          if (cancelRequestedBy) return steps.getFinished(id); // canceled while waiting for a slot
          const reason = failureReason(err, input.pungiTimeout);
          log.warn('generation failed', { composeId: id, reason });
          return steps.failCompose(id, reason);
        } finally {
          generation = null;
        }
      }
    }
  }
}

/** Throws a refusal as the failure type the API maps back to its HTTP error. */
function refuse(refusal: Refusal | null): void {
  if (refusal) throw ApplicationFailure.nonRetryable(refusal.message, refusal.status === 403 ? 'Forbidden' : 'BadRequest');
}

/** How often a compose waiting for disk space looks again. */
const SPACE_POLL = '5 seconds';

function failureReason(err: unknown, pungiTimeout: number): string {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof TimeoutFailure) {
    return reasonStuckGenerating(pungiTimeout * 2);
  }
  const message = cause instanceof Error ? cause.message : String(cause);
  return reasonError(message);
}
