// SQL of the dashboard's service messages (table service_messages): the list the dashboard shows,
// and the writes that MOTD_PASSWORD protects.
import type pg from 'pg';
import type { Severity } from '../core/schemas/dashboard.js';

type Db = pg.Pool | pg.PoolClient;

export interface ServiceMessage {
  id: number;
  severity: Severity;
  text: string;
}

export async function listServiceMessages(db: Db): Promise<ServiceMessage[]> {
  const { rows } = await db.query(`SELECT id, severity, text FROM service_messages ORDER BY id`);
  return rows;
}

export async function addServiceMessage(db: Db, severity: Severity, text: string): Promise<ServiceMessage> {
  const { rows } = await db.query(`INSERT INTO service_messages (severity, text) VALUES ($1, $2) RETURNING id, severity, text`, [severity, text]);
  return rows[0];
}

/** Whether the message existed. */
export async function deleteServiceMessage(db: Db, id: number): Promise<boolean> {
  const res = await db.query(`DELETE FROM service_messages WHERE id = $1`, [id]);
  return (res.rowCount ?? 0) > 0;
}
