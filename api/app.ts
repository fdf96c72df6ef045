// The Hono application: middleware, error mapping and the resource modules. No listening here,
// so tests can call app.request() directly or serve it on a free port.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import type pg from 'pg';
import type { AppConfig } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import type { OdcsSettings } from '../core/settings.js';
import { aboutRoutes } from './about.js';
import { authContext, createAuthenticator, type Authenticator } from './auth.js';
import { composeFileRoutes } from './compose-files.js';
import { composePageRoutes } from './compose-page.js';
import { composeRoutes } from './composes.js';
import { classifyError, jsonError } from './errors.js';
import type { EventNotifier } from './event-notifier.js';
import { eventRoutes } from './events.js';
import { healthRoutes } from './health.js';
import { providerRoutes } from './providers.js';
import { dashboardRoutes } from './dashboard.js';
import { oidcLoginRoutes } from './oidc-login.js';
import { packagerPageRoutes } from './packager-page.js';
import { createMetrics } from './metrics.js';
import { openapiRoutes } from './openapi.js';
import type { TemporalGateway } from './temporal-client.js';

export interface ApiDeps {
  config: AppConfig;
  settings: OdcsSettings;
  pool: pg.Pool;
  temporal: TemporalGateway;
  /** Wakes events streams on new outbox rows; without it they poll. */
  notifier?: EventNotifier;
  log: Logger;
  /** Who is calling (api/auth.ts); built from settings.auth_backend when not given. */
  auth?: Authenticator;
}

export function createApp(deps: ApiDeps) {
  const app = new Hono({ strict: false });
  const auth = deps.auth ?? createAuthenticator(deps.settings); // a misconfigured backend stops the start here
  const metrics = createMetrics(deps.pool, deps.config.composeRootLimit);
  app.use(requestId());
  app.use(metrics.middleware);
  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    // One line per request, with its id and, for compose resources, the compose id.
    const composeId = /^\/api\/1\/composes\/(\d+)/.exec(c.req.path)?.[1] ?? c.res.headers.get('x-compose-id') ?? undefined;
    const level = c.res.status >= 500 ? 'error' : c.req.path === '/healthz' || c.req.path === '/readyz' ? 'debug' : 'info';
    deps.log[level](
      {
        reqId: c.get('requestId'),
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round(performance.now() - started),
        ...(composeId ? { composeId: Number(composeId) } : {}),
      },
      'request',
    );
  });
  // ODCS answers every GET with a wildcard CORS header so browser dashboards can read it.
  app.use(async (c, next) => {
    await next();
    if (c.req.method === 'GET' || c.req.method === 'HEAD') c.res.headers.set('Access-Control-Allow-Origin', '*');
  });
  app.use(
    bodyLimit({
      maxSize: deps.config.bodyLimit,
      onError: (c) => jsonError(c, 413, `Request body is larger than ${deps.config.bodyLimit} bytes.`),
    }),
  );

  app.use(authContext(auth)); // handlers call requireUser/requireAdmin; GETs stay anonymous

  app.route('/', healthRoutes(deps));
  app.route('/', composePageRoutes(deps)); // GET / (and HEAD /): the compose page
  app.route('/', openapiRoutes({ version: deps.settings.version })); // before /api/1/composes: owns /api/1/
  app.route('/api/1/composes', composeRoutes(deps));
  app.route('/api/1/about', aboutRoutes(deps.settings));
  app.route('/api/1/events', eventRoutes(deps));
  app.route('/api/1/metrics', metrics.routes);
  app.route('/', composeFileRoutes(deps.config.composeRoot));
  app.route('/', providerRoutes(deps));
  app.route('/', dashboardRoutes(deps)); // after providerRoutes: /api/v1/packager_dashboard/<user> is a catch-all
  app.route('/', oidcLoginRoutes({ ...deps, auth }));
  app.route('/', packagerPageRoutes({ ...deps, auth }));

  app.notFound((c) => jsonError(c, 404, `The requested URL ${c.req.path} was not found on the server.`));
  app.onError((err, c) => {
    const { status, message } = classifyError(err);
    if (status >= 500) deps.log.error({ err, reqId: c.get('requestId'), path: c.req.path }, 'request failed');
    return jsonError(c, status, message);
  });
  return app;
}
