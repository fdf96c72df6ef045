// SQL for the composes table. The API inserts and reads; every later change of a compose is made
// by its workflow through the activities, each in one statement or transaction.
import type pg from 'pg';
import { COMPOSE_STATES, type ComposeInput, type ComposeRecord } from '../../core/compose.js';
import type { ListQuery } from '../../core/list-query.js';
import { COMPOSE_INPUT_FIELDS } from '../../core/compose-fields.js';


type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

const INPUT_COLUMNS = COMPOSE_INPUT_FIELDS;

export async function insertCompose(
  db: Queryable,
  input: ComposeInput,
  owner: string,
  secondsToLive: number,
  extra: { pungi_config_dump?: string | null } = {},
): Promise<ComposeRecord> {
  const columns = [...INPUT_COLUMNS, 'owner', 'seconds_to_live', 'time_to_expire', 'pungi_config_dump'];
  const values: unknown[] = INPUT_COLUMNS.map((c) => input[c]);
  values.push(owner, secondsToLive);
  const placeholders = values.map((_, i) => `$${i + 1}`);
  // time_to_expire = submitted + ttl, as ODCS; recomputed from completion when the compose ends.
  placeholders.push(`now() + $${values.length}::int * interval '1 second'`);
  values.push(extra.pungi_config_dump ?? null);
  placeholders.push(`$${values.length}`);
  const { rows } = await db.query(
    `INSERT INTO composes (${columns.join(', ')}) VALUES (${placeholders.join(', ')}) RETURNING *`,
    values,
  );
  return rows[0];
}

export async function getCompose(db: Queryable, id: number): Promise<ComposeRecord | null> {
  if (!Number.isSafeInteger(id) || id < 1) return null;
  const { rows } = await db.query('SELECT * FROM composes WHERE id = $1', [id]);
  return rows[0] ?? null;
}

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
  const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const count = await db.query(`SELECT count(*)::int AS n FROM composes ${whereSql}`, values);
  values.push(q.perPage, q.offset);
  const { rows } = await db.query(
    `SELECT * FROM composes ${whereSql} ORDER BY ${q.orderBy.column} ${dir} NULLS LAST, id ${dir}
     LIMIT $${values.length - 1} OFFSET $${values.length}`,
    values,
  );
  return { items: rows, total: count.rows[0].n };
}


export const STATE = COMPOSE_STATES;

/** Bytes the compose trees take: each done, failed or generating compose with its own files. */
export async function composeRootUsage(db: Queryable): Promise<number> {
  const { rows } = await db.query(
    `SELECT coalesce(sum(size_bytes), 0)::bigint AS n FROM composes WHERE state IN ($1, $2, $3) AND reused_id IS NULL`,
    [COMPOSE_STATES.generating, COMPOSE_STATES.done, COMPOSE_STATES.failed],
  );
  return Number(rows[0].n);
}
