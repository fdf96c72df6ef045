// The Hono application: middleware, error mapping and the resource modules, each a router of
// routes defined once (api/routing.ts); the OpenAPI document is generated from them. No listening
// here, so tests can call app.request() directly or serve it on a free port.
import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import { aboutRoutes } from './about.js';
import { authContext, createAuthenticator } from './auth.js';
import { composeFileRoutes } from './compose-files.js';
import { composePageRoutes } from './compose-page.js';
import { composeRoutes } from './composes.js';
import type { ApiDeps } from './deps.js';
import { docsRoutes } from './docs.js';
import { classifyError, jsonError } from './errors.js';
import { eventRoutes } from './events.js';
import { healthRoutes } from './health.js';
import { providerRoutes } from './providers.js';
import { dashboardRoutes } from './dashboard.js';
import { oidcLoginRoutes } from './oidc-login.js';
import { packagerPageRoutes } from './packager-page.js';
import { createMetrics } from './metrics.js';

export type { ApiDeps } from './deps.js';

export function createApp(deps: ApiDeps) {
  const app = new OpenAPIHono({ strict: false });
  const auth = deps.auth ?? createAuthenticator(deps.settings); // a misconfigured backend stops the start here
  const metrics = createMetrics(deps.pool, deps.config.composeRootLimit, deps.processMetrics);
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

  // Every router holds full paths; the document lists them in this order.
  for (const router of [
    composeRoutes(deps),
    aboutRoutes(deps.settings),
    eventRoutes(deps),
    metrics.routes,
    composePageRoutes(deps),
    healthRoutes(deps),
    composeFileRoutes(deps.config.composeRoot),
    providerRoutes(deps),
    dashboardRoutes(deps), // after providerRoutes: /api/v1/packager_dashboard/<user> is a catch-all
    oidcLoginRoutes({ ...deps, auth }),
    packagerPageRoutes({ ...deps, auth }),
    docsRoutes(() => app, { version: deps.settings.version }),
  ]) {
    app.route('/', router);
  }

  app.notFound((c) => jsonError(c, 404, `The requested URL ${c.req.path} was not found on the server.`));
  app.onError((err, c) => {
    const { status, message } = classifyError(err);
    if (status >= 500) deps.log.error({ err, reqId: c.get('requestId'), path: c.req.path }, 'request failed');
    return jsonError(c, status, message);
  });
  return app;
}
