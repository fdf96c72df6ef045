// Aggregates read at scrape time for the metrics (api/metrics.ts) and readiness: counts over the
// composes, the outbox and the provider cache, so every API process reports the same figures.
import type pg from 'pg';

type Db = Pick<pg.Pool, 'query'>;

/** Composes by source type and state. */
export async function composeCountsByTypeAndState(db: Db): Promise<Array<{ source_type: number; state: number; n: number }>> {
  const { rows } = await db.query('SELECT source_type, state, count(*)::int AS n FROM composes GROUP BY 1, 2');
  return rows;
}

export async function composeCountsByState(db: Db): Promise<Array<{ state: number; n: number }>> {
  const { rows } = await db.query('SELECT state, count(*)::int AS n FROM composes GROUP BY 1');
  return rows;
}

const HISTOGRAMS = {
  /** From a generation slot taking a compose to its end (done or failed); reuses excluded. */
  generation: {
    seconds: 'extract(epoch FROM time_done - time_started)',
    where: 'time_started IS NOT NULL AND time_done IS NOT NULL AND reused_id IS NULL',
  },
  /** Removal time minus time_to_expire of removed composes. */
  expiryLag: {
    seconds: 'greatest(0, extract(epoch FROM time_removed - time_to_expire))',
    where: 'time_removed IS NOT NULL',
  },
} as const;

/** Cumulative bucket counts (`le` each of `buckets`), count and sum of one duration over every compose. */
export async function composeHistogram(
  db: Db,
  kind: keyof typeof HISTOGRAMS,
  buckets: number[],
): Promise<{ cumulative: number[]; count: number; sum: number }> {
  const { seconds, where } = HISTOGRAMS[kind];
  const filters = buckets.map((_, i) => `count(*) FILTER (WHERE s <= $${i + 1}) AS b${i}`).join(', ');
  const { rows } = await db.query(
    `SELECT ${filters}, count(*) AS n, coalesce(sum(s), 0) AS total FROM (SELECT ${seconds} AS s FROM composes WHERE ${where}) t`,
    buckets,
  );
  const r = rows[0];
  return { cumulative: buckets.map((_, i) => Number(r[`b${i}`])), count: Number(r.n), sum: Number(r.total) };
}

/** Seconds since each provider was last confirmed current (global providers: their meta row). */
export async function providerAges(db: Db): Promise<Array<{ provider: string; age: number }>> {
  const { rows } = await db.query(
    `SELECT provider, extract(epoch FROM now() - max(time_created))::float AS age
       FROM cached_data WHERE arg = '' AND time_created IS NOT NULL GROUP BY provider`,
  );
  return rows;
}

/** Cache keys whose last refresh failed after their last success, by provider. */
export async function providerFailing(db: Db): Promise<Array<{ provider: string; n: number }>> {
  const { rows } = await db.query(
    `SELECT provider, count(*)::int AS n FROM cached_data
      WHERE time_failed IS NOT NULL AND (time_created IS NULL OR time_failed > time_created) GROUP BY provider`,
  );
  return rows;
}

export async function cacheRowsByProvider(db: Db): Promise<Array<{ provider: string; n: number }>> {
  const { rows } = await db.query('SELECT provider, count(*)::int AS n FROM cached_data GROUP BY provider');
  return rows;
}
