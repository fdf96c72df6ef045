// SQL of the provider caches (table cached_data, migrations/1763800000000_cached_data.sql).
// Writers are the refresh activities; readers are the API and the refresh activities themselves.
// A refresh replaces a provider's rows in one transaction, so a reader sees the old data or the
// new, never a mix; a failed refresh leaves data alone and records its error.
import type pg from 'pg';
import type { ProviderName } from '../core/providers/registry.js';
import { inTransaction } from './pool.js';

type Db = pg.Pool | pg.PoolClient;

export interface Validator {
  etag?: string;
  last_modified?: string;
  /** 404 answers are remembered too: the same 404 again means "unchanged". */
  status: number;
  /** When a 404 was answered (ms since the epoch): within UPSTREAM_NOT_FOUND_TTL it is not asked again. */
  at?: number;
}
/**
 * What conditional requests need from the last full fetch: the validators of every URL it read,
 * and its plan (what the URL set was computed from, e.g. the release list): a probe is only
 * meaningful when the plan is the same.
 */
export interface Validators {
  plan?: string;
  urls?: Record<string, Validator>;
  /** When the data was last fetched in full (ms since the epoch): "changed since" filters are trusted for UPSTREAM_FULL_RESYNC_HOURS after it. */
  full_at?: number;
}

export interface CacheRow<T = unknown> {
  provider: string;
  arg: string;
  data: T | null;
  time_created: Date | null;
  time_changed: Date | null;
  validators: Validators;
  time_requested: Date | null;
  time_queued: Date | null;
  last_error: string | null;
  time_failed: Date | null;
}

export interface CacheKey {
  provider: string;
  arg: string;
}

const COLUMNS = 'provider, arg, data, time_created, time_changed, validators, time_requested, time_queued, last_error, time_failed';
/** Rows per statement when a refresh writes thousands of entities. */
const CHUNK = 5000;

export async function readRow<T = unknown>(db: Db, provider: string, arg = ''): Promise<CacheRow<T> | null> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM cached_data WHERE provider = $1 AND arg = $2`, [provider, arg]);
  return rows[0] ?? null;
}

/** The data of one row, or null when absent or never fetched. */
export async function readData<T = unknown>(db: Db, provider: string, arg = ''): Promise<T | null> {
  const { rows } = await db.query(`SELECT data FROM cached_data WHERE provider = $1 AND arg = $2`, [provider, arg]);
  return (rows[0]?.data as T | undefined) ?? null;
}

/** Rows of the given providers for the given args (a dashboard reads packages x providers this way). */
export async function readRows(db: Db, providers: string[], args: string[]): Promise<CacheRow[]> {
  if (providers.length === 0 || args.length === 0) return [];
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM cached_data WHERE provider = ANY($1::text[]) AND arg = ANY($2::text[])`, [providers, args]);
  return rows;
}

/** Exactly these keys. */
export async function readKeys(db: Db, keys: CacheKey[]): Promise<CacheRow[]> {
  if (keys.length === 0) return [];
  const { rows } = await db.query(
    `SELECT ${COLUMNS} FROM cached_data c JOIN unnest($1::text[], $2::text[]) AS k(p, a) ON c.provider = k.p AND c.arg = k.a`,
    [keys.map((k) => k.provider), keys.map((k) => k.arg)],
  );
  return rows;
}

/** The columns a reader needs (no validators, no bookkeeping). */
export type LiteRow = Pick<CacheRow, 'provider' | 'arg' | 'data' | 'time_created' | 'time_requested'>;
const LITE = 'provider, arg, data, time_created, time_requested';

/** Reader's version of readKeys. */
export async function readKeysLite(db: Db, keys: CacheKey[]): Promise<LiteRow[]> {
  if (keys.length === 0) return [];
  const { rows } = await db.query(
    `SELECT ${LITE.split(', ').map((c) => `c.${c}`).join(', ')} FROM cached_data c JOIN unnest($1::text[], $2::text[]) AS k(p, a) ON c.provider = k.p AND c.arg = k.a`,
    [keys.map((k) => k.provider), keys.map((k) => k.arg)],
  );
  return rows;
}

/** Reader's version of readRows. */
export async function readRowsLite(db: Db, providers: readonly string[], args: string[]): Promise<LiteRow[]> {
  if (providers.length === 0 || args.length === 0) return [];
  const { rows } = await db.query(`SELECT ${LITE} FROM cached_data WHERE provider = ANY($1::text[]) AND arg = ANY($2::text[])`, [providers, args]);
  return rows;
}


export interface GlobalWrite {
  meta: unknown;
  /** One row per entity; null for providers without entity rows. */
  entries: Map<string, unknown> | null;
  validators: Validators;
}

/**
 * Replaces a global provider's data: upserts the entity rows that changed, deletes the entities
 * that are gone, writes the meta row. Returns whether anything changed and the entity count.
 */
export async function writeGlobal(pool: pg.Pool, provider: ProviderName, w: GlobalWrite): Promise<{ changed: boolean; count: number }> {
  return inTransaction(pool, async (tx) => {
    let touched = 0;
    let count = 0;
    if (w.entries) {
      const args = [...w.entries.keys()].filter((k) => k !== '');
      count = args.length;
      for (let i = 0; i < args.length; i += CHUNK) {
        const part = args.slice(i, i + CHUNK);
        const res = await tx.query(
          `INSERT INTO cached_data (provider, arg, data, time_created, time_changed)
           SELECT $1, a, d::jsonb, now(), now() FROM unnest($2::text[], $3::text[]) AS t(a, d)
           ON CONFLICT (provider, arg) DO UPDATE SET data = EXCLUDED.data, time_created = now(), time_changed = now()
           WHERE cached_data.data IS DISTINCT FROM EXCLUDED.data`,
          [provider, part, part.map((a) => JSON.stringify(w.entries!.get(a)))],
        );
        touched += res.rowCount ?? 0;
      }
      const gone = await tx.query(
        `DELETE FROM cached_data WHERE provider = $1 AND arg <> '' AND arg NOT IN (SELECT unnest($2::text[]))`,
        [provider, args],
      );
      touched += gone.rowCount ?? 0;
    }
    const meta = await tx.query(
      `INSERT INTO cached_data AS c (provider, arg, data, time_created, time_changed, validators)
       VALUES ($1, '', $2::jsonb, now(), now(), $3::jsonb)
       ON CONFLICT (provider, arg) DO UPDATE SET
         data = EXCLUDED.data,
         time_created = now(),
         time_changed = CASE WHEN c.data IS DISTINCT FROM EXCLUDED.data OR c.time_changed IS NULL OR $4::boolean THEN now() ELSE c.time_changed END,
         validators = EXCLUDED.validators,
         last_error = NULL,
         time_failed = NULL
       RETURNING time_changed = now() AS changed`,
      [provider, JSON.stringify(w.meta), JSON.stringify(w.validators), touched > 0],
    );
    return { changed: Boolean(meta.rows[0]?.changed), count };
  });
}

/** Writes one package row of a package provider. Returns whether its data changed. */
export async function writePackage(db: Db, provider: ProviderName, arg: string, data: unknown, validators: Validators): Promise<boolean> {
  return (await writePackages(db, provider, [{ arg, data, validators }])).has(arg);
}

export interface PackageWrite {
  arg: string;
  data: unknown;
  validators: Validators;
}

/**
 * Writes many package rows of one provider in one statement per CHUNK rows. A row whose data is
 * the same keeps its time_changed (only time_created, validators and the error move). Returns the
 * args whose data changed.
 */
export async function writePackages(db: Db, provider: ProviderName, writes: PackageWrite[]): Promise<Set<string>> {
  const changed = new Set<string>();
  for (let i = 0; i < writes.length; i += CHUNK) {
    const part = writes.slice(i, i + CHUNK);
    const { rows } = await db.query(
      `INSERT INTO cached_data AS c (provider, arg, data, time_created, time_changed, validators)
       SELECT $1, a, d::jsonb, now(), now(), v::jsonb FROM unnest($2::text[], $3::text[], $4::text[]) AS t(a, d, v)
       ON CONFLICT (provider, arg) DO UPDATE SET
         data = EXCLUDED.data,
         time_created = now(),
         time_changed = CASE WHEN c.data IS DISTINCT FROM EXCLUDED.data OR c.time_changed IS NULL THEN now() ELSE c.time_changed END,
         validators = EXCLUDED.validators,
         last_error = NULL,
         time_failed = NULL
       RETURNING arg, time_changed = now() AS changed`,
      [provider, part.map((w) => w.arg), part.map((w) => JSON.stringify(w.data)), part.map((w) => JSON.stringify(w.validators))],
    );
    for (const r of rows) if (r.changed) changed.add(r.arg);
  }
  return changed;
}

/** The upstream said nothing changed (conditional requests): the data is current as of now. */
export async function confirmUnchanged(db: Db, provider: ProviderName, arg: string | string[] = ''): Promise<void> {
  const args = Array.isArray(arg) ? arg : [arg];
  if (args.length === 0) return;
  await db.query(
    `UPDATE cached_data SET time_created = now(), last_error = NULL, time_failed = NULL WHERE provider = $1 AND arg = ANY($2::text[])`,
    [provider, args],
  );
}

/** A refresh failed: the data stays, the error is recorded where operators and the API see it. */
export async function recordFailure(db: Db, provider: ProviderName, arg: string, message: string): Promise<void> {
  await recordFailures(db, provider, [{ arg, message }]);
}

/** Failures of many keys of one provider in one statement. */
export async function recordFailures(db: Db, provider: ProviderName, failures: Array<{ arg: string; message: string }>): Promise<void> {
  if (failures.length === 0) return;
  await db.query(
    `INSERT INTO cached_data (provider, arg, last_error, time_failed)
     SELECT $1, a, m, now() FROM unnest($2::text[], $3::text[]) AS t(a, m)
     ON CONFLICT (provider, arg) DO UPDATE SET last_error = EXCLUDED.last_error, time_failed = now()`,
    [provider, failures.map((f) => f.arg), failures.map((f) => f.message.slice(0, 4000))],
  );
}

export interface TouchRequest extends CacheKey {
  /** Record that somebody asked (package providers: keeps the row warm and alive). */
  touch: boolean;
  /** Ask for a refresh; granted unless one was queued within the throttle window. */
  queue: boolean;
}

/**
 * One statement for what a read learned: marks keys as requested and claims refreshes. Returns
 * the keys whose refresh this caller must start (the others were queued recently by someone).
 */
export async function touchAndQueue(db: Db, requests: TouchRequest[], throttleSeconds: number): Promise<CacheKey[]> {
  const seen = new Map<string, TouchRequest>();
  for (const r of requests) {
    if (!r.touch && !r.queue) continue;
    const id = `${r.provider}\u0000${r.arg}`;
    const prev = seen.get(id);
    seen.set(id, prev ? { ...r, touch: r.touch || prev.touch, queue: r.queue || prev.queue } : r);
  }
  const list = [...seen.values()];
  if (list.length === 0) return [];
  const { rows } = await db.query(
    `INSERT INTO cached_data AS c (provider, arg, time_requested, time_queued)
     SELECT p, a, CASE WHEN t THEN now() END, CASE WHEN q THEN now() END
       FROM unnest($1::text[], $2::text[], $3::bool[], $4::bool[]) AS x(p, a, t, q)
     ON CONFLICT (provider, arg) DO UPDATE SET
       time_requested = COALESCE(EXCLUDED.time_requested, c.time_requested),
       time_queued = CASE
         WHEN EXCLUDED.time_queued IS NOT NULL AND (c.time_queued IS NULL OR c.time_queued < now() - make_interval(secs => $5))
         THEN EXCLUDED.time_queued ELSE c.time_queued END
     RETURNING provider, arg, time_queued IS NOT DISTINCT FROM now() AS queued`,
    [list.map((r) => r.provider), list.map((r) => r.arg), list.map((r) => r.touch), list.map((r) => r.queue), throttleSeconds],
  );
  return rows.filter((r) => r.queued).map((r) => ({ provider: r.provider, arg: r.arg }));
}

/** Clears the cache: everything, or the providers whose name starts with `prefix`. */
export async function clearCache(db: Db, prefix?: string): Promise<number> {
  const res = prefix
    ? await db.query(`DELETE FROM cached_data WHERE starts_with(provider, $1)`, [prefix])
    : await db.query(`DELETE FROM cached_data`);
  return res.rowCount ?? 0;
}

export interface ProviderStats {
  provider: string;
  rows: number;
  bytes: number;
  /** Meta row (global) or newest row (package provider). */
  last_refreshed: Date | null;
  failing: number;
  last_error: string | null;
  time_failed: Date | null;
}

/** Size and health per provider (the cache size metric). */
export async function cacheStats(db: Db): Promise<ProviderStats[]> {
  const { rows } = await db.query(
    `SELECT provider,
            count(*)::int AS rows,
            COALESCE(sum(pg_column_size(data)), 0)::bigint AS bytes,
            COALESCE(max(time_created) FILTER (WHERE arg = ''), max(time_created)) AS last_refreshed,
            count(*) FILTER (WHERE last_error IS NOT NULL)::int AS failing,
            (array_agg(last_error ORDER BY time_failed DESC NULLS LAST) FILTER (WHERE last_error IS NOT NULL))[1] AS last_error,
            max(time_failed) AS time_failed
       FROM cached_data GROUP BY provider ORDER BY provider`,
  );
  return rows.map((r) => ({ ...r, bytes: Number(r.bytes) }));
}
