// The OpenAPI document and the docs page of a running odcs-flow: the document covers every route
// the app serves (and nothing else), the page works with and without a trailing slash, and the
// live responses of the API match the documented schemas.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  AboutSchema,
  ComposeDetailSchema,
  ComposeListSchema,
  ComposeSchema,
  ERROR_EXAMPLES,
  ErrorSchema,
  HealthSchema,
  ReadySchema,
} from '../../core/schemas/index.js';
import { createLogger } from '../../core/logger.js';
import { createApp } from '../../api/app.js';
import { http, startStack, type Stack } from '../harness/stack.js';

let stack: Stack;
let doc: any;

before(async () => {
  stack = await startStack({ workers: false });
  const res = await http(stack, 'GET', '/api/1/openapi.json');
  assert.equal(res.status, 200);
  doc = res.body;
});

after(async () => {
  await stack?.stop();
});

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];
/** Trailing slashes do not matter to the app (strict: false). */
const norm = (p: string) => (p.length > 1 ? p.replace(/\/+$/, '') : p);

function documentedOperations(): Set<string> {
  const ops = new Set<string>();
  for (const [path, item] of Object.entries<any>(doc.paths)) {
    for (const m of METHODS) if (item[m]) ops.add(`${m.toUpperCase()} ${norm(path)}`);
  }
  return ops;
}

function servedOperations(): Set<string> {
  const app = createApp({ config: stack.config, settings: stack.settings, pool: stack.pool, temporal: stack.temporal, log: createLogger('test', 'warn') });
  const ops = new Set<string>();
  for (const r of app.routes) {
    if (r.method === 'ALL') continue; // middleware
    const path = r.path.replace(/:([A-Za-z_]\w*)(\{[^}]*\})?/g, '{$1}').replace(/\/\*$/, '/{path}');
    ops.add(`${r.method} ${norm(path)}`);
  }
  return ops;
}

describe('the OpenAPI document', () => {
  test('is an OpenAPI 3.1 document served as JSON to anyone', async () => {
    const res = await http(stack, 'GET', '/api/1/openapi.json');
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(doc.openapi, '3.1.0');
    assert.equal(typeof doc.info?.title, 'string');
    assert.equal(doc.info.version, stack.settings.version);
    assert.equal(typeof doc.paths, 'object');
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      assert.ok(path.startsWith('/'), path);
      for (const m of METHODS) {
        const op = item[m];
        if (!op) continue;
        assert.ok(op.responses && Object.keys(op.responses).length > 0, `${m} ${path}: responses`);
        for (const [status, r] of Object.entries<any>(op.responses)) {
          assert.match(status, /^[1-5]\d\d$/, `${m} ${path}`);
          assert.equal(typeof r.description, 'string', `${m} ${path} ${status}: description`);
        }
        // Every {param} of the path is declared as a required path parameter.
        for (const [, name] of path.matchAll(/\{(\w+)\}/g)) {
          const p = (op.parameters ?? []).find((x: any) => x.in === 'path' && x.name === name);
          assert.ok(p?.required, `${m} ${path}: path parameter ${name}`);
        }
      }
    }
    const ids = Object.values<any>(doc.paths).flatMap((item) => METHODS.filter((m) => item[m]).map((m) => item[m].operationId));
    assert.equal(new Set(ids).size, ids.length, 'operationIds are unique');
  });

  test('documents the ODCS routes', () => {
    const ops = documentedOperations();
    for (const op of [
      'GET /api/1/composes',
      'POST /api/1/composes',
      'GET /api/1/composes/{id}',
      'PATCH /api/1/composes/{id}',
      'DELETE /api/1/composes/{id}',
      'GET /api/1/about',
      'GET /healthz',
      'GET /readyz',
      'GET /composes/{path}',
    ]) {
      assert.ok(ops.has(op), op);
    }
  });

  test('every route the app serves is documented, and every documented route is served', () => {
    const served = servedOperations();
    const documented = documentedOperations();
    assert.ok(served.size >= 10, [...served].join(', '));
    assert.deepEqual([...served].filter((op) => !documented.has(op)), [], 'served but not documented');
    assert.deepEqual([...documented].filter((op) => !served.has(op)), [], 'documented but not served');
  });
});

describe('the docs page', () => {
  for (const path of ['/api/1/', '/api/1']) {
    test(`${path} is Swagger UI, its script and stylesheet served by the API itself`, async () => {
      const res = await http(stack, 'GET', path);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
      const html = res.text;
      assert.ok(!/https?:\/\//i.test(html), 'no absolute URL: nothing from a CDN');
      const assets = [...html.matchAll(/<(?:script[^>]+src|link[^>]+href)="([^"]+)"/g)].map((m) => m[1]);
      assert.deepEqual(assets.sort(), ['/api/1/docs/swagger-initializer.js', '/api/1/docs/swagger-ui-bundle.js', '/api/1/docs/swagger-ui.css']);
      for (const asset of assets) {
        const a = await fetch(`${stack.baseUrl}${asset}`);
        assert.equal(a.status, 200, asset);
        assert.match(a.headers.get('content-type') ?? '', asset.endsWith('.css') ? /^text\/css/ : /^text\/javascript/, asset);
        assert.ok((await a.text()).length > 0, asset);
      }
      const init = await (await fetch(`${stack.baseUrl}/api/1/docs/swagger-initializer.js`)).text();
      assert.ok(init.includes('"url":"/api/1/openapi.json"'), init);
      assert.ok(init.includes('"validatorUrl":null'), 'no call to an online validator');
      assert.ok(html.includes('<noscript>'));
    });
  }

  test('only the page\'s own files are served from node_modules', async () => {
    for (const name of ['package.json', 'index.html', '..%2F..%2Fpackage.json', 'swagger-ui.js']) {
      const res = await http(stack, 'GET', `/api/1/docs/${name}`);
      assert.equal(res.status, 404, name);
    }
  });

  test('the compose routes are not shadowed', async () => {
    for (const path of ['/api/1/composes/', '/api/1/composes']) {
      const res = await http(stack, 'GET', path);
      assert.equal(res.status, 200, path);
      assert.ok(Array.isArray(res.body.items), path);
    }
    const about = await http(stack, 'GET', '/api/1/about');
    assert.equal(about.status, 200);
  });
});

describe('live responses match the documented schemas', () => {
  function assertValid(schema: { safeParse(v: unknown): { success: boolean; error?: unknown } }, value: unknown, where: string) {
    const r = schema.safeParse(value);
    assert.ok(r.success, `${where}: ${JSON.stringify(r.error)}\n${JSON.stringify(value)}`);
  }

  test('POST, GET, list, PATCH error, 404, about, health', async () => {
    const post = await http(stack, 'POST', '/api/1/composes/', { source: { type: 'tag', source: 'demo', packages: ['odcs-demo-app'] }, seconds_to_live: 3600 });
    assert.equal(post.status, 200, post.text);
    assertValid(ComposeSchema, post.body, 'POST');
    const id = post.body.id;

    const one = await http(stack, 'GET', `/api/1/composes/${id}`);
    assertValid(ComposeDetailSchema, one.body, 'GET one');

    const list = await http(stack, 'GET', '/api/1/composes/?source_type=tag&per_page=5');
    assertValid(ComposeListSchema, list.body, 'list');
    assert.ok(list.body.items.some((c: any) => c.id === id));

    const renew = await http(stack, 'PATCH', `/api/1/composes/${id}`, { seconds_to_live: 60 });
    assert.equal(renew.status, 404); // still waiting: not renewable
    assertValid(ErrorSchema, renew.body, 'PATCH error');

    for (const [path, status] of [['/api/1/composes/999999999999', 404], ['/api/1/composes/?order_by=bad', 400], ['/nowhere', 404]] as const) {
      const res = await http(stack, 'GET', path);
      assert.equal(res.status, status, path);
      assertValid(ErrorSchema, res.body, path);
    }
    const bad = await http(stack, 'POST', '/api/1/composes/', { source: { type: 'tag', source: 'demo' }, flags: ['fast'] });
    assert.equal(bad.status, 400);
    assertValid(ErrorSchema, bad.body, 'POST error');

    const events = await http(stack, 'GET', '/api/1/events?compose_id=abc');
    assert.equal(events.status, 400);
    assert.deepEqual(events.body, ERROR_EXAMPLES.badEventsQuery, 'the documented example is what the API says');

    assertValid(AboutSchema, (await http(stack, 'GET', '/api/1/about/')).body, 'about');
    assertValid(HealthSchema, (await http(stack, 'GET', '/healthz')).body, 'healthz');
    const ready = await http(stack, 'GET', '/readyz');
    assert.equal(ready.status, 200, ready.text);
    assertValid(ReadySchema, ready.body, 'readyz');
  });
});
