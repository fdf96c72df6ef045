// GET /api/1/metrics/: Prometheus text. Compose figures are read from PostgreSQL at scrape time,
// so they are the same whichever API process is scraped and survive restarts; request latency and
// the process figures are measured per process and, with API_PROCESSES > 1, summed over every API
// process of the cluster (api/cluster.ts) whichever one answers the scrape.
import fs from 'node:fs';
import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type pg from 'pg';
import client from 'prom-client';
import { COMPOSE_STATES, SOURCE_TYPE_NAMES, STATE_NAMES } from '../core/compose.js';
import { composeRootUsage } from '../store/composes.js';
import { eventsBacklog } from '../store/events.js';
import { pendingCommands } from '../store/workflow-commands.js';
import * as stats from '../store/stats.js';
import { createRouter, errorResponse, register } from './routing.js';

export const metricsRoute = createRoute({
  method: 'get',
  path: '/api/1/metrics/',
  tags: ['server'],
  operationId: 'metrics',
  summary: 'Prometheus metrics',
  description:
    'Compose counts by state and source type, generation time and expiry lag (counted in PostgreSQL at scrape time, so every API process reports the same), the outbox backlog, and the request latency by route of every API process behind this port (API_PROCESSES).',
  responses: {
    200: { description: 'Prometheus text exposition format.', content: { 'text/plain': { schema: z.string() } } },
    503: errorResponse('The database is unavailable.', 'databaseDown'),
  },
});

const GENERATION_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600];
const EXPIRY_LAG_BUCKETS = [0.5, 1, 2, 5, 10, 30, 60, 300];

/** A histogram whose buckets are counted by SQL over every compose, at scrape time. */
function sqlHistogram(pool: pg.Pool, name: string, help: string, buckets: number[], kind: Parameters<typeof stats.composeHistogram>[1]) {
  return {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    async get() {
      const h = await stats.composeHistogram(pool, kind, buckets);
      const values = buckets.map((b, i) => ({ labels: { le: b }, value: h.cumulative[i], metricName: `${name}_bucket` }));
      values.push({ labels: { le: '+Inf' as unknown as number }, value: h.count, metricName: `${name}_bucket` });
      values.push({ labels: {} as { le: number }, value: h.sum, metricName: `${name}_sum` });
      values.push({ labels: {} as { le: number }, value: h.count, metricName: `${name}_count` });
      return { name, help, type: 'histogram', aggregator: 'sum', values };
    },
  };
}

/**
 * The text of the per-process series (request latency, the process's own figures), given this
 * process's registry of them: by default that registry alone; in an API cluster worker, every
 * worker's aggregated (api/cluster.ts).
 */
export type ProcessMetricsSource = (local: client.Registry) => () => Promise<string>;

const thisProcessOnly: ProcessMetricsSource = (local) => () => local.metrics();

export function createMetrics(pool: pg.Pool, composeRootLimit = 0, processMetrics: ProcessMetricsSource = thisProcessOnly) {
  // Two registries: what each process measures itself (aggregated over an API cluster) and what is
  // read from PostgreSQL at scrape time (the same from every process: asked once, never summed).
  const processRegistry = new client.Registry();
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: processRegistry, prefix: 'odcs_flow_api_' });
  const processText = processMetrics(processRegistry);

  const httpDuration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [processRegistry],
  });

  new client.Counter({
    name: 'composes_total',
    help: 'Total number of composes',
    labelNames: ['source_type', 'state'],
    registers: [registry],
    async collect() {
      const rows = await stats.composeCountsByTypeAndState(pool);
      this.reset();
      for (const r of rows) this.inc({ source_type: SOURCE_TYPE_NAMES[r.source_type] ?? String(r.source_type), state: STATE_NAMES[r.state] }, r.n);
    },
  });

  new client.Gauge({
    name: 'composes',
    help: 'Composes in each state now',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const rows = await stats.composeCountsByState(pool);
      this.reset();
      for (const name of Object.keys(COMPOSE_STATES)) this.set({ state: name }, 0);
      for (const r of rows) this.set({ state: STATE_NAMES[r.state] }, r.n);
    },
  });

  new client.Gauge({
    name: 'compose_events_backlog',
    help: 'Outbox messages not yet published to the message broker',
    registers: [registry],
    async collect() {
      this.set(await eventsBacklog(pool));
    },
  });

  new client.Gauge({
    name: 'odcs_workflow_starts_pending',
    help: 'Workflow starts and signals committed in PostgreSQL and not yet delivered to Temporal',
    registers: [registry],
    async collect() {
      this.set((await pendingCommands(pool)).pending);
    },
  });

  // Provider caches (oraculum): how old each provider's data is, which keys are failing, how big.
  new client.Gauge({
    name: 'provider_refresh_age_seconds',
    help: 'Seconds since each provider was last confirmed current (global providers: their meta row)',
    labelNames: ['provider'],
    registers: [registry],
    async collect() {
      const rows = await stats.providerAges(pool);
      this.reset();
      for (const r of rows) this.set({ provider: r.provider }, Math.max(0, r.age));
    },
  });
  new client.Gauge({
    name: 'provider_refresh_failing',
    help: 'Cache keys whose last refresh failed after their last success, by provider',
    labelNames: ['provider'],
    registers: [registry],
    async collect() {
      const rows = await stats.providerFailing(pool);
      this.reset();
      for (const r of rows) this.set({ provider: r.provider }, r.n);
    },
  });
  new client.Gauge({
    name: 'cached_data_rows',
    help: 'Rows in the provider cache, by provider',
    labelNames: ['provider'],
    registers: [registry],
    async collect() {
      const rows = await stats.cacheRowsByProvider(pool);
      this.reset();
      for (const r of rows) this.set({ provider: r.provider }, r.n);
    },
  });

  new client.Gauge({
    name: 'compose_root_usage_bytes',
    help: 'Bytes the compose trees take on the compose root',
    registers: [registry],
    async collect() {
      this.set(await composeRootUsage(pool));
    },
  });
  new client.Gauge({
    name: 'compose_root_limit_bytes',
    help: 'COMPOSE_ROOT_LIMIT (0: no limit)',
    registers: [registry],
    collect() {
      this.set(composeRootLimit);
    },
  });

  registry.registerMetric(
    sqlHistogram(
      pool,
      'compose_generation_duration_seconds',
      'Time from a generation slot taking a compose to its end (done or failed)',
      GENERATION_BUCKETS,
      'generation',
    ) as unknown as client.Metric,
  );
  registry.registerMetric(
    sqlHistogram(
      pool,
      'compose_expiry_lag_seconds',
      'Removal time minus time_to_expire of removed composes',
      EXPIRY_LAG_BUCKETS,
      'expiryLag',
    ) as unknown as client.Metric,
  );

  // Under `npm start` the supervisor (scripts/supervisor.ts) keeps its restart counts in a file and
  // names it in ODCS_COMPONENT_RESTARTS_FILE; elsewhere (containers, tests) there is no such series.
  const restartsFile = process.env.ODCS_COMPONENT_RESTARTS_FILE;
  if (restartsFile) {
    new client.Counter({
      name: 'odcs_component_restarts_total',
      help: 'Restarts of each component by the npm start supervisor since it started',
      labelNames: ['component'],
      registers: [registry],
      collect() {
        let counts: Record<string, number> = {};
        try {
          counts = JSON.parse(fs.readFileSync(restartsFile, 'utf8'));
        } catch {
          /* not written yet */
        }
        this.reset();
        for (const [component, n] of Object.entries(counts)) this.inc({ component }, Number(n) || 0);
      },
    });
  }

  /** Records each request's latency under its route pattern (never the raw path: bounded labels). */
  const middleware: MiddlewareHandler = async (c, next) => {
    const end = httpDuration.startTimer();
    await next();
    // After next(), the route index points at the handler that answered.
    const route = c.res.status === 404 && !c.req.routePath ? 'unmatched' : routePath(c) || 'unmatched';
    end({ method: c.req.method, route, status: String(c.res.status) });
  };

  const routes = createRouter();
  register(routes, metricsRoute, async (c) => {
    const [own, shared] = await Promise.all([processText(), registry.metrics()]);
    return c.text(own + shared, 200, { 'Content-Type': registry.contentType });
  });
  return { registry, middleware, routes };
}
