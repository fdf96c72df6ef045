// Liveness and readiness. /healthz never touches a dependency; /readyz asks each one, with a
// short deadline, and names what is down.
import { Hono } from 'hono';
import type pg from 'pg';
import type { TemporalGateway } from '../temporal/client.js';
import type { AppConfig } from '../core/config.js';
import { composeRootUsage } from '../store/composes.js';
import { ping } from '../store/pool.js';
import { pendingCommands } from '../store/workflow-commands.js';

const CHECK_TIMEOUT_MS = 2_000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms).unref()),
  ]);
}

async function check(fn: () => Promise<unknown>, what: string): Promise<{ ok: boolean; error?: string }> {
  try {
    await withTimeout(fn(), CHECK_TIMEOUT_MS, what);
    return { ok: true };
  } catch (err) {
    return { ok: false, error: (err as Error).message || String(err) };
  }
}

export function healthRoutes(deps: { pool: pg.Pool; temporal: TemporalGateway; config: Pick<AppConfig, 'composeRootLimit'> }) {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const [postgres, temporal] = await Promise.all([
      check(() => ping(deps.pool), 'PostgreSQL'),
      check(
        () => deps.temporal.connection.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () => deps.temporal.connection.healthService.check({})),
        'Temporal',
      ),
    ]);
    const checks = { postgres, temporal };
    // Disk pressure is reported, not a readiness failure: a full root makes generations wait.
    const usageBytes = postgres.ok ? await composeRootUsage(deps.pool).catch(() => null) : null;
    // Starts and signals waiting for Temporal (they pile up while it is away; nothing is refused).
    const workflowStarts = postgres.ok ? await pendingCommands(deps.pool).catch(() => null) : null;
    const details = { composeRoot: { usageBytes, limitBytes: deps.config.composeRootLimit || null }, workflowStarts };
    const down = Object.entries(checks)
      .filter(([, r]) => !r.ok)
      .map(([name]) => name);
    if (down.length === 0) return c.json({ status: 'ready', checks, details });
    return c.json({ status: 503, error: 'Service Unavailable', message: `not ready: ${down.join(', ')} unavailable`, down, checks, details }, 503);
  });
  return app;
}
