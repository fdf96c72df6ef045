// The message outbox (compose_events, written by a trigger on composes): the events stream and the
// relay read it in id order, the relay marks what the broker confirmed. A snapshot is the compose
// row as to_jsonb saw it; dates come back as strings.
import type pg from 'pg';
import type { ComposeRecord } from '../core/compose.js';

export interface ComposeEvent {
  id: number;
  composeId: number;
  state: number;
  compose: ComposeRecord;
  createdAt: Date;
}

const DATE_FIELDS = ['time_to_expire', 'time_submitted', 'time_started', 'time_done', 'time_removed'] as const;

export function recordFromSnapshot(snapshot: Record<string, unknown>): ComposeRecord {
  const row = { ...snapshot } as Record<string, unknown>;
  for (const f of DATE_FIELDS) row[f] = row[f] == null ? null : new Date(row[f] as string);
  return row as unknown as ComposeRecord;
}

function toEvent(row: { id: number; compose_id: number; state: number; snapshot: Record<string, unknown>; created_at: Date }): ComposeEvent {
  return { id: Number(row.id), composeId: Number(row.compose_id), state: row.state, compose: recordFromSnapshot(row.snapshot), createdAt: row.created_at };
}

export async function eventsAfter(
  db: Pick<pg.Pool, 'query'>,
  afterId: number,
  opts: { composeId?: number; limit?: number } = {},
): Promise<ComposeEvent[]> {
  const values: unknown[] = [afterId, opts.limit ?? 500];
  let filter = '';
  if (opts.composeId !== undefined) {
    values.push(opts.composeId);
    filter = 'AND compose_id = $3';
  }
  const { rows } = await db.query(
    `SELECT id, compose_id, state, snapshot, created_at FROM compose_events WHERE id > $1 ${filter} ORDER BY id LIMIT $2`,
    values,
  );
  return rows.map(toEvent);
}

export async function latestEventId(db: Pick<pg.Pool, 'query'>): Promise<number> {
  const { rows } = await db.query('SELECT coalesce(max(id), 0)::bigint AS id FROM compose_events');
  return Number(rows[0].id);
}

/** The channel the outbox trigger notifies on each new row. */
export const EVENTS_CHANNEL = 'compose_events';

/** Wakes `client`'s 'notification' listeners on each new outbox row. */
export async function listenForEvents(client: Pick<pg.Client, 'query'>): Promise<void> {
  await client.query(`LISTEN ${EVENTS_CHANNEL}`);
}

/** The oldest rows not yet published to the broker. */
export async function unpublishedEvents(db: Pick<pg.Client, 'query'>, limit: number): Promise<ComposeEvent[]> {
  const { rows } = await db.query(
    'SELECT id, compose_id, state, snapshot, created_at FROM compose_events WHERE published_at IS NULL ORDER BY id LIMIT $1',
    [limit],
  );
  return rows.map(toEvent);
}

/** After the broker's confirm only. */
export async function markPublished(db: Pick<pg.Client, 'query'>, ids: number[]): Promise<void> {
  await db.query('UPDATE compose_events SET published_at = now() WHERE id = ANY($1::bigint[]) AND published_at IS NULL', [ids]);
}

/** Session-level advisory lock (key pair) on this connection: true when it is now ours. */
export async function tryAdvisoryLock(db: Pick<pg.Client, 'query'>, key: readonly [number, number]): Promise<boolean> {
  const { rows } = await db.query('SELECT pg_try_advisory_lock($1, $2) AS ok', [...key]);
  return Boolean(rows[0].ok);
}

/** Outbox messages not yet published. */
export async function eventsBacklog(db: Pick<pg.Pool, 'query'>): Promise<number> {
  const { rows } = await db.query('SELECT count(*)::int AS n FROM compose_events WHERE published_at IS NULL');
  return rows[0].n;
}
