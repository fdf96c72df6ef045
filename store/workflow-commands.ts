// The workflow_commands table: what a compose's workflow must be told (start, a new expiry, a
// cancel), written in the same transaction as the change, and claimed in batches by the starters
// (FOR UPDATE SKIP LOCKED, so several starters never take the same rows).
import type pg from 'pg';
import { COMPOSE_STATES } from '../core/compose.js';
import type { Queryable } from './composes.js';

export const COMMANDS_CHANNEL = 'workflow_commands';

export type WorkflowCommand =
  | { kind: 'start' }
  /** The compose's expiry moved (PATCH, DELETE of a done or failed compose, a reuser extended). */
  | { kind: 'expiry'; timeToExpire: string }
  /** DELETE of a waiting compose: the row is already failed `Canceled by <user>`. */
  | { kind: 'cancel'; user: string }
  /** The compose this one reuses has finished: follow it now instead of at the next poll. */
  | { kind: 'follow' };

export interface PendingCommand {
  id: number;
  composeId: number;
  command: WorkflowCommand;
  attempts: number;
}

/** Records commands for composes; call inside the transaction that makes the change. */
export async function enqueueCommands(db: Queryable, commands: Array<{ composeId: number; command: WorkflowCommand }>): Promise<void> {
  if (commands.length === 0) return;
  await db.query(
    `INSERT INTO workflow_commands (compose_id, kind, payload)
     SELECT c, k, p FROM unnest($1::bigint[], $2::text[], $3::jsonb[]) AS t(c, k, p)`,
    [
      commands.map((c) => c.composeId),
      commands.map((c) => c.command.kind),
      commands.map(({ command: { kind, ...rest } }) => JSON.stringify(rest)),
    ],
  );
}

/** Tells the composes reusing `originalId` (and still following it) that it has finished. */
export async function enqueueFollowers(db: Queryable, originalId: number): Promise<void> {
  await db.query(
    `INSERT INTO workflow_commands (compose_id, kind)
     SELECT id, 'follow' FROM composes WHERE reused_id = $1 AND state IN ($2, $3)`,
    [originalId, COMPOSE_STATES.wait, COMPOSE_STATES.generating],
  );
}

/** Up to `limit` pending commands due now, locked for this transaction; rows other starters hold are skipped. */
export async function claimCommands(tx: pg.PoolClient, limit: number): Promise<PendingCommand[]> {
  const { rows } = await tx.query(
    `SELECT id, compose_id, kind, payload, attempts FROM workflow_commands
      WHERE done_at IS NULL AND not_before <= now()
      ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
    [limit],
  );
  return rows.map((r) => ({ id: Number(r.id), composeId: Number(r.compose_id), command: { kind: r.kind, ...r.payload }, attempts: r.attempts }));
}

export async function markCommandsDone(db: Queryable, ids: number[]): Promise<void> {
  if (ids.length === 0) return;
  await db.query('UPDATE workflow_commands SET done_at = now() WHERE id = ANY($1::bigint[])', [ids]);
}

/** Starts Temporal accepted: delivered again after `retrySeconds` unless their workflow takes them first. */
export async function markStartsDelivered(db: Queryable, ids: number[], retrySeconds: number): Promise<void> {
  if (ids.length === 0) return;
  await db.query(
    `UPDATE workflow_commands SET delivered_at = now(), not_before = now() + make_interval(secs => $2) WHERE id = ANY($1::bigint[])`,
    [ids, retrySeconds],
  );
}

/** The compose's workflow runs (its first activity): its start records are done. */
export async function markStartTaken(db: Queryable, composeId: number): Promise<void> {
  await db.query(`UPDATE workflow_commands SET done_at = now() WHERE compose_id = $1 AND kind = 'start' AND done_at IS NULL`, [composeId]);
}

/** A delivery failed for another reason than Temporal being away: retry later, saying why. */
export async function deferCommand(db: Queryable, id: number, error: string, delaySeconds: number): Promise<void> {
  await db.query(
    `UPDATE workflow_commands SET attempts = attempts + 1, last_error = $2, not_before = now() + make_interval(secs => $3) WHERE id = $1`,
    [id, error.slice(0, 2000), delaySeconds],
  );
}

/** Commands not yet delivered, and the age of the oldest (seconds; 0 when none). */
export async function pendingCommands(db: Queryable): Promise<{ pending: number; oldestSeconds: number }> {
  const { rows } = await db.query(
    `SELECT count(*)::int AS n, coalesce(extract(epoch FROM now() - min(created_at)), 0)::float AS oldest
       FROM workflow_commands WHERE done_at IS NULL`,
  );
  return { pending: rows[0].n, oldestSeconds: rows[0].oldest };
}

/** Forgets delivered commands older than `keepSeconds`. */
export async function pruneDoneCommands(db: Queryable, keepSeconds: number): Promise<number> {
  const res = await db.query('DELETE FROM workflow_commands WHERE done_at < now() - make_interval(secs => $1)', [keepSeconds]);
  return res.rowCount ?? 0;
}

/** Wakes `client`'s 'notification' listeners when commands are committed. */
export async function listenForCommands(client: Pick<pg.Client, 'query'>): Promise<void> {
  await client.query(`LISTEN ${COMMANDS_CHANNEL}`);
}
