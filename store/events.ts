// Reading the message outbox (compose_events): the events stream and the relay both read it in id
// order. A snapshot is the compose row as to_jsonb saw it; dates come back as strings.
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
  return { id: row.id, composeId: row.compose_id, state: row.state, compose: recordFromSnapshot(row.snapshot), createdAt: row.created_at };
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
