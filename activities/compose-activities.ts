// The compose workflow's side effects. Each activity is idempotent: a retry after a crash finds
// the row already moved and answers as if it had done the work itself.
import type pg from 'pg';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { COMPOSE_STATES, SOURCE_TYPES, type ComposeRecord } from '../core/compose.js';
import { missingContentSetsMessage, pulpRepoFileText, resolvePulpContentSets } from '../core/pulp.js';
import { writePulpCompose, type PulpPlan } from './generate/pulp-compose.js';
import type { AppConfig, GenerateVerifyMode } from '../core/config.js';
import { hasFlag, multilibMethodToNames } from '../core/flags.js';
import { reasonCanceled, reasonError, reasonReusedFailed, reasonReusing, removalReasonOverLimit } from '../core/lifecycle.js';
import { findReusableCompose, mayReuse } from '../core/reuse.js';
import type { OdcsSettings } from '../core/settings.js';
import * as composes from '../store/composes.js';
import { inTransaction } from '../store/pool.js';
import { enqueueFollowers, markStartTaken } from '../store/workflow-commands.js';
import { GenerationError, generateCompose, removeComposeTree, type GenerateInput, type GenerateResult } from './generate/index.js';
import { resolveSourceRevision, resolvesLocally, RETRY_REASON_PREFIX } from './sources.js';
import { tagSourceFor } from './tag-sources/index.js';
import { SourceError, SourceUnavailableError } from './tag-sources/tag-source.js';

export interface Finished {
  state: number;
  timeToExpire: string;
}
export type PrepareResult =
  /** `roomChecked`: the compose root is under COMPOSE_ROOT_LIMIT (or unlimited), no reserveSpace needed. */
  | { kind: 'generate'; plan: GenerateInput; roomChecked?: boolean }
  | { kind: 'pulp'; plan: PulpPlan }
  | { kind: 'reuse'; reusedId: number }
  | { kind: 'fail'; reason: string }
  /** Already finished; `reusedId` when it has just taken the files of a done compose. */
  | ({ kind: 'finished'; reusedId?: number } & Finished);

/**
 * What generateCompose answers: `finished`, since it marks the compose done itself. Histories
 * recorded before hold a bare GenerateResult, which the workflow passed to completeCompose.
 */
export type GenerateOutcome = GenerateResult | { finished: Finished };

export interface SpaceReservation {
  ok: boolean;
  usage: number;
  limit: number;
  /** Composes expired early to make room; their workflows must be woken. */
  evicted: Array<{ id: number; timeToExpire: string }>;
}

export interface ExtendResult {
  timeToExpire: string;
  related: Array<{ id: number; timeToExpire: string }>;
}

interface Deps {
  pool: pg.Pool;
  config: AppConfig;
  settings: OdcsSettings;
}

const iso = (d: Date | string) => new Date(d).toISOString();

export function composeTargetDir(c: Pick<ComposeRecord, 'target_dir'>, config: AppConfig, settings: OdcsSettings): string {
  if (c.target_dir === 'default') return config.composeRoot;
  return settings.extra_target_dirs[c.target_dir] ?? config.composeRoot;
}

function present(c: ComposeRecord | null, id: number): ComposeRecord {
  if (!c) throw ApplicationFailure.nonRetryable(`compose ${id} does not exist`, 'ComposeMissing');
  return c;
}
const mustGet = async (db: composes.Queryable, id: number) => present(await composes.getCompose(db, id), id);
const mustLock = async (tx: pg.PoolClient, id: number) => present(await composes.lockCompose(tx, id), id);

const finishedOf = (c: ComposeRecord): Finished => ({ state: c.state, timeToExpire: iso(c.time_to_expire) });

export function createComposeActivities({ pool, config, settings }: Deps) {
  /** Content sets to repository URLs; missing ones fail the compose unless ignore_absent_pulp_repos. */
  async function preparePulp(c: ComposeRecord): Promise<PrepareResult> {
    const contentSets = c.source.split(/\s+/).filter(Boolean);
    const arches = c.arches.split(/\s+/).filter(Boolean);
    const { sections, missing } = resolvePulpContentSets(contentSets, settings.pulp_content_sets, c.flags, arches);
    if (missing.length) {
      if (!hasFlag(c.flags, 'ignore_absent_pulp_repos') || sections.length === 0) {
        return { kind: 'fail', reason: reasonError(missingContentSetsMessage(missing)) };
      }
      // As ODCS: the source becomes what was found.
      await composes.setSource(pool, c.id, sections.map((s) => s.contentSet).join(' '));
    }
    return {
      kind: 'pulp',
      plan: { composeId: c.id, targetDir: composeTargetDir(c, config, settings), repoFileText: pulpRepoFileText(sections, c.flags), arches },
    };
  }

  const activities = {
    /**
     * prepareCompose as a local activity, for sources resolved from local files in moments
     * (configured tags, repositories, builds, pulp): `remote` when the source needs the remote one.
     */
    async prepareComposeLocally(id: number): Promise<PrepareResult | { kind: 'remote' }> {
      return activities.prepareCompose(id, { local: true });
    },

    /** wait -> generating (or reuse, or a failure the request itself caused). */
    async prepareCompose(id: number, opts: { local?: boolean } = {}): Promise<PrepareResult | { kind: 'remote' }> {
      await markStartTaken(pool, id); // the workflow runs: its start record is done
      const compose = await mustGet(pool, id);
      if (compose.state === COMPOSE_STATES.done || compose.state === COMPOSE_STATES.failed || compose.state === COMPOSE_STATES.removed) {
        return { kind: 'finished', ...finishedOf(compose) };
      }
      if (opts.local && !resolvesLocally(compose, settings)) return { kind: 'remote' };
      if (compose.source_type === SOURCE_TYPES.pulp) return preparePulp(compose);
      let resolved;
      let revision: string;
      try {
        resolved = await resolveSourceRevision(compose, settings, config.repoRoots, tagSourceFor(settings, config));
        revision = resolved.revision;
      } catch (err) {
        if (err instanceof SourceError || err instanceof GenerationError) return { kind: 'fail', reason: reasonError(err.message) };
        if (err instanceof SourceUnavailableError) {
          // The compose waits (saying why) and this activity is retried with backoff, up to a limit.
          const waited = Math.round((Date.now() - new Date(compose.time_submitted).getTime()) / 1000);
          if (waited >= err.retryForSeconds) {
            return { kind: 'fail', reason: reasonError(`${err.message} (gave up after ${waited} seconds)`) };
          }
          await composes.setWaitingReason(pool, id, `${RETRY_REASON_PREFIX}${err.message}`);
          throw ApplicationFailure.retryable(err.message, 'SourceUnavailable');
        }
        throw err;
      }
      const kojiEvent = resolved.kojiEvent ?? null;
      return inTransaction(pool, async (tx) => {
        const c = await mustLock(tx, id);
        // Finished meanwhile (the starter decided its reuse at admission while this workflow started).
        if (c.state !== COMPOSE_STATES.wait && c.state !== COMPOSE_STATES.generating) return { kind: 'finished', ...finishedOf(c) } as const;
        if (c.reused_id !== null) return { kind: 'reuse', reusedId: c.reused_id } as const;
        if (c.state === COMPOSE_STATES.wait) {
          const candidate = await findReusable(tx, { ...c, source_revision: revision });
          // Locked before this row points at it: setting reused_id takes a key-share lock on it
          // (the foreign key), and upgrading that to FOR UPDATE afterwards deadlocks with every
          // other compose reusing it at the same time. Its state is read again under the lock.
          const reused = candidate && (await mustLock(tx, candidate.id));
          if (reused && (reused.state === COMPOSE_STATES.done || reused.state === COMPOSE_STATES.generating)) {
            await composes.markReusing(tx, id, reused, revision, kojiEvent, reasonReusing(reused.id));
            // The common case, a done compose to reuse: take its files now (what followReused
            // would do next), in this transaction, so the workflow has nothing left to run.
            if (reused.state === COMPOSE_STATES.done) {
              const row = await composes.markDoneReusing(tx, id, reused);
              if (row) return { kind: 'finished', reusedId: reused.id, ...finishedOf(row) } as const;
            }
            return { kind: 'reuse', reusedId: reused.id } as const;
          }
          // Stays in `wait` until a generation slot takes it (num_concurrent_pungi), as in ODCS.
          await composes.recordSourceRevision(tx, id, revision, kojiEvent, RETRY_REASON_PREFIX);
        }
        const plan: GenerateInput = {
          composeId: id,
          targetDir: composeTargetDir(c, config, settings),
          sourceRepos: resolved.repos,
          lookasideRepos: resolved.lookaside,
          packages: (c.packages ?? '').split(/\s+/).filter(Boolean),
          arches: c.arches.split(/\s+/).filter(Boolean),
          noDeps: hasFlag(c.flags, 'no_deps'),
          checkDeps: hasFlag(c.flags, 'check_deps'),
          builds: (c.builds ?? '').split(/\s+/).filter(Boolean),
          // ODCS stores sigkeys space-joined; an empty string means "no signature check".
          sigkeys: c.sigkeys.split(' ').filter((k, i, all) => k !== '' || all.length > 1),
          multilibArches: c.multilib_arches.split(/\s+/).filter(Boolean),
          multilibMethods: multilibMethodToNames(c.multilib_method),
          resultRepoUrl: `${config.targetDirUrl}/odcs-${id}/compose/Temporary`,
          ...(resolved.fetch ? { fetch: resolved.fetch } : {}),
        };
        // The room check reserveSpace would make next, when it needs no eviction (histories recorded
        // before this ran reserveSpace after every prepare).
        const limit = config.composeRootLimit;
        const roomChecked = !limit || (await composes.composeRootUsage(tx)) < limit;
        return { kind: 'generate', plan, ...(roomChecked ? { roomChecked } : {}) } as const;
      });
    },

    async writePulpCompose(plan: PulpPlan): Promise<GenerateResult> {
      return writePulpCompose(plan);
    },

    async completeCompose(id: number, result: GenerateResult): Promise<Finished> {
      return finishedOf((await finishWithFollowers(pool, id, (tx) => composes.markDone(tx, id, result))) ?? (await mustGet(pool, id)));
    },

    async failCompose(id: number, reason: string): Promise<Finished> {
      return finishedOf((await finishWithFollowers(pool, id, (tx) => composes.markFailed(tx, id, reason))) ?? (await mustGet(pool, id)));
    },

    async cancelCompose(id: number, user: string): Promise<Finished> {
      return activities.failCompose(id, reasonCanceled(user));
    },

    /** Cancels the compose only while it still waits; a generation slot may have taken it. */
    async cancelIfWaiting(id: number, user: string): Promise<{ canceled: boolean; state: number }> {
      const row = await composes.markCanceled(pool, id, reasonCanceled(user));
      if (row) return { canceled: true, state: row.state };
      return { canceled: false, state: (await mustGet(pool, id)).state };
    },

    async getFinished(id: number): Promise<Finished> {
      return finishedOf(await mustGet(pool, id));
    },

    /** A reusing compose takes the state of the compose it reuses once that one has finished. */
    async followReused(id: number, reusedId: number): Promise<Finished | null> {
      return inTransaction(pool, async (tx) => {
        const c = await mustLock(tx, id);
        if (c.state !== COMPOSE_STATES.wait && c.state !== COMPOSE_STATES.generating) return finishedOf(c);
        const original = await mustLock(tx, reusedId);
        if (original.state === COMPOSE_STATES.generating || original.state === COMPOSE_STATES.wait) return null;
        const row =
          original.state === COMPOSE_STATES.done
            ? await composes.markDoneReusing(tx, id, original) // both share the files: both live until the later expiry
            : await composes.markFailed(tx, id, reasonReusedFailed(reusedId, original.state_reason));
        return finishedOf(row ?? c);
      });
    },

    /**
     * Room for one more generation: fine while the compose root is under COMPOSE_ROOT_LIMIT. Over it,
     * the composes nearest to expiry that nobody reuses are expired now (their workflows must be told),
     * down to 90% of the limit, and the caller waits for their removal.
     */
    async reserveSpace(): Promise<SpaceReservation> {
      const limit = config.composeRootLimit;
      if (!limit) return { ok: true, usage: 0, limit, evicted: [] };
      return inTransaction(pool, async (tx) => {
        // One evictor at a time, so two generations waiting for space do not both evict.
        await composes.lockEviction(tx);
        const usage = await composes.composeRootUsage(tx);
        if (usage < limit) return { ok: true, usage, limit, evicted: [] };
        const chosen: number[] = [];
        let remaining = usage;
        for (const r of await composes.evictionCandidates(tx)) {
          if (remaining < limit * 0.9) break;
          chosen.push(r.id);
          remaining -= r.size_bytes;
        }
        const evicted = await composes.expireEarly(tx, chosen, removalReasonOverLimit(usage, limit));
        return { ok: false, usage, limit, evicted: evicted.map((e) => ({ id: e.id, timeToExpire: iso(e.time_to_expire) })) };
      });
    },

    /** time_to_expire = max(current, now + ttl), on this compose and on those sharing its files. */
    async extendCompose(id: number, secondsToLive: number): Promise<ExtendResult> {
      return inTransaction(pool, async (tx) => {
        const c = await mustLock(tx, id);
        const rows = await composes.extendWithSharing(tx, c, secondsToLive);
        const self = rows.find((r) => r.id === id);
        return {
          timeToExpire: iso(self?.time_to_expire ?? c.time_to_expire),
          related: rows.filter((r) => r.id !== id).map((r) => ({ id: r.id, timeToExpire: iso(r.time_to_expire) })),
        };
      });
    },

    /** An admin's DELETE of a done or failed compose: it expires now. */
    async requestRemoval(id: number, user: string): Promise<Finished> {
      return finishedOf((await composes.requestRemoval(pool, id, user)) ?? (await mustGet(pool, id)));
    },

    /**
     * At the deadline: mark the compose removed, then delete its files (unless another live compose
     * still uses them). The decision is taken under row locks, so an extend racing with it either
     * lands first (and the compose lives on) or finds it removed.
     */
    async expireCompose(id: number): Promise<{ expired: boolean; timeToExpire: string }> {
      const verdict = await inTransaction(pool, async (tx) => {
        const c = await mustLock(tx, id);
        if (c.state === COMPOSE_STATES.removed) return { expired: true, compose: c }; // a retry after the commit
        if (new Date(c.time_to_expire).getTime() > Date.now() + 1000) return { expired: false, compose: c };
        if (c.reused_id === null) {
          const until = await composes.reusersExpireAt(tx, id);
          // A compose reusing these files still lives: keep them until it expires too.
          if (until && until.getTime() > Date.now() + 1000) {
            return { expired: false, compose: (await composes.setExpiry(tx, id, until)) ?? c };
          }
        }
        await composes.markRemoved(tx, c);
        return { expired: true, compose: c };
      });
      // Idempotent, so a retry after a crash between the commit and here still removes the files.
      if (verdict.expired && verdict.compose.reused_id === null) {
        await removeComposeTree(composeTargetDir(verdict.compose, config, settings), id);
      }
      return { expired: verdict.expired, timeToExpire: iso(verdict.compose.time_to_expire) };
    },
  };
  // Resolving heartbeats while it works (a Koji mirror may take minutes): a killed worker shows in seconds.
  return { ...activities, prepareCompose: (id: number) => heartbeating(() => activities.prepareCompose(id) as Promise<PrepareResult>) };
}

async function heartbeating<T>(fn: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  const beat = setInterval(() => ctx.heartbeat(), 5_000);
  try {
    return await fn();
  } finally {
    clearInterval(beat);
  }
}

/**
 * Moves the compose to done or failed (`mark`) and, in the same transaction, the composes following
 * it (reusing it while it was generated) with it; their workflows are told (a `follow` command) and
 * find them finished. Null: the compose had already left (a retry after the commit).
 */
async function finishWithFollowers(
  pool: pg.Pool,
  id: number,
  mark: (tx: pg.PoolClient) => Promise<ComposeRecord | null>,
): Promise<ComposeRecord | null> {
  return inTransaction(pool, async (tx) => {
    await composes.lockFollowers(tx, id); // reusers before the compose they reuse, as everywhere
    const row = await mark(tx);
    if (row) {
      await enqueueFollowers(tx, id);
      await composes.finishFollowers(tx, row, reasonReusedFailed(id, row.state_reason));
    }
    return row;
  });
}

async function findReusable(tx: pg.PoolClient, candidate: ComposeRecord): Promise<ComposeRecord | null> {
  if (!mayReuse(candidate)) return null;
  return findReusableCompose(candidate, await composes.reuseCandidates(tx, candidate));
}

async function pauseHeartbeating(ms: number, beat: () => void): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    beat();
    await new Promise((r) => setTimeout(r, Math.min(500, until - Date.now())));
  }
}

/** Generation runs on its own task queue; this wraps the generator with heartbeats and cancellation. */
export function createGenerateActivities({ pool, testPauseMs = 0, verify }: Pick<Deps, 'pool'> & { testPauseMs?: number; verify?: GenerateVerifyMode }) {
  return {
    /**
     * Takes a generation slot, generates, and marks the compose done in the same activity (the
     * workflow then has nothing left to run: `finished`). Histories recorded before `finished` was
     * returned ran completeCompose after it; a retry after the done commit answers `finished` again.
     */
    async generateCompose(plan: GenerateInput): Promise<GenerateOutcome> {
      const ctx = Context.current();
      const id = plan.composeId;
      // Taking the slot moves the compose wait -> generating; a compose canceled meanwhile is not built.
      if (!(await composes.markGenerating(pool, id))) {
        const row = await mustGet(pool, id);
        // This activity already finished it (the worker died before Temporal heard).
        if (row.state === COMPOSE_STATES.done) return { finished: finishedOf(row) };
        throw ApplicationFailure.nonRetryable(`compose ${id} is no longer waiting`, 'ComposeNotWaiting');
      }
      let result: GenerateResult;
      try {
        result = await generateCompose(plan, {
          heartbeat: (detail) => ctx.heartbeat(detail),
          // Fault injection for the durability tests: a pause mid-generation, heartbeating.
          checkpoint: testPauseMs ? () => pauseHeartbeating(testPauseMs, () => ctx.heartbeat('paused')) : undefined,
          signal: ctx.cancellationSignal,
          verify,
        });
      } catch (err) {
        if (err instanceof GenerationError) throw ApplicationFailure.nonRetryable(err.message, 'GenerationError');
        throw err;
      }
      const row = await finishWithFollowers(pool, id, (tx) => composes.markDone(tx, id, result));
      return { finished: finishedOf(row ?? (await mustGet(pool, id))) };
    },
  };
}

export type ComposeActivities = ReturnType<typeof createComposeActivities>;
export type GenerateActivities = ReturnType<typeof createGenerateActivities>;
