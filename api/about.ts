// GET /api/1/about/: what this server is configured with, in ODCS's shape.
import { createRoute } from '@hono/zod-openapi';
import { AboutSchema } from '../core/schemas/index.js';
import type { OdcsSettings } from '../core/settings.js';
import { createRouter, json, register } from './routing.js';

export const aboutRoute = createRoute({
  method: 'get',
  path: '/api/1/about/',
  tags: ['server'],
  operationId: 'about',
  summary: 'Server configuration',
  description: 'Version, authentication backend, allowed clients, raw_config sources and default signing keys. `/api/1/about` (no slash) answers too.',
  responses: { 200: { description: 'The configuration.', content: json(AboutSchema) } },
});

export function aboutRoutes(settings: OdcsSettings) {
  const app = createRouter();
  register(app, aboutRoute, (c) =>
    c.json(
      {
        version: settings.version,
        auth_backend: settings.auth_backend,
        allowed_clients: settings.allowed_clients,
        raw_config_urls: settings.raw_config_urls,
        sigkeys: settings.sigkeys,
      },
      200,
    ),
  );
  return app;
}
