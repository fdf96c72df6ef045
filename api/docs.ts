// GET /api/1/openapi.json, the OpenAPI 3.1 document generated from the app's own routes, and
// GET /api/1/ (where ODCS serves its API docs): Swagger UI, served from node_modules
// (swagger-ui-dist) by the API itself, never from a CDN.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { NAMED_SCHEMAS } from '../core/schemas/index.js';
import { BEARER_AUTH, createRouter, register } from './routing.js';

export const OPENAPI_JSON_PATH = '/api/1/openapi.json';
export const DOCS_PATH = '/api/1/';
/** Where the page's script and stylesheet are served. */
export const DOCS_ASSETS_PATH = '/api/1/docs';

export type OpenApiDocument = ReturnType<OpenAPIHono['getOpenAPI31Document']>;

const tags = ['documentation'];
const html = { 'text/html': { schema: z.string() } };

export const openapiRoute = createRoute({
  method: 'get',
  path: OPENAPI_JSON_PATH,
  tags,
  operationId: 'openapi',
  summary: 'This OpenAPI document',
  responses: { 200: { description: 'OpenAPI 3.1 document.', content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } } },
});

export const docsRoute = createRoute({
  method: 'get',
  path: DOCS_PATH,
  tags,
  operationId: 'docs',
  summary: 'API documentation page',
  description: 'This page (Swagger UI). `/api/1` answers too.',
  responses: { 200: { description: 'HTML.', content: html } },
});

export const docsAssetRoute = createRoute({
  method: 'get',
  path: `${DOCS_ASSETS_PATH}/{file}`,
  tags,
  operationId: 'docsAsset',
  summary: 'Script and stylesheet of the documentation page',
  request: { params: z.object({ file: z.enum(['swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-initializer.js']) }) },
  responses: {
    200: { description: 'The file.', content: { 'text/css': { schema: z.string() }, 'text/javascript': { schema: z.string() } } },
    404: { description: 'Not one of these files.' },
  },
});

/** Declares what the routes reference but do not declare themselves: the named schemas, the bearer scheme. */
function declareComponents(app: OpenAPIHono): void {
  const registry = app.openAPIRegistry;
  for (const [name, schema] of Object.entries(NAMED_SCHEMAS)) registry.register(name, schema);
  registry.registerComponent('securitySchemes', BEARER_AUTH, {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'With auth_backend "openidc": a JWT from the configured issuer, carrying the scope `<oidc_base_namespace>new-compose`, `renew-compose` or `delete-compose` for POST, PATCH or DELETE. With "noauth" no credentials are needed.',
  });
}

/** The OpenAPI document of every route registered on `app` (api/app.ts mounts them all). */
export function buildOpenApiDocument(app: OpenAPIHono, opts: { version?: string } = {}): OpenApiDocument {
  return app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: 'odcs-flow',
      version: opts.version ?? '0.1.0',
      description:
        'On Demand Compose Service, wire-compatible with Fedora\'s ODCS (its Python `odcs` client works unchanged). Every error body is `{"status", "error", "message"}`; GET answers carry `Access-Control-Allow-Origin: *`.',
    },
    tags: [
      { name: 'composes', description: 'Requesting, inspecting, renewing and removing composes.' },
      { name: 'events', description: 'Live compose changes.' },
      { name: 'server', description: 'Server information, metrics and the compose page.' },
      { name: 'health', description: 'Liveness and readiness probes.' },
      { name: 'files', description: 'The generated composes over HTTP.' },
      { name: 'provider caches', description: 'The Packager Dashboard\'s provider caches (oraculum).' },
      { name: 'documentation', description: 'This documentation.' },
    ],
  });
}

const swaggerUiDir = () => path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/** Swagger UI's start: the document above, no validator badge (it would call out), deep links. */
const INITIALIZER = `window.ui = SwaggerUIBundle(${JSON.stringify({
  url: OPENAPI_JSON_PATH,
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
  layout: 'BaseLayout',
})});\n`;

/** The page Swagger UI renders into (its own index.html, with absolute asset paths). */
const page = (title: string) => `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${title}</title><link rel="stylesheet" href="${DOCS_ASSETS_PATH}/swagger-ui.css"></head>
<body>
<noscript>This page needs JavaScript. The API is described by <a href="${OPENAPI_JSON_PATH}">the OpenAPI document</a>.</noscript>
<div id="swagger-ui"></div>
<script src="${DOCS_ASSETS_PATH}/swagger-ui-bundle.js"></script>
<script src="${DOCS_ASSETS_PATH}/swagger-initializer.js"></script>
</body>
</html>
`;

const ASSET_TYPES: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};
const assets = new Map<string, Buffer>();
/** A file of swagger-ui-dist, read once. */
function asset(name: string): Buffer {
  let body = assets.get(name);
  if (!body) {
    body = fs.readFileSync(path.join(swaggerUiDir(), name));
    assets.set(name, body);
  }
  return body;
}

/** The document and the page; `documented` is the app whose routes the document describes. */
export function docsRoutes(documented: () => OpenAPIHono, opts: { version?: string } = {}) {
  const app = createRouter();
  declareComponents(app);
  let doc: OpenApiDocument | undefined;
  const title = `odcs-flow ${opts.version ?? '0.1.0'} API`;
  register(app, openapiRoute, (c) => {
    doc ??= buildOpenApiDocument(documented(), opts);
    return c.json(doc as unknown as Record<string, unknown>, 200);
  });
  // Not strict: '/api/1' and '/api/1/' both land here.
  register(app, docsRoute, (c) => c.html(page(title), 200));
  register(
    app,
    docsAssetRoute,
    (c) => {
      const file = c.req.param('file');
      if (file === 'swagger-initializer.js') return c.body(INITIALIZER, 200, { 'Content-Type': 'text/javascript; charset=utf-8' });
      const type = Object.hasOwn(ASSET_TYPES, file) ? ASSET_TYPES[file] : undefined;
      if (!type) return c.notFound();
      return c.body(new Uint8Array(asset(file)), 200, { 'Content-Type': type, 'Cache-Control': 'public, max-age=3600' });
    },
    { parsedBy: { params: 'the handler (a fixed list of files)' } },
  );
  return app;
}
