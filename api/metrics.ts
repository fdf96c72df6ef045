// GET /api/1/metrics/: Prometheus text. Compose figures are read from PostgreSQL at scrape time,
// so they are the same whichever API process is scraped and survive restarts; request latency is
// measured in this process.
import fs from 'node:fs';
import { Hono, type MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type pg from 'pg';
import client from 'prom-client';
import { COMPOSE_STATES, SOURCE_TYPE_NAMES, STATE_NAMES } from '../core/compose.js';
import { composeRootUsage } from '../activities/db/composes.js';


const GENERATION_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600];
const EXPIRY_LAG_BUCKETS = [0.5, 1, 2, 5, 10, 30, 60, 300];

/** A histogram whose buckets are counted by SQL over every compose, at scrape time. */
function sqlHistogram(pool: pg.Pool, name: string, help: string, buckets: number[], secondsExpr: string, where: string) {
  return {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    async get() {
      const filters = buckets.map((b, i) => `count(*) FILTER (WHERE s <= $${i + 1}) AS b${i}`).join(', ');
      const { rows } = await pool.query(
        `SELECT ${filters}, count(*) AS n, coalesce(sum(s), 0) AS total
           FROM (SELECT ${secondsExpr} AS s FROM composes WHERE ${where}) t`,
        buckets,
      );
      const r = rows[0];
      const values = buckets.map((b, i) => ({ labels: { le: b }, value: Number(r[`b${i}`]), metricName: `${name}_bucket` }));
      values.push({ labels: { le: '+Inf' as unknown as number }, value: Number(r.n), metricName: `${name}_bucket` });
      values.push({ labels: {} as { le: number }, value: Number(r.total), metricName: `${name}_sum` });
      values.push({ labels: {} as { le: number }, value: Number(r.n), metricName: `${name}_count` });
      return { name, help, type: 'histogram', aggregator: 'sum', values };
    },
  };
}

export function createMetrics(pool: pg.Pool, composeRootLimit = 0) {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'odcs_flow_api_' });

  const httpDuration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  new client.Counter({
    name: 'composes_total',
    help: 'Total number of composes',
    labelNames: ['source_type', 'state'],
    registers: [registry],
    async collect() {
      const { rows } = await pool.query('SELECT source_type, state, count(*)::int AS n FROM composes GROUP BY 1, 2');
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
      const { rows } = await pool.query('SELECT state, count(*)::int AS n FROM composes GROUP BY 1');
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
      const { rows } = await pool.query('SELECT count(*)::int AS n FROM compose_events WHERE published_at IS NULL');
      this.set(rows[0].n);
    },
  });

  // Provider caches (oraculum): how old each provider's data is, which keys are failing, how big.
  new client.Gauge({
    name: 'provider_refresh_age_seconds',
    help: 'Seconds since each provider was last confirmed current (global providers: their meta row)',
    labelNames: ['provider'],
    registers: [registry],
    async collect() {
      const { rows } = await pool.query(
        `SELECT provider, extract(epoch FROM now() - max(time_created))::float AS age
           FROM cached_data WHERE arg = '' AND time_created IS NOT NULL GROUP BY provider`,
      );
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
      const { rows } = await pool.query(
        `SELECT provider, count(*)::int AS n FROM cached_data
          WHERE time_failed IS NOT NULL AND (time_created IS NULL OR time_failed > time_created) GROUP BY provider`,
      );
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
      const { rows } = await pool.query('SELECT provider, count(*)::int AS n FROM cached_data GROUP BY provider');
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
      'extract(epoch FROM time_done - time_started)',
      'time_started IS NOT NULL AND time_done IS NOT NULL AND reused_id IS NULL',
    ) as unknown as client.Metric,
  );
  registry.registerMetric(
    sqlHistogram(
      pool,
      'compose_expiry_lag_seconds',
      'Removal time minus time_to_expire of removed composes',
      EXPIRY_LAG_BUCKETS,
      'greatest(0, extract(epoch FROM time_removed - time_to_expire))',
      'time_removed IS NOT NULL',
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

  const routes = new Hono({ strict: false });
  routes.get('/', async (c) => {
    const text = await registry.metrics();
    return c.text(text, 200, { 'Content-Type': registry.contentType });
  });
  return { registry, middleware, routes };
}
