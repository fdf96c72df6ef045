// GET /api/1/about/: what this server is configured with, in ODCS's shape.
import { Hono } from 'hono';
import type { OdcsSettings } from '../core/settings.js';

export function aboutRoutes(settings: OdcsSettings) {
  const app = new Hono({ strict: false });
  app.get('/', (c) =>
    c.json({
      version: settings.version,
      auth_backend: settings.auth_backend,
      allowed_clients: settings.allowed_clients,
      raw_config_urls: settings.raw_config_urls,
      sigkeys: settings.sigkeys,
    }),
  );
  return app;
}
