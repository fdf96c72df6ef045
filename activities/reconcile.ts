// Finds composes whose workflow should be running but may not be, and (re)starts it. Starting is
// idempotent (fixed workflow id, USE_EXISTING), so a live workflow is left alone.
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import type { AppConfig } from '../core/config.js';
import type { OdcsSettings } from '../core/settings.js';
import { composesNeedingWorkflow } from '../store/composes.js';
import { startComposeWorkflow } from '../temporal/compose.js';

/** A row must look stuck for this long before the reconciler touches it. */
const GRACE = '1 minute';

export function createReconcileActivities(deps: { pool: pg.Pool; client: Client; config: AppConfig; settings: OdcsSettings }) {
  return {
    async reconcileComposes(): Promise<number> {
      const rows = await composesNeedingWorkflow(deps.pool, GRACE);
      for (const row of rows) await startComposeWorkflow(deps.client, row, deps.config, deps.settings);
      return rows.length;
    },
  };
}

export type ReconcileActivities = ReturnType<typeof createReconcileActivities>;
