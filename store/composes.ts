// Every SQL statement on the composes table. The API inserts and reads; every later change of a
// compose goes through one function per transition, whose `WHERE state IN (…)` is the lifecycle's
// (core/lifecycle.ts). Functions taking a PoolClient expect to run inside inTransaction.
import type pg from 'pg';
import { COMPOSE_STATES, type ComposeInput, type ComposeRecord } from '../core/compose.js';
import { CANCELABLE_STATES, REASON_DONE, REASON_GENERATING, reasonExpired, reasonReusing, statesFrom } from '../core/lifecycle.js';
import type { ListQuery, OrderColumn } from '../core/list-query.js';
import { COMPOSE_INPUT_FIELDS } from '../core/compose-fields.js';

export type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

const { wait, generating, done, removed, failed } = COMPOSE_STATES;
/** `state IN (…)` of the transition to `to`, as a SQL list of the lifecycle's source states. */
const from = (to: number) => statesFrom(to).join(', ');

const INPUT_COLUMNS = COMPOSE_INPUT_FIELDS;

/**
 * Inserts a compose. With `start`, the record telling the starter to start its workflow
 * (workflow_commands) goes in the same statement: one round trip, atomic without a transaction.
 */
export async function insertCompose(
  db: Queryable,
  input: ComposeInput,
  owner: string,
  secondsToLive: number,
  extra: { pungi_config_dump?: string | null; start?: boolean } = {},
): Promise<ComposeRecord> {
  const values: unknown[] = INPUT_COLUMNS.map((c) => input[c]);
  values.push(owner, secondsToLive, extra.pungi_config_dump ?? null);
  const { rows } = await db.query({ name: extra.start ? 'insert-compose-start' : 'insert-compose', text: extra.start ? INSERT_WITH_START : INSERT, values });
  return rows[0];
}

const INSERT_VALUES = (() => {
  const n = INPUT_COLUMNS.length;
  const placeholders = INPUT_COLUMNS.map((_, i) => `$${i + 1}`);
  // time_to_expire = submitted + ttl, as ODCS; recomputed from completion when the compose ends.
  placeholders.push(`$${n + 1}`, `$${n + 2}`, `now() + $${n + 2}::int * interval '1 second'`, `$${n + 3}`);
  return `INSERT INTO composes (${[...INPUT_COLUMNS, 'owner', 'seconds_to_live', 'time_to_expire', 'pungi_config_dump'].join(', ')}) VALUES (${placeholders.join(', ')}) RETURNING *`;
})();
const INSERT = INSERT_VALUES;
const INSERT_WITH_START = `WITH c AS (${INSERT_VALUES}),
  s AS (INSERT INTO workflow_commands (compose_id, kind) SELECT id, 'start' FROM c)
  SELECT * FROM c`;

export async function getCompose(db: Queryable, id: number): Promise<ComposeRecord | null> {
  if (!Number.isSafeInteger(id) || id < 1) return null;
  const { rows } = await db.query('SELECT * FROM composes WHERE id = $1', [id]);
  return rows[0] ?? null;
}

/** The order_by columns that may hold NULL (migrations/…_composes.sql); the others are NOT NULL. */
const NULLABLE_ORDER_COLUMNS: ReadonlySet<OrderColumn> = new Set<OrderColumn>(['koji_event', 'time_done', 'time_removed']);

/** Lists composes for GET /api/1/composes/; the query was validated by core/list-query. */
export async function listComposes(db: Queryable, q: ListQuery): Promise<{ items: ComposeRecord[]; total: number }> {
  const where: string[] = [];
  const values: unknown[] = [];
  for (const [key, value] of Object.entries(q.filters)) {
    if (value === undefined) continue;
    values.push(value);
    where.push(`${key} = $${values.length}`); // keys come from the ListFilters type, never from input
  }
  const dir = q.orderBy.descending ? 'DESC' : 'ASC';
  // NULLS LAST only where a NULL can be: on a NOT NULL column it changes nothing in the result but
  // keeps PostgreSQL from reading an index backwards (id DESC NULLS LAST is not the primary key's
  // order), so every list page would sort every matching row.
  const nulls = NULLABLE_ORDER_COLUMNS.has(q.orderBy.column) ? ' NULLS LAST' : '';
  const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const countSql = `SELECT count(*)::int FROM composes ${whereSql}`;
  const filterValues = [...values];
  values.push(q.perPage, q.offset);
  // One round trip: the total rides on each row (an InitPlan, counted once).
  const { rows } = await db.query(
    `SELECT (${countSql}) AS odcs_list_total, * FROM composes ${whereSql} ORDER BY ${q.orderBy.column} ${dir}${nulls}, id ${dir}
     LIMIT $${values.length - 1} OFFSET $${values.length}`,
    values,
  );
  if (rows.length === 0) {
    // An empty page (past the end, or nothing matches): count alone.
    const count = await db.query(countSql.replace('count(*)::int', 'count(*)::int AS n'), filterValues);
    return { items: [], total: count.rows[0].n };
  }
  const total: number = rows[0].odcs_list_total;
  for (const row of rows) delete row.odcs_list_total;
  return { items: rows, total };
}

/** The rows of `ids` that exist, by id. */
export async function getComposes(db: Queryable, ids: number[]): Promise<Map<number, ComposeRecord>> {
  const { rows } = await db.query<ComposeRecord>('SELECT * FROM composes WHERE id = ANY($1::bigint[])', [ids]);
  return new Map(rows.map((r) => [r.id, r]));
}

/** The row, locked FOR UPDATE until the transaction ends (races are settled by this lock). */
export async function lockCompose(tx: pg.PoolClient, id: number): Promise<ComposeRecord | null> {
  const { rows } = await tx.query('SELECT * FROM composes WHERE id = $1 FOR UPDATE', [id]);
  return rows[0] ?? null;
}

/** Bytes the compose trees take: each done, failed or generating compose with its own files. */
export async function composeRootUsage(db: Queryable): Promise<number> {
  const { rows } = await db.query(
    `SELECT coalesce(sum(size_bytes), 0)::bigint AS n FROM composes WHERE state IN ($1, $2, $3) AND reused_id IS NULL`,
    [generating, done, failed],
  );
  return Number(rows[0].n);
}

// ---- preparation (the compose still waits) ----

/** A pulp compose's source becomes the content sets that were found, as in ODCS. */
export async function setSource(db: Queryable, id: number, source: string): Promise<void> {
  await db.query('UPDATE composes SET source = $2 WHERE id = $1', [id, source]);
}

/** Why a waiting compose waits (an unreachable source); only while it waits. */
export async function setWaitingReason(db: Queryable, id: number, reason: string): Promise<void> {
  await db.query('UPDATE composes SET state_reason = $2 WHERE id = $1 AND state = $3', [id, reason, wait]);
}

/** The source was resolved: its revision and Koji event; a "waiting to retry" reason is cleared. */
export async function recordSourceRevision(
  tx: pg.PoolClient,
  id: number,
  revision: string,
  kojiEvent: number | null,
  retryReasonPrefix: string,
): Promise<void> {
  await tx.query(
    `UPDATE composes SET source_revision = $2, koji_event = coalesce($3, koji_event),
       state_reason = CASE WHEN state_reason LIKE $4 THEN NULL ELSE state_reason END WHERE id = $1`,
    [id, revision, kojiEvent, `${retryReasonPrefix}%`],
  );
}

/** Done or generating composes of the same source, older than `id`, that are not reuses themselves. */
export async function reuseCandidates(tx: pg.PoolClient, c: Pick<ComposeRecord, 'id' | 'source_type' | 'source'>): Promise<ComposeRecord[]> {
  const { rows } = await tx.query(
    `SELECT * FROM composes
      WHERE source_type = $1 AND source = $2 AND id < $3 AND reused_id IS NULL AND state IN ($4, $5)`,
    [c.source_type, c.source, c.id, done, generating],
  );
  return rows;
}

// ---- reuse decided at admission (the starter) ----

/**
 * Waiting composes whose start is still to be delivered and that may reuse a done compose (not
 * `no_reuse`, of `sourceTypes`), oldest first, locked FOR UPDATE; rows another transaction holds
 * (another starter, a workflow's prepare) are skipped.
 */
export async function lockAdmissible(tx: pg.PoolClient, sourceTypes: number[], noReuseFlag: number, limit: number): Promise<ComposeRecord[]> {
  const { rows } = await tx.query<ComposeRecord>(
    `SELECT c.* FROM composes c
      WHERE c.id IN (SELECT compose_id FROM workflow_commands WHERE done_at IS NULL AND kind = 'start')
        AND c.state = $1 AND c.reused_id IS NULL AND c.source_type = ANY($2::int[]) AND (c.flags & $3) = 0
      ORDER BY c.id LIMIT $4 FOR UPDATE OF c SKIP LOCKED`,
    [wait, sourceTypes, noReuseFlag, limit],
  );
  return rows;
}

/** Done composes that are not reuses themselves, of any of the (source_type, source) pairs. */
export async function doneComposesOf(tx: pg.PoolClient, sources: Array<Pick<ComposeRecord, 'source_type' | 'source'>>): Promise<ComposeRecord[]> {
  if (sources.length === 0) return [];
  const { rows } = await tx.query<ComposeRecord>(
    `SELECT * FROM composes
      WHERE state = $1 AND reused_id IS NULL
        AND (source_type, source) IN (SELECT * FROM unnest($2::int[], $3::text[]))`,
    [done, sources.map((s) => s.source_type), sources.map((s) => s.source)],
  );
  return rows;
}

/** Locks `ids` FOR UPDATE in id order (the composes to reuse, after their reusers). */
export async function lockComposes(tx: pg.PoolClient, ids: number[]): Promise<void> {
  await tx.query('SELECT id FROM composes WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE', [ids]);
}

/**
 * wait -> generating -> done for many composes at once, each sharing the files of the done compose
 * it reuses (markReusing then markDoneReusing, set-based: both changes announced, as ODCS does):
 * each lives until the later of its own lifetime and the reused one's expiry, and each reused
 * compose's expiry is extended once to its latest reuser's. The caller holds the locks of the
 * reusers, then of the reused composes. Returns the rows moved.
 */
export async function markDoneReusingMany(
  tx: pg.PoolClient,
  reuses: Array<{ id: number; reusedId: number; revision: string }>,
): Promise<ComposeRecord[]> {
  if (reuses.length === 0) return [];
  await tx.query(
    `UPDATE composes c SET state = $4, state_reason = r.reason, reused_id = r.reused_id, pungi_compose_id = o.pungi_compose_id,
       source_revision = r.revision, time_started = now()
     FROM unnest($1::bigint[], $2::bigint[], $3::text[], $5::text[]) AS r(id, reused_id, revision, reason) JOIN composes o ON o.id = r.reused_id
     WHERE c.id = r.id AND c.state IN (${from(generating)}) AND c.state = $6 AND c.reused_id IS NULL AND o.state = $7`,
    [reuses.map((r) => r.id), reuses.map((r) => r.reusedId), reuses.map((r) => r.revision), generating, reuses.map((r) => reasonReusing(r.reusedId)), wait, done],
  );
  const { rows } = await tx.query<ComposeRecord>(
    `WITH r AS (SELECT * FROM unnest($1::bigint[], $2::bigint[]) AS t(id, reused_id)),
     moved AS (
       UPDATE composes c SET state = $3, state_reason = $4, time_done = now(),
         time_to_expire = greatest(now() + make_interval(secs => c.seconds_to_live), o.time_to_expire)
       FROM r JOIN composes o ON o.id = r.reused_id
       WHERE c.id = r.id AND c.state IN (${from(done)}) AND c.state = $5 AND c.reused_id = r.reused_id AND o.state = $3
       RETURNING c.*),
     extended AS (
       UPDATE composes o SET time_to_expire = greatest(o.time_to_expire, m.until)
       FROM (SELECT reused_id, max(time_to_expire) AS until FROM moved GROUP BY reused_id) m
       WHERE o.id = m.reused_id)
     SELECT * FROM moved`,
    [reuses.map((r) => r.id), reuses.map((r) => r.reusedId), done, REASON_DONE, generating],
  );
  return rows;
}

// ---- transitions ----

/** wait -> generating by reusing another compose's files. */
export async function markReusing(
  tx: pg.PoolClient,
  id: number,
  reused: Pick<ComposeRecord, 'id' | 'pungi_compose_id'>,
  revision: string,
  kojiEvent: number | null,
  reason: string,
): Promise<void> {
  await tx.query(
    `UPDATE composes SET reused_id = $2, pungi_compose_id = $3, source_revision = $4, state = $5,
       state_reason = $6, time_started = now(), koji_event = coalesce($7, koji_event)
     WHERE id = $1 AND state IN (${from(generating)})`,
    [id, reused.id, reused.pungi_compose_id, revision, generating, reason, kojiEvent],
  );
}

/** wait -> generating when a generation slot takes the compose (again, on a retry). False: it no longer waits. */
export async function markGenerating(db: Queryable, id: number): Promise<boolean> {
  const { rows } = await db.query(
    `UPDATE composes SET state = $2, state_reason = $3, time_started = coalesce(time_started, now())
     WHERE id = $1 AND state IN (${from(generating)}, $2) RETURNING id`,
    [id, generating, REASON_GENERATING],
  );
  return rows.length > 0;
}

/** -> done with the generated files; the lifetime runs from now. Null: the compose had already left. */
export async function markDone(db: Queryable, id: number, result: { pungiComposeId: string; bytes: number }): Promise<ComposeRecord | null> {
  const { rows } = await db.query(
    `UPDATE composes SET state = $2, state_reason = $3, time_done = now(), pungi_compose_id = $4,
       time_to_expire = now() + make_interval(secs => seconds_to_live), size_bytes = $5
     WHERE id = $1 AND state IN (${from(done)}) RETURNING *`,
    [id, done, REASON_DONE, result.pungiComposeId, result.bytes],
  );
  return rows[0] ?? null;
}

/**
 * -> done by sharing the finished files of `original`: both composes live until the later expiry.
 * The caller holds both rows' locks.
 */
export async function markDoneReusing(tx: pg.PoolClient, id: number, original: ComposeRecord): Promise<ComposeRecord | null> {
  const { rows } = await tx.query(
    `UPDATE composes SET state = $2, state_reason = $3, time_done = now(), pungi_compose_id = $4,
       time_to_expire = greatest(now() + make_interval(secs => seconds_to_live), $5::timestamptz)
     WHERE id = $1 AND state IN (${from(done)}) RETURNING *`,
    [id, done, REASON_DONE, original.pungi_compose_id, original.time_to_expire],
  );
  if (rows[0]) await tx.query('UPDATE composes SET time_to_expire = greatest(time_to_expire, $2) WHERE id = $1', [original.id, rows[0].time_to_expire]);
  return rows[0] ?? null;
}

/** Locks the composes following `id` (reusing it while it is generated), before `id` itself moves. */
export async function lockFollowers(tx: pg.PoolClient, id: number): Promise<void> {
  await tx.query(`SELECT id FROM composes WHERE reused_id = $1 AND state IN (${from(done)}) ORDER BY id FOR UPDATE`, [id]);
}

/**
 * The composes following `original` finish with it, in the transaction that finished it: done
 * sharing its files (as markDoneReusing: the later expiry on both), or failed with `failedReason`.
 * The caller holds the followers' locks (lockFollowers), then the original's.
 */
export async function finishFollowers(tx: pg.PoolClient, original: ComposeRecord, failedReason: string): Promise<void> {
  if (original.state === failed) {
    await tx.query(
      `UPDATE composes SET state = $2, state_reason = $3, time_done = now(), time_to_expire = now() + make_interval(secs => seconds_to_live)
       WHERE reused_id = $1 AND state IN (${from(failed)})`,
      [original.id, failed, failedReason.slice(0, 10_000)],
    );
    return;
  }
  if (original.state !== done) return;
  await tx.query(
    `WITH moved AS (
       UPDATE composes SET state = $2, state_reason = $3, time_done = now(), pungi_compose_id = $4,
         time_to_expire = greatest(now() + make_interval(secs => seconds_to_live), $5::timestamptz)
       WHERE reused_id = $1 AND state IN (${from(done)}) RETURNING time_to_expire)
     UPDATE composes SET time_to_expire = greatest(time_to_expire, (SELECT max(time_to_expire) FROM moved))
      WHERE id = $1 AND EXISTS (SELECT 1 FROM moved)`,
    [original.id, done, REASON_DONE, original.pungi_compose_id, original.time_to_expire],
  );
}

/** -> failed with `reason`; the lifetime runs from now. Null: the compose had already left. */
export async function markFailed(db: Queryable, id: number, reason: string): Promise<ComposeRecord | null> {
  const { rows } = await db.query(
    `UPDATE composes SET state = $2, state_reason = $3, time_done = now(),
       time_to_expire = now() + make_interval(secs => seconds_to_live)
     WHERE id = $1 AND state IN (${from(failed)}) RETURNING *`,
    [id, failed, reason.slice(0, 10_000)],
  );
  return rows[0] ?? null;
}

/** -> failed `Canceled by <user>`, only while no generation slot has taken the compose. */
export async function markCanceled(db: Queryable, id: number, reason: string): Promise<ComposeRecord | null> {
  const { rows } = await db.query(
    `UPDATE composes SET state = $2, state_reason = $3, time_done = now(),
       time_to_expire = now() + make_interval(secs => seconds_to_live)
     WHERE id = $1 AND state IN (${CANCELABLE_STATES.join(', ')}) RETURNING *`,
    [id, failed, reason],
  );
  return rows[0] ?? null;
}

/** done|failed -> removed; the reason is the previous one with the removal sentence appended. */
export async function markRemoved(tx: pg.PoolClient, c: ComposeRecord): Promise<void> {
  await tx.query(
    `UPDATE composes SET state = $2, state_reason = $3, time_removed = now() WHERE id = $1 AND state IN (${from(removed)})`,
    [c.id, removed, reasonExpired(c.state_reason, c.removed_by, c.removal_reason)],
  );
}

// ---- lifetime ----

/** The latest expiry of the live composes reusing `id`'s files (null: none). */
export async function reusersExpireAt(tx: pg.PoolClient, id: number): Promise<Date | null> {
  const { rows } = await tx.query(
    `SELECT max(time_to_expire) AS until FROM composes WHERE reused_id = $1 AND state IN ($2, $3, $4)`,
    [id, wait, generating, done],
  );
  return rows[0]?.until ? new Date(rows[0].until) : null;
}

export async function setExpiry(db: Queryable, id: number, at: Date): Promise<ComposeRecord | null> {
  const { rows } = await db.query('UPDATE composes SET time_to_expire = $2 WHERE id = $1 RETURNING *', [id, at]);
  return rows[0] ?? null;
}

/** An admin's DELETE of a done or failed compose: it expires now. */
export async function requestRemoval(db: Queryable, id: number, user: string): Promise<ComposeRecord | null> {
  const { rows } = await db.query('UPDATE composes SET time_to_expire = now(), removed_by = $2 WHERE id = $1 RETURNING *', [id, user]);
  return rows[0] ?? null;
}

/** Ids of the composes sharing files with `root` (reusing it) that are done or generating. */
export async function sharingIds(tx: pg.PoolClient, root: number): Promise<number[]> {
  const { rows } = await tx.query('SELECT id FROM composes WHERE reused_id = $1 AND state IN ($2, $3)', [root, done, generating]);
  return rows.map((r) => r.id);
}

/**
 * PATCH's extend: time_to_expire = max(current, now + ttl) on the compose and on the composes sharing
 * its files (the one it reuses, the ones reusing the same files). The caller holds `c`'s lock.
 */
export async function extendWithSharing(tx: pg.PoolClient, c: ComposeRecord, secondsToLive: number): Promise<Array<{ id: number; time_to_expire: Date }>> {
  const ids = new Set<number>([c.id]);
  if (c.reused_id !== null) ids.add(c.reused_id);
  for (const other of await sharingIds(tx, c.reused_id ?? c.id)) ids.add(other);
  return extendExpiry(tx, [...ids], secondsToLive);
}

/** time_to_expire = max(current, now + ttl) on each of `ids` not yet removed. */
export async function extendExpiry(tx: pg.PoolClient, ids: number[], secondsToLive: number): Promise<Array<{ id: number; time_to_expire: Date }>> {
  const { rows } = await tx.query(
    `UPDATE composes SET time_to_expire = greatest(time_to_expire, now() + make_interval(secs => $2::int))
     WHERE id = ANY($1::bigint[]) AND state <> $3 RETURNING id, time_to_expire`,
    [ids, secondsToLive, removed],
  );
  return rows;
}

// ---- disk pressure ----

/** Serializes evictions: one evictor at a time, so two generations waiting for space do not both evict. */
export async function lockEviction(tx: pg.PoolClient): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(7316001)');
}

/** Done composes nobody reuses and not yet marked for early removal, nearest to expiry first. */
export async function evictionCandidates(tx: pg.PoolClient): Promise<Array<{ id: number; size_bytes: number }>> {
  const { rows } = await tx.query(
    `SELECT id, size_bytes FROM composes c
      WHERE state = $1 AND reused_id IS NULL AND removal_reason IS NULL
        AND NOT EXISTS (SELECT 1 FROM composes r WHERE r.reused_id = c.id AND r.state IN ($2, $3, $1))
      ORDER BY time_to_expire, id`,
    [done, wait, generating],
  );
  return rows.map((r) => ({ id: r.id, size_bytes: Number(r.size_bytes) }));
}

/** Expires `ids` now, recording why (the removal reason says "Removed early: …"). */
export async function expireEarly(tx: pg.PoolClient, ids: number[], why: string): Promise<Array<{ id: number; time_to_expire: Date }>> {
  const { rows } = await tx.query(
    `UPDATE composes SET time_to_expire = now(), removal_reason = $2 WHERE id = ANY($1::bigint[]) RETURNING id, time_to_expire`,
    [ids, why],
  );
  return rows;
}

// ---- the reconciler ----

/** Composes that should have a running workflow and have looked stuck for longer than `grace`. */
export async function composesNeedingWorkflow(db: Queryable, grace: string, limit = 1000): Promise<ComposeRecord[]> {
  const { rows } = await db.query<ComposeRecord>(
    `SELECT * FROM composes
      WHERE (state IN ($1, $2) AND time_submitted < now() - $5::interval)
         OR (state IN ($3, $4) AND time_to_expire < now() - $5::interval)
      ORDER BY id LIMIT $6`,
    [wait, generating, done, failed, grace, limit],
  );
  return rows;
}
