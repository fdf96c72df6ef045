// Liveness and readiness. /healthz never touches a dependency; /readyz asks each one, with a
// short deadline, and names what is down. Only PostgreSQL decides readiness: every write is committed
// there, so with Temporal away the API still serves (200 `degraded`, the start backlog in details).
import { createRoute } from '@hono/zod-openapi';
import type pg from 'pg';
import type { TemporalGateway } from '../temporal/client.js';
import type { AppConfig } from '../core/config.js';
import { composeRootUsage } from '../store/composes.js';
import { ping } from '../store/pool.js';
import { pendingCommands } from '../store/workflow-commands.js';
import { HealthSchema, NotReadySchema, ReadySchema } from '../core/schemas/index.js';
import { createRouter, json, register } from './routing.js';

export const healthzRoute = createRoute({
  method: 'get',
  path: '/healthz',
  tags: ['health'],
  operationId: 'healthz',
  summary: 'Liveness',
  description: 'Answers while the process runs; touches no dependency.',
  responses: { 200: { description: 'Alive.', content: json(HealthSchema) } },
});

export const readyzRoute = createRoute({
  method: 'get',
  path: '/readyz',
  tags: ['health'],
  operationId: 'readyz',
  summary: 'Readiness',
  description:
    'Asks PostgreSQL and Temporal, each within 2 s, and names what is down. Ready (200) while PostgreSQL answers: reads and writes work. ' +
    'With Temporal away it is `degraded`: writes are accepted and wait in PostgreSQL (`details.workflowStarts`) for their workflows.',
  responses: {
    200: { description: 'PostgreSQL answers: `ready`, or `degraded` while Temporal is away.', content: json(ReadySchema) },
    503: { description: 'PostgreSQL is down: nothing can be served.', content: json(NotReadySchema) },
  },
});

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
  const app = createRouter();
  register(app, healthzRoute, (c) => c.json({ status: 'ok' as const }, 200));
  register(app, readyzRoute, async (c) => {
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
    const down = (['postgres', 'temporal'] as const).filter((name) => !checks[name].ok);
    if (postgres.ok && temporal.ok) return c.json({ status: 'ready' as const, checks, details }, 200);
    if (postgres.ok) {
      const pending = workflowStarts?.pending ?? 0;
      const message = `degraded: temporal unavailable; writes are accepted and ${pending} workflow start(s) and signal(s) wait in PostgreSQL`;
      return c.json({ status: 'degraded' as const, message, degraded: ['temporal' as const], checks, details }, 200);
    }
    const message = `not ready: ${down.join(', ')} unavailable`;
    return c.json({ status: 503 as const, error: 'Service Unavailable' as const, message, down, checks, details }, 503);
  });
  return app;
}
