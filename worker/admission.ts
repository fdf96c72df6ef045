// Reuse decided at admission, by the starter: waiting composes whose start is still pending and that
// reuse a done compose are moved to `done` in one set-based transaction, before their workflows
// start (those then start finished, only to keep the expiry timer). The rule is the workflow's
// (core/reuse.ts on the source's revision); a source that needs a Koji hub, no done compose to
// reuse, a generating one to follow, or an unresolvable source keep the workflow path.
import type pg from 'pg';
import { COMPOSE_STATES, SOURCE_TYPES, type ComposeRecord } from '../core/compose.js';
import type { AppConfig } from '../core/config.js';
import { COMPOSE_FLAGS } from '../core/flags.js';
import { findReusableCompose, mayReuse } from '../core/reuse.js';
import type { OdcsSettings } from '../core/settings.js';
import { resolveSourceRevision, resolvesLocally } from '../activities/sources.js';
import { tagSourceFor } from '../activities/tag-sources/index.js';
import { doneComposesOf, lockAdmissible, lockComposes, markDoneReusingMany } from '../store/composes.js';
import { inTransaction } from '../store/pool.js';

export interface AdmissionResult {
  /** Waiting composes looked at (locked) in this pass. */
  scanned: number;
  /** The composes moved to `done` by reusing a done compose. */
  reused: ComposeRecord[];
}

/** What the revision of a source depends on (resolveSourceRepos reads these fields). */
const sourceKey = (c: ComposeRecord) =>
  JSON.stringify([c.source_type, c.source, c.flags, c.arches, c.lookaside_repos, c.builds, c.koji_event]);

export async function admitReuses(
  pool: pg.Pool,
  { settings, config }: { settings: OdcsSettings; config: Pick<AppConfig, 'repoRoots' | 'dataDir' | 'kojiCacheMaxBytes'> },
  limit: number,
): Promise<AdmissionResult> {
  // Source types a reuse may be decided for here (the SQL prefilter; the rows pass mayReuse again).
  const types = Object.values(SOURCE_TYPES).filter((t) => mayReuse({ flags: 0, source_type: t }) && resolvesLocally({ source_type: t }, settings));
  if (types.length === 0) return { scanned: 0, reused: [] };
  return inTransaction(pool, async (tx) => {
    const rows = (await lockAdmissible(tx, types, COMPOSE_FLAGS.no_reuse, limit)).filter(
      (c) => c.state === COMPOSE_STATES.wait && mayReuse(c) && resolvesLocally(c, settings),
    );
    if (rows.length === 0) return { scanned: 0, reused: [] };
    // One resolution per distinct source in the batch; one that fails keeps the workflow path,
    // which reports the failure as the compose's.
    const revisions = new Map<string, Promise<string | null>>();
    const tagSource = tagSourceFor(settings, config);
    for (const c of rows) {
      const key = sourceKey(c);
      if (!revisions.has(key)) {
        revisions.set(
          key,
          resolveSourceRevision(c, settings, config.repoRoots, tagSource).then(
            (r) => r.revision,
            () => null,
          ),
        );
      }
    }
    const pairs = new Map(rows.map((c) => [`${c.source_type}\u0000${c.source}`, { source_type: c.source_type, source: c.source }]));
    const candidates = await doneComposesOf(tx, [...pairs.values()]);
    const plan: Array<{ id: number; reusedId: number; revision: string }> = [];
    for (const c of rows) {
      const revision = await revisions.get(sourceKey(c))!;
      if (revision === null) continue;
      const reused = findReusableCompose({ ...c, source_revision: revision }, candidates);
      if (reused?.state === COMPOSE_STATES.done) plan.push({ id: c.id, reusedId: reused.id, revision });
    }
    if (plan.length === 0) return { scanned: rows.length, reused: [] };
    // The reusers are locked (above), then the composes they reuse, as the workflow's prepare does:
    // an expiry or a PATCH of a reused compose waits for this commit, and this one for them.
    await lockComposes(tx, [...new Set(plan.map((p) => p.reusedId))]);
    return { scanned: rows.length, reused: await markDoneReusingMany(tx, plan) };
  });
}
