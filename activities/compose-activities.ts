// The compose workflow's side effects. Each activity is idempotent: a retry after a crash finds
// the row already moved and answers as if it had done the work itself.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { COMPOSE_STATES, SOURCE_TYPES, type ComposeRecord } from '../core/compose.js';
import { missingContentSetsMessage, pulpRepoFileText, resolvePulpContentSets } from '../core/pulp.js';
import { writePulpCompose, type PulpPlan } from './generate/pulp-compose.js';
import type { AppConfig } from '../core/config.js';
import { hasFlag, multilibMethodToNames } from '../core/flags.js';
import { REASON_DONE, REASON_GENERATING, reasonCanceled, reasonExpired } from '../core/lifecycle.js';
import { findReusableCompose, mayReuse } from '../core/reuse.js';
import type { OdcsSettings } from '../core/settings.js';
import { composeRootUsage } from './db/composes.js';
import { inTransaction } from './db/pool.js';
import { GenerationError, generateCompose, readRepoRevision, removeComposeTree, type GenerateInput, type GenerateResult } from './generate/index.js';
import { resolveSourceRepos, RETRY_REASON_PREFIX, SourceError, SourceUnavailableError } from './sources.js';
import { tagSourceFor } from './tag-sources/tag-source.js';

export interface Finished {
  state: number;
  timeToExpire: string;
}
export type PrepareResult =
  | { kind: 'generate'; plan: GenerateInput }
  | { kind: 'pulp'; plan: PulpPlan }
  | { kind: 'reuse'; reusedId: number }
  | { kind: 'fail'; reason: string }
  | ({ kind: 'finished' } & Finished);

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

/** Stands in for koji_event: the metadata revisions of every repository the compose reads. */
async function sourceRevision(repos: string[]): Promise<string> {
  const revisions = await Promise.all(repos.map(async (r) => `${r}@${await readRepoRevision(r)}`));
  const joined = revisions.join(' ');
  return joined.length <= 200 ? joined : `sha256:${createHash('sha256').update(joined).digest('hex')}`;
}

async function mustGet(db: pg.PoolClient | pg.Pool, id: number, lock = false): Promise<ComposeRecord> {
  const { rows } = await db.query(`SELECT * FROM composes WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
  if (!rows[0]) throw ApplicationFailure.nonRetryable(`compose ${id} does not exist`, 'ComposeMissing');
  return rows[0];
}

const finishedOf = (c: ComposeRecord): Finished => ({ state: c.state, timeToExpire: iso(c.time_to_expire) });

export function createComposeActivities({ pool, config, settings }: Deps) {
  /** Content sets to repository URLs; missing ones fail the compose unless ignore_absent_pulp_repos. */
  async function preparePulp(c: ComposeRecord): Promise<PrepareResult> {
    const contentSets = c.source.split(/\s+/).filter(Boolean);
    const arches = c.arches.split(/\s+/).filter(Boolean);
    const { sections, missing } = resolvePulpContentSets(contentSets, settings.pulp_content_sets, c.flags, arches);
    if (missing.length) {
      if (!hasFlag(c.flags, 'ignore_absent_pulp_repos') || sections.length === 0) {
        return { kind: 'fail', reason: `Error while generating compose: ${missingContentSetsMessage(missing)}` };
      }
      // As ODCS: the source becomes what was found.
      await pool.query('UPDATE composes SET source = $2 WHERE id = $1', [c.id, sections.map((s) => s.contentSet).join(' ')]);
    }
    return {
      kind: 'pulp',
      plan: { composeId: c.id, targetDir: composeTargetDir(c, config, settings), repoFileText: pulpRepoFileText(sections, c.flags), arches },
    };
  }

  const activities = {
    /** wait -> generating (or reuse, or a failure the request itself caused). */
    async prepareCompose(id: number): Promise<PrepareResult> {
      const compose = await mustGet(pool, id);
      if (compose.state === COMPOSE_STATES.done || compose.state === COMPOSE_STATES.failed || compose.state === COMPOSE_STATES.removed) {
        return { kind: 'finished', ...finishedOf(compose) };
      }
      if (compose.source_type === SOURCE_TYPES.pulp) return preparePulp(compose);
      let resolved;
      let revision: string;
      try {
        resolved = await resolveSourceRepos(compose, settings, config.repoRoots, tagSourceFor(settings, config));
        revision = resolved.revision ?? (await sourceRevision(resolved.repos));
      } catch (err) {
        if (err instanceof SourceError || err instanceof GenerationError) return { kind: 'fail', reason: `Error while generating compose: ${err.message}` };
        if (err instanceof SourceUnavailableError) {
          // The compose waits (saying why) and this activity is retried with backoff, up to a limit.
          const waited = Math.round((Date.now() - new Date(compose.time_submitted).getTime()) / 1000);
          if (waited >= err.retryForSeconds) {
            return { kind: 'fail', reason: `Error while generating compose: ${err.message} (gave up after ${waited} seconds)` };
          }
          await pool.query('UPDATE composes SET state_reason = $2 WHERE id = $1 AND state = $3', [id, `${RETRY_REASON_PREFIX}${err.message}`, COMPOSE_STATES.wait]);
          throw ApplicationFailure.retryable(err.message, 'SourceUnavailable');
        }
        throw err;
      }
      const kojiEvent = resolved.kojiEvent ?? null;
      return inTransaction(pool, async (tx) => {
        const c = await mustGet(tx, id, true);
        if (c.reused_id !== null) return { kind: 'reuse', reusedId: c.reused_id } as const;
        if (c.state === COMPOSE_STATES.wait) {
          const reused = await findReusable(tx, { ...c, source_revision: revision });
          if (reused) {
            await tx.query(
              `UPDATE composes SET reused_id = $2, pungi_compose_id = $3, source_revision = $4, state = $5,
                 state_reason = $6, time_started = now(), koji_event = coalesce($7, koji_event) WHERE id = $1`,
              [id, reused.id, reused.pungi_compose_id, revision, COMPOSE_STATES.generating, `Reusing compose ${reused.id}`, kojiEvent],
            );
            return { kind: 'reuse', reusedId: reused.id } as const;
          }
          // Stays in `wait` until a generation slot takes it (num_concurrent_pungi), as in ODCS.
          await tx.query(
            `UPDATE composes SET source_revision = $2, koji_event = coalesce($3, koji_event),
               state_reason = CASE WHEN state_reason LIKE $4 THEN NULL ELSE state_reason END WHERE id = $1`,
            [id, revision, kojiEvent, `${RETRY_REASON_PREFIX}%`],
          );
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
        };
        return { kind: 'generate', plan } as const;
      });
    },

    async writePulpCompose(plan: PulpPlan): Promise<GenerateResult> {
      return writePulpCompose(plan);
    },

    async completeCompose(id: number, result: GenerateResult): Promise<Finished> {
      const { rows } = await pool.query(
        `UPDATE composes SET state = $2, state_reason = $3, time_done = now(), pungi_compose_id = $4,
           time_to_expire = now() + make_interval(secs => seconds_to_live), size_bytes = $7
         WHERE id = $1 AND state IN ($5, $6) RETURNING *`,
        [id, COMPOSE_STATES.done, REASON_DONE, result.pungiComposeId, COMPOSE_STATES.wait, COMPOSE_STATES.generating, result.bytes],
      );
      return finishedOf(rows[0] ?? (await mustGet(pool, id)));
    },

    async failCompose(id: number, reason: string): Promise<Finished> {
      const { rows } = await pool.query(
        `UPDATE composes SET state = $2, state_reason = $3, time_done = now(),
           time_to_expire = now() + make_interval(secs => seconds_to_live)
         WHERE id = $1 AND state IN ($4, $5) RETURNING *`,
        [id, COMPOSE_STATES.failed, reason.slice(0, 10_000), COMPOSE_STATES.wait, COMPOSE_STATES.generating],
      );
      return finishedOf(rows[0] ?? (await mustGet(pool, id)));
    },

    async cancelCompose(id: number, user: string): Promise<Finished> {
      return activities.failCompose(id, reasonCanceled(user));
    },

    /** Cancels the compose only while it still waits; a generation slot may have taken it. */
    async cancelIfWaiting(id: number, user: string): Promise<{ canceled: boolean; state: number }> {
      const { rows } = await pool.query(
        `UPDATE composes SET state = $2, state_reason = $3, time_done = now(),
           time_to_expire = now() + make_interval(secs => seconds_to_live)
         WHERE id = $1 AND state = $4 RETURNING state`,
        [id, COMPOSE_STATES.failed, reasonCanceled(user), COMPOSE_STATES.wait],
      );
      if (rows[0]) return { canceled: true, state: rows[0].state };
      return { canceled: false, state: (await mustGet(pool, id)).state };
    },

    async getFinished(id: number): Promise<Finished> {
      return finishedOf(await mustGet(pool, id));
    },

    /** A reusing compose takes the state of the compose it reuses once that one has finished. */
    async followReused(id: number, reusedId: number): Promise<Finished | null> {
      return inTransaction(pool, async (tx) => {
        const c = await mustGet(tx, id, true);
        if (c.state !== COMPOSE_STATES.wait && c.state !== COMPOSE_STATES.generating) return finishedOf(c);
        const original = await mustGet(tx, reusedId, true);
        if (original.state === COMPOSE_STATES.generating || original.state === COMPOSE_STATES.wait) return null;
        if (original.state === COMPOSE_STATES.done) {
          // Both composes share the files, so both live until the later expiry.
          const { rows } = await tx.query(
            `UPDATE composes SET state = $2, state_reason = $3, time_done = now(), pungi_compose_id = $4,
               time_to_expire = greatest(now() + make_interval(secs => seconds_to_live), $5::timestamptz)
             WHERE id = $1 RETURNING *`,
            [id, COMPOSE_STATES.done, REASON_DONE, original.pungi_compose_id, original.time_to_expire],
          );
          await tx.query('UPDATE composes SET time_to_expire = greatest(time_to_expire, $2) WHERE id = $1', [reusedId, rows[0].time_to_expire]);
          return finishedOf(rows[0]);
        }
        const { rows } = await tx.query(
          `UPDATE composes SET state = $2, state_reason = $3, time_done = now(),
             time_to_expire = now() + make_interval(secs => seconds_to_live) WHERE id = $1 RETURNING *`,
          [id, COMPOSE_STATES.failed, `Reused compose ${reusedId} did not succeed: ${original.state_reason ?? ''}`.trim()],
        );
        return finishedOf(rows[0]);
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
        await tx.query('SELECT pg_advisory_xact_lock(7316001)');
        const usage = await composeRootUsage(tx);
        if (usage < limit) return { ok: true, usage, limit, evicted: [] };
        const { rows } = await tx.query(
          `SELECT id, size_bytes FROM composes c
            WHERE state = $1 AND reused_id IS NULL AND removal_reason IS NULL
              AND NOT EXISTS (SELECT 1 FROM composes r WHERE r.reused_id = c.id AND r.state IN ($2, $3, $1))
            ORDER BY time_to_expire, id`,
          [COMPOSE_STATES.done, COMPOSE_STATES.wait, COMPOSE_STATES.generating],
        );
        const chosen: number[] = [];
        let remaining = usage;
        for (const r of rows) {
          if (remaining < limit * 0.9) break;
          chosen.push(r.id);
          remaining -= Number(r.size_bytes);
        }
        const why = `the compose root was over its size limit (${usage} of ${limit} bytes used)`;
        const { rows: evicted } = await tx.query(
          `UPDATE composes SET time_to_expire = now(), removal_reason = $2 WHERE id = ANY($1::bigint[]) RETURNING id, time_to_expire`,
          [chosen, why],
        );
        return { ok: false, usage, limit, evicted: evicted.map((e) => ({ id: e.id, timeToExpire: iso(e.time_to_expire) })) };
      });
    },

    /** time_to_expire = max(current, now + ttl), on this compose and on those sharing its files. */
    async extendCompose(id: number, secondsToLive: number): Promise<ExtendResult> {
      return inTransaction(pool, async (tx) => {
        const c = await mustGet(tx, id, true);
        const ids = new Set<number>([id]);
        if (c.reused_id !== null) ids.add(c.reused_id);
        const root = c.reused_id ?? id;
        const { rows: sharing } = await tx.query(
          'SELECT id FROM composes WHERE reused_id = $1 AND state IN ($2, $3)',
          [root, COMPOSE_STATES.done, COMPOSE_STATES.generating],
        );
        for (const r of sharing) ids.add(r.id);
        const { rows } = await tx.query(
          `UPDATE composes SET time_to_expire = greatest(time_to_expire, now() + make_interval(secs => $2::int))
           WHERE id = ANY($1::bigint[]) AND state <> $3 RETURNING id, time_to_expire`,
          [[...ids], secondsToLive, COMPOSE_STATES.removed],
        );
        const self = rows.find((r) => r.id === id);
        return {
          timeToExpire: iso(self?.time_to_expire ?? c.time_to_expire),
          related: rows.filter((r) => r.id !== id).map((r) => ({ id: r.id, timeToExpire: iso(r.time_to_expire) })),
        };
      });
    },

    /** An admin's DELETE of a done or failed compose: it expires now. */
    async requestRemoval(id: number, user: string): Promise<Finished> {
      const { rows } = await pool.query(
        `UPDATE composes SET time_to_expire = now(), removed_by = $2 WHERE id = $1 RETURNING *`,
        [id, user],
      );
      return finishedOf(rows[0] ?? (await mustGet(pool, id)));
    },

    /**
     * At the deadline: mark the compose removed, then delete its files (unless another live compose
     * still uses them). The decision is taken under row locks, so an extend racing with it either
     * lands first (and the compose lives on) or finds it removed.
     */
    async expireCompose(id: number): Promise<{ expired: boolean; timeToExpire: string }> {
      const verdict = await inTransaction(pool, async (tx) => {
        const c = await mustGet(tx, id, true);
        if (c.state === COMPOSE_STATES.removed) return { expired: true, compose: c }; // a retry after the commit
        if (new Date(c.time_to_expire).getTime() > Date.now() + 1000) return { expired: false, compose: c };
        if (c.reused_id === null) {
          const { rows } = await tx.query(
            `SELECT max(time_to_expire) AS until FROM composes WHERE reused_id = $1 AND state IN ($2, $3, $4)`,
            [id, COMPOSE_STATES.wait, COMPOSE_STATES.generating, COMPOSE_STATES.done],
          );
          const until = rows[0]?.until ? new Date(rows[0].until) : null;
          // A compose reusing these files still lives: keep them until it expires too.
          if (until && until.getTime() > Date.now() + 1000) {
            const { rows: kept } = await tx.query('UPDATE composes SET time_to_expire = $2 WHERE id = $1 RETURNING *', [id, until]);
            return { expired: false, compose: kept[0] as ComposeRecord };
          }
        }
        await tx.query(
          `UPDATE composes SET state = $2, state_reason = $3, time_removed = now() WHERE id = $1`,
          [id, COMPOSE_STATES.removed, reasonExpired(c.state_reason, c.removed_by, c.removal_reason)],
        );
        return { expired: true, compose: c };
      });
      // Idempotent, so a retry after a crash between the commit and here still removes the files.
      if (verdict.expired && verdict.compose.reused_id === null) {
        await removeComposeTree(composeTargetDir(verdict.compose, config, settings), id);
      }
      return { expired: verdict.expired, timeToExpire: iso(verdict.compose.time_to_expire) };
    },
  };
  return activities;
}

async function findReusable(tx: pg.PoolClient, candidate: ComposeRecord): Promise<ComposeRecord | null> {
  if (!mayReuse(candidate)) return null;
  const { rows } = await tx.query(
    `SELECT * FROM composes
      WHERE source_type = $1 AND source = $2 AND id < $3 AND reused_id IS NULL AND state IN ($4, $5)`,
    [candidate.source_type, candidate.source, candidate.id, COMPOSE_STATES.done, COMPOSE_STATES.generating],
  );
  return findReusableCompose(candidate, rows);
}

async function pauseHeartbeating(ms: number, beat: () => void): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    beat();
    await new Promise((r) => setTimeout(r, Math.min(500, until - Date.now())));
  }
}

/** Generation runs on its own task queue; this wraps the generator with heartbeats and cancellation. */
export function createGenerateActivities({ pool, testPauseMs = 0 }: Pick<Deps, 'pool'> & { testPauseMs?: number }) {
  return {
    async generateCompose(plan: GenerateInput): Promise<GenerateResult> {
      const ctx = Context.current();
      // Taking the slot moves the compose wait -> generating; a compose canceled meanwhile is not built.
      const { rows } = await pool.query(
        `UPDATE composes SET state = $2, state_reason = $3, time_started = coalesce(time_started, now())
         WHERE id = $1 AND state IN ($2, $4) RETURNING id`,
        [plan.composeId, COMPOSE_STATES.generating, REASON_GENERATING, COMPOSE_STATES.wait],
      );
      if (!rows[0]) throw ApplicationFailure.nonRetryable(`compose ${plan.composeId} is no longer waiting`, 'ComposeNotWaiting');
      try {
        return await generateCompose(plan, {
          heartbeat: (detail) => ctx.heartbeat(detail),
          // Fault injection for the durability tests: a pause mid-generation, heartbeating.
          checkpoint: testPauseMs ? () => pauseHeartbeating(testPauseMs, () => ctx.heartbeat('paused')) : undefined,
          signal: ctx.cancellationSignal,
        });
      } catch (err) {
        if (err instanceof GenerationError) throw ApplicationFailure.nonRetryable(err.message, 'GenerationError');
        throw err;
      }
    },
  };
}

export type ComposeActivities = ReturnType<typeof createComposeActivities>;
export type GenerateActivities = ReturnType<typeof createGenerateActivities>;
