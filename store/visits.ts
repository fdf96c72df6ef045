// SQL of visit tracking (table dashboard_visits, migrations/1764400000000_dashboard_visits.sql):
// who asked the dashboard about which users, groups and packages, and the "warm" package set
// derived from it that the package sweep refreshes and the garbage collector keeps.
import type pg from 'pg';

type Db = pg.Pool | pg.PoolClient;

export type VisitKind = 'user' | 'group' | 'package';
export interface Visit {
  kind: VisitKind;
  name: string;
}

/**
 * Records visits. Returns those that are newcomers: never seen, or not seen within `visitDays`
 * (their data was not kept warm).
 */
export async function recordVisits(db: Db, visits: Visit[], visitDays: number): Promise<Visit[]> {
  if (visits.length === 0) return [];
  const { rows } = await db.query(
    `WITH input AS (SELECT DISTINCT k AS kind, n AS name FROM unnest($1::text[], $2::text[]) AS x(k, n)),
          old AS (SELECT v.kind, v.name, v.last_visit FROM dashboard_visits v JOIN input USING (kind, name)),
          up AS (
            INSERT INTO dashboard_visits AS v (kind, name) SELECT kind, name FROM input
            ON CONFLICT (kind, name) DO UPDATE SET last_visit = now(), visits = v.visits + 1
            RETURNING kind, name)
     SELECT up.kind, up.name FROM up LEFT JOIN old USING (kind, name)
      WHERE old.last_visit IS NULL OR old.last_visit < now() - make_interval(days => $3)
      ORDER BY 1, 2`,
    [visits.map((v) => v.kind), visits.map((v) => v.name), visitDays],
  );
  return rows;
}

/** The packages of everyone seen within $1 days: packages asked for, and those of users and groups (any ACL). */
const WARM = `
  seen AS (SELECT kind, name FROM dashboard_visits WHERE last_visit > now() - make_interval(days => $1)),
  warm AS (
    SELECT name AS pkg FROM seen WHERE kind = 'package'
    UNION
    SELECT jsonb_array_elements_text(c.data) FROM seen s
      JOIN cached_data c ON c.provider = 'packages_owners_json' AND c.arg = s.name
     WHERE s.kind = 'user' AND jsonb_typeof(c.data) = 'array'
    UNION
    SELECT jsonb_array_elements_text(COALESCE(c.data->'commit', '[]'::jsonb) || COALESCE(c.data->'admin', '[]'::jsonb)) FROM seen s
      JOIN cached_data c ON c.provider = 'pagure_groups' AND c.arg = s.name
     WHERE s.kind = 'group' AND jsonb_typeof(c.data) = 'object')`;

/**
 * The next `limit` packages (name order, after `after`) a package provider keeps warm: those of
 * users, groups and packages seen within `days`, and rows of that provider asked for within `days`.
 */
export async function warmPackages(db: Db, provider: string, days: number, after: string, limit: number): Promise<string[]> {
  const { rows } = await db.query(
    `WITH ${WARM}
     SELECT pkg FROM (
       SELECT pkg FROM warm
       UNION
       SELECT arg FROM cached_data WHERE provider = $2 AND arg <> '' AND time_requested > now() - make_interval(days => $1)
     ) x WHERE pkg > $3 ORDER BY pkg LIMIT $4`,
    [days, provider, after, limit],
  );
  return rows.map((r) => r.pkg);
}

/**
 * Garbage collection: deletes package rows nobody asked for within `days` (a row only queued so far
 * counts from its queueing) unless they belong to somebody seen within `days`, then forgets visits older than that. Returns the rows deleted.
 */
export async function deleteCold(db: Db, providers: readonly string[], days: number): Promise<number> {
  const res = await db.query(
    `WITH ${WARM}
     DELETE FROM cached_data c
      WHERE c.provider = ANY($2::text[])
        AND COALESCE(c.time_requested, c.time_created, c.time_queued, '-infinity'::timestamptz) < now() - make_interval(days => $1)
        AND NOT EXISTS (SELECT 1 FROM warm WHERE warm.pkg = c.arg)`,
    [days, providers],
  );
  await db.query(`DELETE FROM dashboard_visits WHERE last_visit < now() - make_interval(days => $1)`, [days]);
  return res.rowCount ?? 0;
}
