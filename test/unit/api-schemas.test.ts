// The wire schemas of core/schemas/ against what the code really emits and accepts, and every
// example of the document generated from the app's routes against the zod schema it illustrates.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { z } from '@hono/zod-openapi';
import {
  AboutSchema,
  COMPOSE_EXAMPLES,
  ComposeDetailSchema,
  ComposeListSchema,
  ComposeRequestSchema,
  ComposeSchema,
  ERROR_EXAMPLES,
  ErrorSchema,
  LIST_EXAMPLE,
  NAMED_SCHEMAS,
  PATCH_EXAMPLES,
  POST_EXAMPLES,
  PageMetaSchema,
  RenewRequestSchema,
} from '../../core/schemas/index.js';
import type { ComposeRecord } from '../../core/compose.js';
import { composeRecord } from '../fixtures/compose-record.js';
import { composeToJson } from '../../core/compose-json.js';
import { parseNewComposeRequest } from '../../core/compose-request.js';
import { checkPermissions } from '../../core/permissions.js';
import { decodeJsonBody } from '../../core/request-body.js';
import { errorBody } from '../../core/errors.js';
import { buildPageMeta, parseListQuery } from '../../core/list-query.js';
import { parseRenewRequest } from '../../core/patch-request.js';
import { parseSettings } from '../../core/settings.js';
import pg from 'pg';
import type { RouteConfig } from '@hono/zod-openapi';
import { createApp } from '../../api/app.js';
import { buildOpenApiDocument } from '../../api/docs.js';
import type { TemporalGateway } from '../../temporal/client.js';
import { loadConfig } from '../../core/config.js';
import { createLogger } from '../../core/logger.js';
import { aboutRoutes } from '../../api/about.js';

const settings = parseSettings({});
// Nothing is asked of the pool or Temporal: the app is only built, for its routes and document.
const APP = createApp({
  config: loadConfig({}, process.cwd()),
  settings,
  pool: new pg.Pool(),
  temporal: {} as TemporalGateway,
  log: createLogger('test', 'silent'),
});
/** Every route object the app registered (and documented). */
const ROUTES: RouteConfig[] = APP.openAPIRegistry.definitions.flatMap((d) => (d.type === 'route' ? [d.route as RouteConfig] : []));
const targetDirUrl = 'http://127.0.0.1:8080/composes';

function record(overrides: Partial<ComposeRecord> = {}): ComposeRecord {
  const submitted = new Date('2024-01-15T10:00:00.250Z');
  const ttl = parseNewComposeRequest(POST_EXAMPLES.tag.value, settings).seconds_to_live;
  return composeRecord(POST_EXAMPLES.tag.value as Record<string, unknown>, {
    time_to_expire: new Date(submitted.getTime() + ttl * 1000),
    time_submitted: submitted,
    source_revision: 'rev-1',
    ...overrides,
  });
}

function assertValid(schema: z.ZodType, value: unknown, where: string): void {
  const r = schema.safeParse(value);
  assert.ok(r.success, `${where}: ${r.success ? '' : JSON.stringify(r.error.issues, null, 1)}`);
}

/** Every `example` / `examples` in a document, as [JSON pointer segments, example value]. */
function collectExamples(node: unknown, at: string[] = [], out: [string[], unknown][] = []): [string[], unknown][] {
  if (Array.isArray(node)) node.forEach((v, i) => collectExamples(v, [...at, String(i)], out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'example') out.push([[...at, k], v]);
      else if (k === 'examples' && v && typeof v === 'object' && !Array.isArray(v)) {
        for (const [name, ex] of Object.entries(v)) out.push([[...at, k, name], (ex as { value: unknown }).value]);
      } else collectExamples(v, [...at, k], out);
    }
  }
  return out;
}

type ZodObjectLike = { shape: Record<string, z.ZodType> };

const DOC = buildOpenApiDocument(APP);

/** The zod schema an example at `ptr` illustrates, or undefined when it is not one we know. */
function schemaAt(ptr: string[]): z.ZodType | undefined {
  if (ptr[0] === 'components' && ptr[1] === 'schemas' && ptr[3] === 'example' && ptr.length === 4) {
    return (NAMED_SCHEMAS as Record<string, z.ZodType>)[ptr[2]];
  }
  if (ptr[0] !== 'paths') return undefined;
  const route = ROUTES.find((r) => r.path === ptr[1] && r.method === ptr[2]);
  if (!route) return undefined;
  const rest = ptr.slice(3);
  if (rest[0] === 'parameters' && rest[2] === 'schema' && rest[3] === 'example') {
    const param = (DOC.paths![ptr[1]] as any)[ptr[2]].parameters[Number(rest[1])];
    const source = { query: route.request?.query, path: route.request?.params, header: route.request?.headers }[param.in as 'query'];
    return (source as unknown as ZodObjectLike | undefined)?.shape[param.name];
  }
  if (rest[0] === 'requestBody' && rest[1] === 'content' && rest[3] === 'examples') {
    return (route.request?.body?.content[rest[2]] as { schema: z.ZodType } | undefined)?.schema;
  }
  if (rest[0] === 'responses' && rest[2] === 'content' && (rest[4] === 'examples' || (rest[4] === 'example' && rest.length === 5))) {
    const res = route.responses[rest[1]] as { content?: Record<string, { schema: z.ZodType }> };
    return res.content?.[rest[3]]?.schema;
  }
  return undefined;
}

describe('OpenAPI document examples', () => {
  const doc = DOC;
  const examples = collectExamples(doc);

  it('has examples for requests, responses, parameters and schemas', () => {
    const kinds = new Set(examples.map(([p]) => (p[0] === 'components' ? 'schema' : p[3])));
    assert.deepEqual([...kinds].sort(), ['parameters', 'requestBody', 'responses', 'schema']);
    assert.ok(examples.length >= 30, `only ${examples.length} examples`);
  });

  it('a wrong example would be caught', () => {
    const ptr = ['paths', '/api/1/composes/', 'get', 'responses', '200', 'content', 'application/json', 'examples', 'x'];
    assert.equal(schemaAt(ptr), ComposeListSchema);
    assert.equal(ComposeListSchema.safeParse({ ...LIST_EXAMPLE, items: [{ ...COMPOSE_EXAMPLES.tagDone, state_name: 'finished' }] }).success, false);
    const param = ['paths', '/api/1/composes/', 'get', 'parameters', '9', 'schema', 'example'];
    assert.equal(schemaAt(param)?.safeParse('two').success, false, 'page is an integer');
  });

  it('every example validates against the zod schema it illustrates', () => {
    for (const [ptr, value] of examples) {
      const where = `#/${ptr.join('/')}`;
      const schema = schemaAt(ptr);
      assert.ok(schema, `${where}: an example with no known schema`);
      assertValid(schema, value, where);
    }
  });

  it('every response and request body is described by a zod schema (no raw JSON schema)', () => {
    assert.ok(ROUTES.length >= 25, `${ROUTES.length} routes`);
    for (const route of ROUTES) {
      const contents = [route.request?.body?.content, ...Object.values(route.responses).map((r) => (r as { content?: unknown }).content)];
      for (const content of contents) {
        for (const media of Object.values((content ?? {}) as Record<string, { schema?: unknown }>)) {
          assert.equal(typeof (media.schema as z.ZodType).safeParse, 'function', `${route.method} ${route.path}`);
        }
      }
    }
  });

  it('is OpenAPI 3.1 with every named schema as a component', () => {
    assert.equal(doc.openapi, '3.1.0');
    assert.deepEqual(Object.keys(doc.components!.schemas!).sort(), Object.keys(NAMED_SCHEMAS).sort());
    const refs = JSON.stringify(doc).match(/#\/components\/schemas\/[A-Za-z]+/g) ?? [];
    for (const ref of new Set(refs)) assert.ok(doc.components!.schemas![ref.split('/').pop()!], ref);
  });
});

describe('compose schema against composeToJson', () => {
  it('a fresh tag compose is exactly the tagWait example, and validates strictly', () => {
    const json = composeToJson(record(), { targetDirUrl, includeConfigDump: false });
    assert.deepEqual(json, COMPOSE_EXAMPLES.tagWait);
    assertValid(ComposeSchema, json, 'list form');
  });

  it('the done example is the same compose once generated', () => {
    const json = composeToJson(
      record({
        state: 2,
        state_reason: 'Compose is generated successfully',
        pungi_compose_id: 'odcs-1-1-20240115.t.0',
        time_started: new Date('2024-01-15T10:00:01Z'),
        time_done: new Date('2024-01-15T10:00:09Z'),
        time_to_expire: new Date('2024-01-15T11:00:09Z'),
      }),
      { targetDirUrl, includeConfigDump: false },
    );
    assert.deepEqual(json, COMPOSE_EXAMPLES.tagDone);
  });

  it('the full form (single GET) validates against ComposeDetail, not Compose', () => {
    const json = composeToJson(record({ pungi_config_dump: 'release_name = "odcs-1"' }), { targetDirUrl, includeConfigDump: true });
    assertValid(ComposeDetailSchema, json, 'detail form');
    assert.equal(ComposeSchema.safeParse(json).success, false, 'Compose is strict: pungi_config_dump is an unknown key there');
  });

  it('every field set: all flags, results, lists, removed, off the default target_dir', () => {
    const json = composeToJson(
      record({
        flags: 511,
        results: 15,
        state: 3,
        state_reason: 'Compose is generated successfully\nRemoved by admin.',
        time_started: new Date(),
        time_done: new Date(),
        time_removed: new Date(),
        removed_by: 'admin',
        koji_event: 123,
        koji_task_id: 456,
        builds: 'a-1-1 b-2-2',
        multilib_arches: 'i686',
        multilib_method: 3,
        lookaside_repos: 'http://x/repo',
        modular_koji_tags: 'mt',
        module_defaults_url: 'http://git/defaults abc',
        label: 'l',
        pungi_compose_id: 'odcs-1-1-20240115.t.0',
        target_dir: 'private',
        scratch_modules: 'm:s',
        parent_pungi_compose_ids: 'p-1',
        scratch_build_tasks: '1 2',
        modules: 'm:s:1:c',
        respin_of: 'p-0',
        base_module_br_name: 'platform',
        base_module_br_stream: 'f39',
        base_module_br_stream_version_lte: 390000,
        base_module_br_stream_version_gte: 380000,
      }),
      { targetDirUrl, includeConfigDump: false, extraTargetDirNames: ['private'] },
    );
    assertValid(ComposeSchema, json, 'all fields');
    // Strict and complete: the schema's keys are exactly the emitted keys.
    assert.deepEqual(Object.keys(ComposeSchema.shape).sort(), Object.keys(json).sort());
  });

  it('a list response from buildPageMeta validates, and the list example is what buildPageMeta gives', () => {
    const meta = buildPageMeta({ page: 1, perPage: 10, total: 1, baseUrl: 'http://127.0.0.1:8080/api/1/composes/', query: { source_type: 'tag' } });
    assert.deepEqual(meta, LIST_EXAMPLE.meta);
    assertValid(PageMetaSchema, buildPageMeta({ page: 3, perPage: 2, total: 9, baseUrl: 'http://h/api/1/composes/', query: { owner: 'a b' } }), 'meta');
    assertValid(ComposeListSchema, { items: [composeToJson(record(), { targetDirUrl, includeConfigDump: false })], meta }, 'list');
    assert.equal(ComposeListSchema.safeParse({ items: [], meta: { ...meta, extra: 1 } }).success, false);
  });
});

describe('error schema', () => {
  it('the API error bodies validate', () => {
    assertValid(ErrorSchema, errorBody(404, 'No such compose found.'), 'core/errors errorBody');
    assertValid(ErrorSchema, errorBody(503, 'The database is unavailable, try again later.'), 'api/errors errorBody 503');
    assertValid(ErrorSchema, errorBody(500, 'boom'), 'core/errors errorBody 500');
    assert.equal(ErrorSchema.safeParse({ status: 404, error: 'Not Found' }).success, false);
    assert.equal(ErrorSchema.safeParse({ ...errorBody(400, 'x'), extra: true }).success, false);
  });

  it('every error example carries the status reason the API uses', () => {
    for (const [name, ex] of Object.entries(ERROR_EXAMPLES)) assert.deepEqual(ex, errorBody(ex.status, ex.message), name);
  });

  it('the error example messages are the ones the code emits', () => {
    const message = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return (e as Error).message;
      }
      assert.fail('did not throw');
    };
    assert.equal(message(() => parseListQuery({ order_by: 'bad' })), ERROR_EXAMPLES.badOrderBy.message);
    assert.equal(message(() => parseListQuery({ state: 'finished' })), ERROR_EXAMPLES.badState.message);
    assert.equal(message(() => parseNewComposeRequest(undefined, settings)), ERROR_EXAMPLES.noBody.message);
    assert.equal(message(() => parseNewComposeRequest({ source: { source: 'demo' } }, settings)), ERROR_EXAMPLES.missingType.message);
    assert.equal(message(() => parseNewComposeRequest({ source: { type: 'tag', source: 'demo' }, flags: ['fast'] }, settings)), ERROR_EXAMPLES.unknownFlag.message);
    assert.equal(message(() => decodeJsonBody('{"source":')), ERROR_EXAMPLES.badJson.message);
    const moduleCompose = parseNewComposeRequest({ source: { type: 'module', source: 'app:1' } }, settings);
    assert.equal(message(() => checkPermissions(moduleCompose, { name: 'unknown', groups: [] }, settings, false)), ERROR_EXAMPLES.forbiddenSourceType.message);
  });
});

describe('request schemas', () => {
  it('the POST examples validate and the server accepts each of them', () => {
    for (const [name, ex] of Object.entries(POST_EXAMPLES)) {
      assertValid(ComposeRequestSchema, ex.value, name);
      assert.doesNotThrow(() => parseNewComposeRequest(ex.value, settings), name);
    }
    assert.equal(parseNewComposeRequest(POST_EXAMPLES.pythonClient.value, settings).seconds_to_live, 7200);
  });

  it('the PATCH examples validate and the server accepts each of them', () => {
    for (const [name, ex] of Object.entries(PATCH_EXAMPLES)) {
      assertValid(RenewRequestSchema, ex.value, name);
      assert.doesNotThrow(() => parseRenewRequest(ex.value, settings), name);
    }
  });

  it('the POST schema refuses what the server refuses structurally', () => {
    assert.equal(ComposeRequestSchema.safeParse({}).success, false);
    assert.equal(ComposeRequestSchema.safeParse({ source: { source: 'demo' } }).success, false);
    assert.equal(ComposeRequestSchema.safeParse({ source: { type: 'nope', source: 'demo' } }).success, false);
    assert.equal(ComposeRequestSchema.safeParse({ source: { type: 'tag', source: 'demo', packages: 'x' } }).success, false);
    assert.equal(ComposeRequestSchema.safeParse({ source: { type: 'tag', source: 'demo' }, flags: ['fast'] }).success, false);
    // Unknown keys are ignored by ODCS, so the schema lets them through.
    assertValid(ComposeRequestSchema, { source: { type: 'tag', source: 'demo', whatever: 1 }, other: true }, 'unknown keys');
  });

  it('the about body the server answers validates', async () => {
    const s = parseSettings({
      sigkeys: ['ABCD1234'],
      allowed_clients: { users: { alice: { source_types: ['tag'] } }, groups: { packagers: {} } },
      raw_config_urls: { pungi: { url: 'https://git/pungi.git', config_filename: 'pungi.conf' } },
    });
    const res = await aboutRoutes(s).request('/api/1/about/');
    assert.equal(res.status, 200);
    const body = await res.json();
    assertValid(AboutSchema, body, 'about');
    assert.deepEqual(body.sigkeys, ['ABCD1234']);
    assert.deepEqual(body.raw_config_urls.pungi, { url: 'https://git/pungi.git', config_filename: 'pungi.conf' });
  });
});
