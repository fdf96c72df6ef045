// api/routing.ts: one route object registers, documents and validates; parts named in `parsedBy`
// are documented but left to the handler's ODCS parser; zod failures answer with ODCS's body.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRoute, z } from '@hono/zod-openapi';
import { createRouter, json, register } from '../../api/routing.js';

const body = z.object({ n: z.int() });
const route = createRoute({
  method: 'post',
  path: '/things/{id}/',
  request: {
    params: z.object({ id: z.string().regex(/^\d+$/) }),
    query: z.object({ q: z.enum(['a', 'b']).optional() }),
    body: { content: json(body), required: true },
  },
  responses: { 200: { description: 'ok', content: json(z.object({ got: z.string() })) } },
});

function app(parsedBy?: { body: string }) {
  const a = createRouter();
  register(a, route, async (c) => c.json({ got: await c.req.text() }, 200), { parsedBy });
  return a;
}

describe('register', () => {
  it('documents the route once, with its full request', () => {
    for (const a of [app(), app({ body: 'the handler' })]) {
      const doc = a.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 't', version: '1' } });
      assert.deepEqual(Object.keys(doc.paths ?? {}), ['/things/{id}/']);
      const op = (doc.paths!['/things/{id}/'] as any).post;
      assert.ok(op.requestBody.content['application/json'], 'the body is documented');
      assert.deepEqual(op.parameters.map((p: any) => p.name).sort(), ['id', 'q']);
    }
  });

  it('zod failures answer 400 with ODCS\'s error body', async () => {
    const res = await app().request('/things/x?q=c', { method: 'POST', body: '{"n":1}', headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 400);
    const b = await res.json();
    assert.deepEqual(Object.keys(b), ['status', 'error', 'message']);
    assert.equal(b.status, 400);
    assert.equal(b.error, 'Bad Request');
    assert.match(b.message, /^(q|id): /);
  });

  it('a body named in parsedBy reaches the handler whatever its Content-Type; the trailing slash is optional', async () => {
    const strict = await app().request('/things/1/', { method: 'POST', body: 'n=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(strict.status, 415, 'zod would refuse a form body');
    const odcs = app({ body: 'the handler' });
    for (const path of ['/things/1/', '/things/1']) {
      const res = await odcs.request(path, { method: 'POST', body: '{"not":"checked"}', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      assert.equal(res.status, 200, path);
      assert.deepEqual(await res.json(), { got: '{"not":"checked"}' });
    }
    const badParam = await odcs.request('/things/x', { method: 'POST', body: '{}' });
    assert.equal(badParam.status, 400, 'params are still validated by zod');
  });
});
