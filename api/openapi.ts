// GET /api/1/openapi.json (the OpenAPI 3.1 document of every route) and GET /api/1/ (ODCS serves
// its API docs there): a self-contained page, no CDN. The server renders a plain listing of the
// operations from the document (usable without JavaScript); an inline script fetches the document
// and replaces it with an interactive view: schemas, examples and a "try it" form per operation.
// Documentation only: requests are still validated by core/compose-request.ts & co.
import { Hono } from 'hono';
import { OpenAPIHono, z } from '@hono/zod-openapi';
import {
  AboutSchema,
  COMPOSE_EXAMPLES,
  ComposeDetailSchema,
  ComposeFileParamsSchema,
  ComposeIdParamsSchema,
  ComposeListSchema,
  ComposeRequestSchema,
  ComposeSchema,
  DELETE_EXAMPLES,
  DeleteResponseSchema,
  ERROR_EXAMPLES,
  EVENT_STREAM_EXAMPLE,
  EventsHeadersSchema,
  EventsQuerySchema,
  ErrorSchema,
  HealthSchema,
  LIST_EXAMPLE,
  ListQuerySchema,
  NAMED_SCHEMAS,
  NotReadySchema,
  PATCH_EXAMPLES,
  POST_EXAMPLES,
  RangeHeaderSchema,
  ReadySchema,
  RenewRequestSchema,
} from '../core/schemas/index.js';
import { PROVIDER_OPENAPI_ROUTES } from './providers-openapi.js';

type Registry = OpenAPIHono['openAPIRegistry'];
export type OpenApiRoute = Parameters<Registry['registerPath']>[0];
export type OpenApiDocument = ReturnType<OpenAPIHono['getOpenAPI31Document']>;

export const OPENAPI_JSON_PATH = '/api/1/openapi.json';
export const DOCS_PATH = '/api/1/';

type Examples = Record<string, { summary?: string; value: unknown }>;
const json = (schema: z.ZodType, examples?: Examples) => ({ 'application/json': { schema, ...(examples ? { examples } : {}) } });

type ErrorExample = keyof typeof ERROR_EXAMPLES;
function errorResponse(description: string, ...examples: ErrorExample[]) {
  const ex: Examples = {};
  for (const key of examples) ex[key] = { summary: ERROR_EXAMPLES[key].message, value: ERROR_EXAMPLES[key] };
  return { description, content: json(ErrorSchema, examples.length ? ex : undefined) };
}

const ID_NOTE = 'Under an authenticating backend the caller must be logged in; with `noauth` everyone is `unknown`.';

/** Every route of the API, in the order the docs list them. */
export const OPENAPI_ROUTES: OpenApiRoute[] = [
  {
    method: 'get',
    path: '/api/1/composes/',
    tags: ['composes'],
    operationId: 'listComposes',
    summary: 'List composes',
    description: 'A page of composes, newest first unless `order_by` says otherwise. Filters are exact-match, combined with AND, and ignored when empty. A page past the end has empty `items`.',
    request: { query: ListQuerySchema },
    responses: {
      200: { description: 'A page of composes.', content: json(ComposeListSchema, { tagComposes: { summary: 'Tag composes', value: LIST_EXAMPLE } }) },
      400: errorResponse('A filter or `order_by` is invalid.', 'badOrderBy', 'badState'),
      503: errorResponse('The database is unavailable.', 'databaseDown'),
    },
  },
  {
    method: 'post',
    path: '/api/1/composes/',
    tags: ['composes'],
    operationId: 'createCompose',
    summary: 'Request a compose',
    description: `Creates a compose in state \`wait\` and starts its workflow; poll GET /api/1/composes/{id} until it is \`done\` or \`failed\`. The body is read as JSON whatever the Content-Type. An identical earlier compose may be reused (unless \`no_reuse\`). ${ID_NOTE}`,
    request: {
      body: { required: true, description: 'What to compose.', content: json(ComposeRequestSchema, POST_EXAMPLES) },
    },
    responses: {
      200: { description: 'The new compose.', content: json(ComposeSchema, { tagWait: { summary: 'A tag compose, waiting', value: COMPOSE_EXAMPLES.tagWait } }) },
      400: errorResponse('The body is invalid (ODCS\'s own messages).', 'noBody', 'badJson', 'missingType', 'unknownFlag'),
      403: errorResponse('The caller may not create such a compose.', 'forbiddenSourceType'),
      413: errorResponse('The body is too large.', 'tooLarge'),
      503: errorResponse('The workflow service or the database is unavailable; the compose, if created, is marked failed.', 'temporalDown'),
    },
  },
  {
    method: 'get',
    path: '/api/1/composes/{id}',
    tags: ['composes'],
    operationId: 'getCompose',
    summary: 'Get a compose',
    description: 'One compose, with `pungi_config_dump`.',
    request: { params: ComposeIdParamsSchema },
    responses: {
      200: {
        description: 'The compose.',
        content: json(ComposeDetailSchema, {
          done: { summary: 'A done tag compose', value: { ...COMPOSE_EXAMPLES.tagDone, pungi_config_dump: null } },
          failed: { summary: 'A failed repo compose', value: { ...COMPOSE_EXAMPLES.repoFailed, pungi_config_dump: null } },
        }),
      },
      404: errorResponse('No such compose.', 'notFound'),
    },
  },
  {
    method: 'patch',
    path: '/api/1/composes/{id}',
    tags: ['composes'],
    operationId: 'renewCompose',
    summary: 'Renew a compose',
    description: `Extends a done compose's life, or copies a removed or failed one (or one renewed with other sigkeys, label, modules or builds) into a new compose, which is returned. Only done, removed and failed composes can be renewed. ${ID_NOTE}`,
    request: {
      params: ComposeIdParamsSchema,
      body: { required: false, description: 'Optional.', content: json(RenewRequestSchema, PATCH_EXAMPLES) },
    },
    responses: {
      200: {
        description: 'The extended compose, or the new copy.',
        content: json(ComposeSchema, { extended: { summary: 'An extended compose', value: { ...COMPOSE_EXAMPLES.tagDone, time_to_expire: '2024-01-15T12:30:00Z' } } }),
      },
      400: errorResponse('The body is invalid.', 'badJson'),
      403: errorResponse('The caller may not renew this compose.', 'forbiddenSourceType'),
      404: errorResponse('No such compose, or it is neither done, removed nor failed.', 'renewNotFound'),
      503: errorResponse('The workflow service is unavailable.', 'temporalDown'),
    },
  },
  {
    method: 'delete',
    path: '/api/1/composes/{id}',
    tags: ['composes'],
    operationId: 'deleteCompose',
    summary: 'Cancel or remove a compose',
    description: `A waiting compose is canceled (by its owner or an admin); a done or failed one (admins only) expires now and its files are removed within seconds. ${ID_NOTE}`,
    request: { params: ComposeIdParamsSchema },
    responses: {
      202: { description: 'Accepted.', content: json(DeleteResponseSchema, DELETE_EXAMPLES) },
      400: errorResponse('The compose is in a state that cannot be removed.', 'deleteNotRemovable'),
      403: errorResponse('The caller may not cancel or remove this compose.'),
      404: errorResponse('No such compose.', 'notFound'),
      503: errorResponse('The workflow service is unavailable.', 'temporalDown'),
    },
  },
  {
    method: 'get',
    path: '/api/1/about/',
    tags: ['server'],
    operationId: 'about',
    summary: 'Server configuration',
    description: 'Version, authentication backend, allowed clients, raw_config sources and default signing keys. `/api/1/about` (no slash) answers too.',
    responses: { 200: { description: 'The configuration.', content: json(AboutSchema) } },
  },
  {
    method: 'get',
    path: '/api/1/events',
    tags: ['events'],
    operationId: 'composeEvents',
    summary: 'Compose events (server-sent events)',
    description:
      'Every compose creation and state change, in order, as `text/event-stream`: first a `ready` event (data: EventsReady), then one `state-changed` event per change (data: ComposeEvent) with the outbox id as its `id`, and `: keepalive` comments while idle. A client that reconnects with `Last-Event-ID` misses nothing. The stream does not end by itself.',
    request: { query: EventsQuerySchema, headers: EventsHeadersSchema },
    responses: {
      200: {
        description: 'The event stream.',
        content: { 'text/event-stream': { schema: z.string().openapi({ description: 'SSE; each `data` is an EventsReady or a ComposeEvent.' }), example: EVENT_STREAM_EXAMPLE } },
      },
      400: errorResponse('`compose_id` or the resume point is not a non-negative integer.', 'badEventsQuery'),
    },
  },
  {
    method: 'get',
    path: '/api/1/metrics/',
    tags: ['server'],
    operationId: 'metrics',
    summary: 'Prometheus metrics',
    description:
      'Compose counts by state and source type, generation time and expiry lag (counted in PostgreSQL at scrape time, so every API process reports the same), the outbox backlog, and this process\'s request latency by route.',
    responses: {
      200: { description: 'Prometheus text exposition format.', content: { 'text/plain': { schema: z.string() } } },
      503: errorResponse('The database is unavailable.', 'databaseDown'),
    },
  },
  {
    method: 'get',
    path: '/',
    tags: ['server'],
    operationId: 'composePage',
    summary: 'Compose page',
    description: 'The newest composes as an HTML table, updated live from /api/1/events when scripts run.',
    responses: { 200: { description: 'HTML.', content: { 'text/html': { schema: z.string() } } } },
  },
  {
    method: 'get',
    path: '/healthz',
    tags: ['health'],
    operationId: 'healthz',
    summary: 'Liveness',
    description: 'Answers while the process runs; touches no dependency.',
    responses: { 200: { description: 'Alive.', content: json(HealthSchema) } },
  },
  {
    method: 'get',
    path: '/readyz',
    tags: ['health'],
    operationId: 'readyz',
    summary: 'Readiness',
    description: 'Asks PostgreSQL and Temporal, each within 2 s, and names what is down.',
    responses: {
      200: { description: 'Every dependency answers.', content: json(ReadySchema) },
      503: { description: 'A dependency is down.', content: json(NotReadySchema) },
    },
  },
  {
    method: 'get',
    path: '/composes/',
    tags: ['files'],
    operationId: 'composeRoot',
    summary: 'Compose root listing',
    description: 'Directory listing of the compose root (the default `target_dir_url`). `/composes` redirects here.',
    responses: {
      200: { description: 'An HTML directory listing.', content: { 'text/html': { schema: z.string() } } },
      301: { description: 'Redirect from `/composes` to `/composes/`.' },
    },
  },
  {
    method: 'get',
    path: '/composes/{path}',
    tags: ['files'],
    operationId: 'composeFile',
    summary: 'Compose files',
    description: 'Files of the composes, as ODCS\'s Apache served them: directory listings, `Range` requests and content types by extension. Nothing outside the compose root is served.',
    request: { params: ComposeFileParamsSchema, headers: RangeHeaderSchema },
    responses: {
      200: {
        description: 'The file, or an HTML listing for a directory (path ending in `/`).',
        content: {
          'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) },
          'text/plain': { schema: z.string() },
          'text/html': { schema: z.string() },
        },
      },
      206: { description: 'The requested byte range (`Content-Range` says which).' },
      301: { description: 'A directory asked for without its trailing slash.' },
      404: errorResponse('No such file, or outside the compose root.', 'fileNotFound'),
      416: { description: 'The range cannot be satisfied.' },
    },
  },
  {
    method: 'get',
    path: OPENAPI_JSON_PATH,
    tags: ['documentation'],
    operationId: 'openapi',
    summary: 'This OpenAPI document',
    responses: { 200: { description: 'OpenAPI 3.1 document.', content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } } },
  },
  {
    method: 'get',
    path: DOCS_PATH,
    tags: ['documentation'],
    operationId: 'docs',
    summary: 'API documentation page',
    description: 'This page. `/api/1` answers too.',
    responses: { 200: { description: 'HTML.', content: { 'text/html': { schema: z.string() } } } },
  },
  {
    method: 'get',
    path: '/',
    tags: ['documentation'],
    operationId: 'composePage',
    summary: 'Compose page',
    description: 'The newest composes as an HTML table (readable without JavaScript), updated live from `/api/1/events` when scripts run. `HEAD /` answers too.',
    responses: { 200: { description: 'HTML.', content: { 'text/html': { schema: z.string() } } } },
  },
  ...PROVIDER_OPENAPI_ROUTES, // the provider caches (oraculum)
];

/** Builds the OpenAPI 3.1 document. */
export function buildOpenApiDocument(opts: { version?: string } = {}): OpenApiDocument {
  const holder = new OpenAPIHono();
  const registry = holder.openAPIRegistry;
  for (const [name, schema] of Object.entries(NAMED_SCHEMAS)) registry.register(name, schema);
  // Writes need an identity (auth_backend openidc: a Bearer JWT; header: the proxy's headers;
  // noauth: nothing). GETs are anonymous.
  const bearer = registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'With auth_backend "openidc": a JWT from the configured issuer, carrying the scope `<oidc_base_namespace>new-compose`, `renew-compose` or `delete-compose` for POST, PATCH or DELETE. With "noauth" no credentials are needed.',
  });
  for (const route of OPENAPI_ROUTES) {
    const writes = route.method === 'post' || route.method === 'patch' || route.method === 'delete';
    registry.registerPath(writes ? { ...route, security: [{ [bearer.name]: [] }, {}] } : route);
  }
  return holder.getOpenAPI31Document({
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
      { name: 'documentation', description: 'This documentation.' },
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// The docs page

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
/** Escaped text with `code` spans. */
const prose = (s: string | undefined) => escapeHtml(s ?? '').replace(/`([^`]+)`/g, '<code>$1</code>');

type Json = Record<string, any>;
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

function refName(schema: Json | undefined): string {
  if (!schema) return '';
  if (typeof schema.$ref === 'string') return schema.$ref.split('/').pop()!;
  if (schema.type === 'array') return `array of ${refName(schema.items) || 'any'}`;
  if (Array.isArray(schema.type)) return schema.type.join(' | ');
  const t = schema.type ?? (schema.anyOf || schema.oneOf ? (schema.anyOf ?? schema.oneOf).map(refName).join(' | ') : '');
  return schema.enum ? `${t} (${schema.enum.join(', ')})` : schema.format ? `${t} (${schema.format})` : t;
}

export function operationAnchor(method: string, path: string): string {
  return `op-${method}-${path.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '')}`;
}

/** A schema's type for the plain listing, linking named schemas to their section. */
function typeHtml(schema: Json | undefined): string {
  if (schema && typeof schema.$ref === 'string') {
    const name = schema.$ref.split('/').pop()!;
    return `<a href="#schema-${escapeHtml(name)}">${escapeHtml(name)}</a>`;
  }
  if (schema?.type === 'array') return `array of ${typeHtml(schema.items)}`;
  if (schema?.type === 'object' && schema.additionalProperties && typeof schema.additionalProperties === 'object' && !schema.properties) {
    return `map of string to ${typeHtml(schema.additionalProperties)}`;
  }
  return escapeHtml(refName(schema) || 'any');
}

/** The named schemas of the document, one table of properties each. */
export function renderSchemaListing(doc: OpenApiDocument): string {
  const out: string[] = ['<h2>Schemas</h2>'];
  for (const [name, schema] of Object.entries((doc.components?.schemas ?? {}) as Record<string, Json>)) {
    out.push(`<section class="op" id="schema-${escapeHtml(name)}"><h3><code>${escapeHtml(name)}</code></h3>`);
    if (schema.description) out.push(`<p>${prose(schema.description)}</p>`);
    const props = Object.entries((schema.properties ?? {}) as Record<string, Json>);
    if (props.length) {
      const required: string[] = schema.required ?? [];
      out.push('<table class="params"><thead><tr><th>Key</th><th>Type</th><th>Description</th></tr></thead><tbody>');
      for (const [key, prop] of props) {
        out.push(
          `<tr><td><code>${escapeHtml(key)}</code>${required.includes(key) ? ' <span class="req">required</span>' : ''}</td><td>${typeHtml(prop)}</td><td>${prose(prop.description)}</td></tr>`,
        );
      }
      out.push('</tbody></table>');
      if (schema.additionalProperties === false) out.push('<p class="muted">No other keys.</p>');
      else if (schema.additionalProperties !== undefined) out.push('<p class="muted">Other keys are ignored.</p>');
    } else {
      out.push(`<p>${typeHtml(schema)}</p>`);
    }
    out.push('</section>');
  }
  return out.join('\n');
}

/** The plain, server-rendered listing of every operation of the document. */
export function renderOperationListing(doc: OpenApiDocument): string {
  const out: string[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = (item as Json)[method] as Json | undefined;
      if (!op) continue;
      const anchor = operationAnchor(method, path);
      const hasParams = (op.parameters ?? []).some((p: Json) => p.in === 'path');
      const pathHtml = method === 'get' && !hasParams ? `<a href="${escapeHtml(path)}">${escapeHtml(path)}</a>` : escapeHtml(path);
      out.push(`<section class="op" id="${anchor}">`);
      out.push(`<h3><span class="m m-${method}">${method.toUpperCase()}</span> <code class="path">${pathHtml}</code> <span class="sum">${prose(op.summary)}</span></h3>`);
      if (op.description) out.push(`<p>${prose(op.description)}</p>`);
      const params = (op.parameters ?? []) as Json[];
      if (params.length) {
        out.push('<table class="params"><thead><tr><th>Parameter</th><th>In</th><th>Type</th><th>Description</th></tr></thead><tbody>');
        for (const p of params) {
          out.push(
            `<tr><td><code>${escapeHtml(p.name)}</code>${p.required ? ' <span class="req">required</span>' : ''}</td><td>${escapeHtml(p.in)}</td><td>${typeHtml(p.schema)}</td><td>${prose(p.description ?? p.schema?.description)}</td></tr>`,
          );
        }
        out.push('</tbody></table>');
      }
      if (op.requestBody) {
        const bodies = Object.entries(op.requestBody.content ?? {}).map(([ct, m]) => `<code>${escapeHtml(ct)}</code> ${typeHtml((m as Json).schema)}`);
        out.push(`<p><b>Request body</b>${op.requestBody.required ? ' (required)' : ' (optional)'}: ${bodies.join(', ')}</p>`);
        for (const m of Object.values(op.requestBody.content ?? {}) as Json[]) {
          for (const [name, ex] of Object.entries(m.examples ?? {}) as [string, Json][]) {
            out.push(`<details><summary>Example: ${prose(ex.summary ?? name)}</summary><pre>${escapeHtml(JSON.stringify(ex.value, null, 2))}</pre></details>`);
          }
        }
      }
      out.push('<ul class="responses">');
      for (const [status, res] of Object.entries(op.responses ?? {}) as [string, Json][]) {
        const types = Object.entries(res.content ?? {}).map(([ct, m]) => `<code>${escapeHtml(ct)}</code> ${typeHtml((m as Json).schema)}`);
        out.push(`<li><b>${escapeHtml(status)}</b> ${prose(res.description)}${types.length ? ` &mdash; ${types.join(', ')}` : ''}</li>`);
      }
      out.push('</ul></section>');
    }
  }
  return out.join('\n');
}

const STYLE = `
:root{--fg:#1d2330;--muted:#5b6475;--bg:#fff;--panel:#f5f7fa;--line:#dde2ea;--accent:#2857a4;
--get:#1f7a4d;--post:#2857a4;--patch:#9a5b00;--delete:#b3261e;--put:#6a3fa0}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{padding:18px 28px;border-bottom:1px solid var(--line);background:var(--panel)}
header h1{margin:0;font-size:22px}header p{margin:6px 0 0;color:var(--muted);max-width:70em}
main{padding:10px 28px 40px;max-width:1200px}
a{color:var(--accent)}
code,pre,textarea,input.p{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
pre{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:10px;overflow:auto;max-height:420px;margin:6px 0}
h2{margin:26px 0 6px;font-size:18px;text-transform:capitalize}h2+p{margin-top:0;color:var(--muted)}
h3{font-size:15px;margin:0}
.op{border:1px solid var(--line);border-radius:8px;margin:10px 0;background:#fff}
section.op{padding:10px 14px}
details.op>summary{padding:9px 14px;cursor:pointer;list-style:none;display:flex;gap:10px;align-items:center;flex-wrap:wrap}
details.op>summary::-webkit-details-marker{display:none}
details.op[open]>summary{border-bottom:1px solid var(--line);background:var(--panel);border-radius:8px 8px 0 0}
.body{padding:4px 16px 14px}
.m{display:inline-block;min-width:64px;text-align:center;font-weight:700;font-size:12px;color:#fff;border-radius:4px;padding:3px 6px;font-family:ui-monospace,monospace}
.m-get{background:var(--get)}.m-post{background:var(--post)}.m-patch{background:var(--patch)}.m-delete{background:var(--delete)}.m-put{background:var(--put)}
.path{font-weight:600;font-size:14px}.sum{color:var(--muted)}
table{border-collapse:collapse;width:100%;margin:6px 0}
th,td{text-align:left;border-bottom:1px solid var(--line);padding:5px 8px;vertical-align:top}
.params td:last-child{width:45%}
th{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
.req{color:var(--delete);font-size:11px;font-weight:600}
.type{color:#6a3fa0;font-family:ui-monospace,monospace;font-size:12px}
h4{margin:14px 0 4px;font-size:13px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted)}
.status{font-weight:700;font-family:ui-monospace,monospace}
.s2{color:var(--get)}.s3{color:var(--patch)}.s4,.s5{color:var(--delete)}
.schema{margin:4px 0 4px 0;border-left:2px solid var(--line);padding-left:10px}
.schema details>summary{cursor:pointer}.schema summary>.prop{display:inline}
.prop{margin:2px 0}.prop .desc{color:var(--muted)}
.tryit{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:10px 12px;margin-top:12px}
.tryit label{display:block;margin:4px 0}.tryit label>span{display:inline-block;min-width:200px}
input.p{padding:4px 6px;border:1px solid var(--line);border-radius:4px;width:340px;max-width:100%}
textarea{width:100%;min-height:140px;border:1px solid var(--line);border-radius:4px;padding:6px}
button{font:inherit;padding:5px 14px;border-radius:5px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer}
button.sec{background:#fff;color:var(--accent);padding:2px 8px;font-size:13px}
.ex{margin:4px 0}pre.curl{white-space:pre-wrap;word-break:break-all;max-height:none}
.toc{columns:2;margin:8px 0;padding-left:18px}
.muted{color:var(--muted)}
`;

/** The interactive view. Plain ES2020, no dependencies; builds DOM nodes (never innerHTML of data). */
const SCRIPT = String.raw`
(function(){
'use strict';
var root=document.getElementById('app');var specUrl=root.getAttribute('data-spec');
var METHODS=['get','post','put','patch','delete'];
function el(tag,attrs){var e=document.createElement(tag);if(attrs)for(var k in attrs){if(k==='text')e.textContent=attrs[k];else if(k==='class')e.className=attrs[k];else e.setAttribute(k,attrs[k]);}
for(var i=2;i<arguments.length;i++){var c=arguments[i];if(c==null||c===false)continue;if(Array.isArray(c))c.forEach(function(x){if(x)e.appendChild(typeof x==='string'?document.createTextNode(x):x);});else e.appendChild(typeof c==='string'?document.createTextNode(c):c);}return e;}
function prose(s){var p=el('span');String(s||'').split('\x60').forEach(function(part,i){p.appendChild(i%2?el('code',{text:part}):document.createTextNode(part));});return p;}
var doc;
function deref(s){var seen=0;while(s&&s.$ref&&seen++<20){var name=s.$ref.split('/').pop();s=Object.assign({'x-name':name},doc.components.schemas[name]);}return s||{};}
function typeOf(s){if(!s)return 'any';if(s.$ref)return s.$ref.split('/').pop();
if(s.anyOf||s.oneOf)return (s.anyOf||s.oneOf).map(typeOf).join(' | ');
var t=Array.isArray(s.type)?s.type.join(' | '):(s.type||'any');
if(s.type==='array')t='array of '+typeOf(s.items);
if(s.type==='object'&&s.additionalProperties&&typeof s.additionalProperties==='object'&&!s.properties)t='map of string to '+typeOf(s.additionalProperties);
var extra=[];if(s.enum)extra.push('one of: '+s.enum.map(function(v){return JSON.stringify(v)}).join(', '));
if(s.const!==undefined)extra.push('= '+JSON.stringify(s.const));
if(s.format)extra.push(s.format);if(s.pattern)extra.push('pattern '+s.pattern);
if(s.minimum!==undefined)extra.push('>= '+s.minimum);if(s.maximum!==undefined)extra.push('<= '+s.maximum);
return extra.length?t+' ('+extra.join('; ')+')':t;}
function schemaView(s,depth){depth=depth||0;var r=deref(s);var box=el('div',{class:'schema'});
var target=r.type==='array'?deref(r.items):r;
var props=target.properties;
if(r.type==='object'&&!props&&r.additionalProperties&&typeof r.additionalProperties==='object'){box.appendChild(el('div',{class:'type',text:typeOf(r)}));var v=deref(r.additionalProperties);if(v.properties&&depth<4)box.appendChild(schemaView(r.additionalProperties,depth+1));return box;}
if(!props){box.appendChild(el('div',{class:'type',text:typeOf(s.$ref?r:s)}));if(r.description)box.appendChild(el('div',{class:'desc'},prose(r.description)));return box;}
if(r.type==='array')box.appendChild(el('div',{class:'type',text:'array of '+(target['x-name']||'object')+':'}));
if(target.description&&depth===0)box.appendChild(el('div',{class:'muted'},prose(target.description)));
var req=target.required||[];
Object.keys(props).forEach(function(name){var p=props[name];var pr=deref(p);
var line=el('div',{class:'prop'},el('code',{text:name}),' ',el('span',{class:'type',text:typeOf(p)}),req.indexOf(name)>=0?el('span',{class:'req',text:' required'}):null,
(p.description||pr.description)?el('span',{class:'desc'},' \u2014 ',prose(p.description||pr.description)):null);
var nested=pr.properties||(pr.type==='array'&&deref(pr.items).properties)||(pr.type==='object'&&pr.additionalProperties&&typeof pr.additionalProperties==='object'&&deref(pr.additionalProperties).properties);
if(nested&&depth<4){var d=el('details',null,el('summary',null,line));d.appendChild(schemaView(p,depth+1));box.appendChild(d);}else box.appendChild(line);});
if(target.additionalProperties===false)box.appendChild(el('div',{class:'muted',text:'No other keys.'}));
else if(target.additionalProperties===true||(target.additionalProperties&&!Object.keys(target.additionalProperties).length))box.appendChild(el('div',{class:'muted',text:'Other keys are ignored.'}));
return box;}
function examplesOf(media){var out=[];if(!media)return out;if(media.examples)Object.keys(media.examples).forEach(function(k){var e=media.examples[k];out.push({name:e.summary||k,value:e.value});});
else if(media.example!==undefined)out.push({name:'example',value:media.example});
else{var r=deref(media.schema);if(r.example!==undefined)out.push({name:'example',value:r.example});}return out;}
function exampleList(media,onUse){var wrap=el('div');examplesOf(media).forEach(function(ex){var pre=el('pre',{text:JSON.stringify(ex.value,null,2)});
var d=el('details',{class:'ex'},el('summary',null,'Example: ',prose(ex.name),onUse?' ':null,onUse?el('button',{class:'sec',type:'button',text:'use'}):null),pre);
if(onUse)d.querySelector('button').addEventListener('click',function(ev){ev.preventDefault();onUse(ex.value);});wrap.appendChild(d);});return wrap;}
function statusClass(code){return 's'+String(code).charAt(0);}
function readStream(body,ctl,ms){var reader=body.getReader();var dec=new TextDecoder();var text='';var timer=setTimeout(function(){ctl.abort();},ms);
function more(){return reader.read().then(function(r){if(r.done){clearTimeout(timer);return text;}text+=dec.decode(r.value,{stream:true});return more();},function(){return text+'\n\u2026 (an event stream: the page stopped reading after '+(ms/1000)+' s)';});}return more();}
function tryIt(path,method,op){var form=el('form',{class:'tryit'});form.appendChild(el('h4',{text:'Try it'}));
var inputs=[];(op.parameters||[]).forEach(function(p){var ex=p.example!==undefined?p.example:(p.schema&&p.schema.example);
var inp=el('input',{class:'p',name:p.name,placeholder:ex!==undefined?String(ex):''});if(p.in==='path'&&ex!==undefined)inp.value=String(ex);
inputs.push({p:p,inp:inp});form.appendChild(el('label',null,el('span',null,el('code',{text:p.name}),' ('+p.in+')',p.required?el('span',{class:'req',text:' *'}):null),inp));});
var ta=null;if(op.requestBody){var media=op.requestBody.content['application/json'];var exs=examplesOf(media);
ta=el('textarea',{name:'body',spellcheck:'false'});ta.value=exs.length&&op.requestBody.required?JSON.stringify(exs[0].value,null,2):'';form.appendChild(el('label',null,el('span',{text:'Body (JSON)'})));form.appendChild(ta);}
var curl=el('pre',{class:'muted curl'});var out=el('div');
function buildUrl(){var url=path;var qs=[];var headers={};var missing=[];inputs.forEach(function(x){var v=x.inp.value;if(v===''){if(x.p.required)missing.push(x.p.name);return;}
if(x.p.in==='path')url=url.replace('{'+x.p.name+'}',v.split('/').map(encodeURIComponent).join('/'));
else if(x.p.in==='query')qs.push(encodeURIComponent(x.p.name)+'='+encodeURIComponent(v));
else if(x.p.in==='header')headers[x.p.name]=v;});
return {url:url+(qs.length?'?'+qs.join('&'):''),headers:headers,missing:missing};}
function showCurl(){var b=buildUrl();var parts=['curl -i -X '+method.toUpperCase()];Object.keys(b.headers).forEach(function(h){parts.push("-H '"+h+': '+b.headers[h]+"'");});
if(ta&&ta.value.trim())parts.push("-d '"+ta.value.replace(/\s*\n\s*/g,' ').replace(/'/g,"'\\''")+"'");parts.push("'"+location.origin+b.url+"'");curl.textContent=parts.join(' ');}
form.addEventListener('input',showCurl);
var send=el('button',{type:'submit',text:'Send '+method.toUpperCase()+' request'});form.appendChild(el('div',{style:'margin-top:8px'},send));form.appendChild(curl);form.appendChild(out);
form.addEventListener('submit',function(ev){ev.preventDefault();showCurl();var b=buildUrl();out.textContent='';
if(b.missing.length){out.appendChild(el('p',{class:'req',text:'Missing: '+b.missing.join(', ')}));return;}
var init={method:method.toUpperCase(),headers:b.headers,redirect:'manual'};if(ta&&ta.value.trim()){init.body=ta.value;init.headers['Content-Type']='application/json';}
var t0=performance.now();send.disabled=true;var ctl=new AbortController();init.signal=ctl.signal;
fetch(b.url,init).then(function(res){var ct=res.headers.get('content-type')||'';
return (ct.indexOf('text/event-stream')===0&&res.body?readStream(res.body,ctl,5000):res.text()).then(function(text){var ms=Math.round(performance.now()-t0);var body=text;
try{body=JSON.stringify(JSON.parse(text),null,2);}catch(e){}if(body.length>20000)body=body.slice(0,20000)+'\n\u2026 ('+text.length+' characters)';
var hs=[];res.headers.forEach(function(v,k){hs.push(k+': '+v);});
out.appendChild(el('h4',{text:'Response'}));out.appendChild(el('div',null,el('span',{class:'status '+statusClass(res.status),text:res.type==='opaqueredirect'?'redirect':String(res.status)}),' '+(res.statusText||'')+' \u00b7 '+ms+' ms \u00b7 '+b.url));
out.appendChild(el('pre',{class:'muted',text:hs.join('\n')}));out.appendChild(el('pre',{text:body||'(empty body)'}));});})
.catch(function(e){out.appendChild(el('p',{class:'req',text:'Request failed: '+e}));}).finally(function(){send.disabled=false;});});
showCurl();return form;}
function operation(path,method,op){var d=el('details',{class:'op',id:'op-'+method+'-'+path.replace(/[^A-Za-z0-9]+/g,'-').replace(/^-|-$/g,'')});
d.appendChild(el('summary',null,el('span',{class:'m m-'+method,text:method.toUpperCase()}),el('code',{class:'path',text:path}),el('span',{class:'sum'},prose(op.summary))));
var body=el('div',{class:'body'});if(op.description)body.appendChild(el('p',null,prose(op.description)));
var params=op.parameters||[];if(params.length){body.appendChild(el('h4',{text:'Parameters'}));var tb=el('tbody');
params.forEach(function(p){var ex=p.example!==undefined?p.example:(p.schema&&p.schema.example);
tb.appendChild(el('tr',null,el('td',null,el('code',{text:p.name}),p.required?el('span',{class:'req',text:' required'}):null),el('td',{text:p.in}),el('td',{class:'type',text:typeOf(p.schema)}),
el('td',null,prose(p.description||(p.schema&&p.schema.description)),ex!==undefined?el('div',{class:'muted'},'Example: ',el('code',{text:String(ex)})):null)));});
body.appendChild(el('table',null,el('thead',null,el('tr',null,el('th',{text:'Name'}),el('th',{text:'In'}),el('th',{text:'Type'}),el('th',{text:'Description'}))),tb));}
var form=tryIt(path,method,op);
if(op.requestBody){body.appendChild(el('h4',{text:'Request body'+(op.requestBody.required?' (required)':' (optional)')}));if(op.requestBody.description)body.appendChild(el('p',null,prose(op.requestBody.description)));
Object.keys(op.requestBody.content).forEach(function(ct){var m=op.requestBody.content[ct];body.appendChild(el('div',null,el('code',{text:ct}),' ',el('span',{class:'type',text:typeOf(m.schema)})));body.appendChild(schemaView(m.schema));
body.appendChild(exampleList(m,function(v){var ta=form.querySelector('textarea');ta.value=JSON.stringify(v,null,2);ta.dispatchEvent(new Event('input',{bubbles:true}));}));});}
body.appendChild(el('h4',{text:'Responses'}));Object.keys(op.responses||{}).forEach(function(code){var r=op.responses[code];
var head=el('div',{style:'margin-top:8px'},el('span',{class:'status '+statusClass(code),text:code}),' ',prose(r.description));body.appendChild(head);
Object.keys(r.content||{}).forEach(function(ct){var m=r.content[ct];var d2=el('details',{class:'ex'},el('summary',null,el('code',{text:ct}),' ',el('span',{class:'type',text:typeOf(m.schema)})),schemaView(m.schema));
body.appendChild(el('div',{style:'margin-left:14px'},d2,exampleList(m)));});});
body.appendChild(form);d.appendChild(body);return d;}
fetch(specUrl).then(function(r){if(!r.ok)throw new Error('HTTP '+r.status);return r.json();}).then(function(d){doc=d;
var byTag={};var order=(doc.tags||[]).map(function(t){return t.name;});
Object.keys(doc.paths).forEach(function(path){METHODS.forEach(function(m){var op=doc.paths[path][m];if(!op)return;var tag=(op.tags&&op.tags[0])||'other';if(order.indexOf(tag)<0)order.push(tag);(byTag[tag]=byTag[tag]||[]).push([path,m,op]);});});
var frag=document.createDocumentFragment();
order.forEach(function(tag){if(!byTag[tag])return;var info=(doc.tags||[]).filter(function(t){return t.name===tag;})[0];frag.appendChild(el('h2',{text:tag}));if(info&&info.description)frag.appendChild(el('p',null,prose(info.description)));
byTag[tag].forEach(function(x){frag.appendChild(operation(x[0],x[1],x[2]));});});
root.appendChild(frag);var st=document.getElementById('static');if(st)st.remove();
if(location.hash){var t=document.getElementById(location.hash.slice(1));if(t){t.open=true;t.scrollIntoView();}}})
.catch(function(e){root.appendChild(el('p',{class:'req',text:'Could not load '+specUrl+': '+e.message+'. The plain listing below still applies.'}));});
})();
`;

/** The docs page: the server-rendered listing, replaced by the interactive view when scripts run. */
export function renderDocsPage(doc: OpenApiDocument, specUrl = OPENAPI_JSON_PATH): string {
  const title = `${doc.info.title} ${doc.info.version} API`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>
<header><h1>${escapeHtml(title)}</h1><p>${prose(doc.info.description)}</p>
<p>OpenAPI ${escapeHtml(doc.openapi)} document: <a href="${escapeHtml(specUrl)}">${escapeHtml(specUrl)}</a></p></header>
<main>
<noscript><p class="muted">JavaScript is off: this is the plain listing of the operations. Request bodies and responses are described in full in <a href="${escapeHtml(specUrl)}">the OpenAPI document</a>.</p></noscript>
<div id="app" data-spec="${escapeHtml(specUrl)}"></div>
<div id="static">
${renderOperationListing(doc)}
${renderSchemaListing(doc)}
</div>
</main>
<script>${SCRIPT}</script>
</body></html>
`;
}

/** Routes for the document and the page; mount before the other /api/1 routes. */
export function openapiRoutes(opts: { version?: string } = {}) {
  const doc = buildOpenApiDocument(opts);
  const body = JSON.stringify(doc);
  const page = renderDocsPage(doc);
  const app = new Hono({ strict: false });
  app.get(OPENAPI_JSON_PATH, (c) => c.body(body, 200, { 'Content-Type': 'application/json' }));
  // Not strict: '/api/1' and '/api/1/' both land here.
  app.get('/api/1', (c) => c.html(page));
  return app;
}
