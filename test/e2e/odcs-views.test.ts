// ODCS's own view tests (spec Part B section 9, server/tests/test_views.py), translated into HTTP
// requests against the running API, for the cases that apply under noauth. The cases that need
// users, groups and admins belong to the authentication work.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildRepo } from '../../scripts/rpm-fixtures.js';
import { http, startStack, testTmpDir, waitForState, type Stack } from '../harness/stack.js';

let stack: Stack;
const HOUR = 3600;

const ttlOf = (c: any) => (Date.parse(c.time_to_expire) - Date.parse(c.time_submitted)) / 1000;

async function post(body: unknown) {
  return http(stack, 'POST', '/api/1/composes/', body);
}

before(async () => {
  const repos = testTmpDir('repos');
  await buildRepo(path.join(repos, 'f26'), [{ name: 'ed' }, { name: 'sed', requires: ['ed'] }]);
  stack = await startStack({
    env: { REPO_ROOTS: repos },
    settings: {
      sigkeys: ['x', 'y'],
      extra_target_dirs: { 'releng-private': path.join(repos, 'private') },
      allowed_target_dirs: ['releng-private'],
      tags: { f26: { repos: [path.join(repos, 'f26')] } },
    },
  });
});

after(async () => {
  await stack?.stop();
});

describe('read-only and errors', () => {
  test('GET /api/1/about/ (and without the slash, as the Python client asks)', async () => {
    for (const p of ['/api/1/about/', '/api/1/about']) {
      const res = await http(stack, 'GET', p);
      assert.equal(res.status, 200);
      assert.deepEqual(Object.keys(res.body).sort(), ['allowed_clients', 'auth_backend', 'raw_config_urls', 'sigkeys', 'version']);
      assert.equal(res.body.auth_backend, 'noauth');
      assert.deepEqual(res.body.sigkeys, ['x', 'y']);
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
    }
  });

  test('unknown ids and non-integer ids are 404 with the error body', async () => {
    for (const p of ['/api/1/composes/999999999999', '/api/1/composes/abc', '/api/1/composes/-1']) {
      const res = await http(stack, 'GET', p);
      assert.equal(res.status, 404, p);
      assert.deepEqual(res.body, { status: 404, error: 'Not Found', message: 'No such compose found.' });
    }
  });
});

describe('POST', () => {
  test('a tag compose: the exact compose JSON in wait', async () => {
    await stack.stopWorkers();
    try {
      const res = await post({ source: { type: 'tag', source: 'f26', packages: ['sed'] } });
      assert.equal(res.status, 200);
      const c = res.body;
      assert.equal(c.state, 0);
      assert.equal(c.state_name, 'wait');
      assert.equal(c.owner, 'unknown');
      assert.equal(c.source_type, 1);
      assert.equal(c.arches, 'x86_64');
      assert.deepEqual(c.results, ['repository']);
      assert.deepEqual(c.flags, []);
      assert.equal(c.compose_type, 'test');
      assert.equal(c.target_dir, 'default');
      assert.equal(c.sigkeys, 'x y', 'default sigkeys come from the configuration');
      assert.equal(c.result_repofile, `${stack.config.targetDirUrl}/odcs-${c.id}/compose/Temporary/odcs-${c.id}.repo`);
      assert.match(c.time_submitted, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.equal('pungi_config_dump' in c, false, 'only a single GET carries pungi_config_dump');
      const single = await http(stack, 'GET', `/api/1/composes/${c.id}`);
      assert.equal(single.body.pungi_config_dump, null);
      assert.equal(single.headers.get('access-control-allow-origin'), '*');
      // PATCH of a compose that is not done, removed or failed: ODCS answers 404.
      const patch = await http(stack, 'PATCH', `/api/1/composes/${c.id}`, { 'seconds-to-live': 60 });
      assert.equal(patch.status, 404);
      assert.equal(patch.body.message, `No compose with id ${c.id} found`);
    } finally {
      await stack.startWorkers();
    }
  });

  test('TTL: 12 h stays, 7 days is capped at 3, none is 24 h', async () => {
    assert.equal(ttlOf((await post({ source: { type: 'tag', source: 'f26' }, seconds_to_live: 12 * HOUR })).body), 12 * HOUR);
    assert.equal(ttlOf((await post({ source: { type: 'tag', source: 'f26' }, 'seconds-to-live': 7 * 24 * HOUR })).body), 72 * HOUR);
    assert.equal(ttlOf((await post({ source: { type: 'tag', source: 'f26' } })).body), 24 * HOUR);
  });

  test('duplicate sources are removed; multilib_method names are OR-ed; build with no source is accepted', async () => {
    assert.equal((await post({ source: { type: 'tag', source: 'f26 f26' } })).body.source, 'f26');
    assert.equal((await post({ source: { type: 'tag', source: 'f26' }, multilib_method: ['runtime', 'devel'] })).body.multilib_method, 3);
    const build = await post({ source: { type: 'build', builds: ['ed-1.0-1'] } });
    assert.equal(build.status, 200);
    assert.equal(build.body.source, '');
    assert.equal(build.body.builds, 'ed-1.0-1');
  });

  test('bad requests answer 400 with ODCS messages', async () => {
    const cases: Array<[unknown, string]> = [
      [{ source: { type: 'tag', source: 'f26' }, target_dir: 'foo' }, 'Unknown "target_dir" "foo"'],
      [{ source: { type: 'x', source: 'f26' } }, 'Unknown source type "x"'],
      [{ source: { type: 'tag', source: '' } }, 'No source provided for 1'],
      [{ source: { type: 'tag', source: 'f26' }, flags: ['foo'] }, "('Unknown flag %s', 'foo')"],
      [{ source: { type: 'tag', source: 'f26' }, seconds_to_live: '600s' }, 'seconds_to_live should be an integer'],
      [{ source: 'f26' }, "Invalid source configuration provided: {'source': 'f26'}"],
      [{ source: { type: 'tag', source: 'f26' }, results: ['boot.iso'] }, 'Results other than "repository" cannot be produced by this server: boot.iso.'],
    ];
    for (const [body, message] of cases) {
      const res = await post(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.deepEqual(res.body, { status: 400, error: 'Bad Request', message });
    }
    const broken = await post('{');
    assert.equal(broken.status, 400);
    assert.match(broken.body.message, /^Failed to decode JSON object/);
  });

  test('source types the configuration does not allow are 403', async () => {
    const res = await post({ source: { type: 'module', source: 'testmodule:master' } });
    assert.equal(res.status, 403);
    assert.equal(res.body.message, 'User unknown not allowed to operate with compose with source_types=module.');
  });

  test('an allowed extra target_dir is stored by name and has no URLs', async () => {
    const res = await post({ source: { type: 'tag', source: 'f26' }, target_dir: 'releng-private' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.target_dir, 'releng-private');
    assert.equal(res.body.result_repofile, '');
  });
});

describe('GET list', () => {
  test('filters, order_by and paging with absolute links', async () => {
    const owner = await http(stack, 'GET', '/api/1/composes/?owner=unknown&per_page=2');
    assert.equal(owner.status, 200);
    assert.ok(owner.body.meta.total >= 5);
    assert.equal(owner.body.items.length, 2);
    assert.equal(owner.body.meta.per_page, 2);
    assert.match(owner.body.meta.next, new RegExp(`^${stack.baseUrl}/api/1/composes/\\?page=2&per_page=2&owner=unknown$`));
    assert.equal(owner.body.meta.prev, null);
    assert.equal('pungi_config_dump' in owner.body.items[0], false);
    assert.equal((await http(stack, 'GET', '/api/1/composes/?owner=me')).body.meta.total, 0);
    const bySource = (await http(stack, 'GET', '/api/1/composes/?source=f26&source_type=1&per_page=100')).body;
    assert.ok(bySource.items.length > 0 && bySource.items.length === bySource.meta.total, JSON.stringify(bySource.meta));
    assert.ok(bySource.items.every((c: any) => c.source === 'f26' && c.source_type === 1));
    assert.equal((await http(stack, 'GET', '/api/1/composes/?source=f26&source_type=2')).body.meta.total, 0, 'no f26 compose of source_type 2 (module)');
    const ids = (await http(stack, 'GET', '/api/1/composes/?per_page=100')).body.items.map((c: any) => c.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'default order is -id');
    const asc = (await http(stack, 'GET', '/api/1/composes?order_by=id&per_page=100')).body.items.map((c: any) => c.id);
    assert.deepEqual(asc, [...ids].reverse());
    const bad = await http(stack, 'GET', '/api/1/composes/?order_by=foo');
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /^An invalid order_by key was suplied, allowed keys are: \[/);
    const pastEnd = await http(stack, 'GET', '/api/1/composes/?page=9999');
    assert.equal(pastEnd.status, 200);
    assert.deepEqual(pastEnd.body.items, []);
  });

  test('the koji_task_id, pungi_compose_id, compose_type and label filters', async () => {
    const source = { type: 'tag', source: 'f26', packages: ['ed'], sigkeys: [''] };
    const a = (await post({ source, flags: ['no_reuse'], compose_type: 'nightly', label: 'Filter-1.0' })).body;
    const b = (await post({ source, flags: ['no_reuse'], compose_type: 'production', label: 'Filter-2.0' })).body;
    const aDone = await waitForState(stack, a.id, ['done']);
    const bDone = await waitForState(stack, b.id, ['done']);
    assert.ok(aDone.pungi_compose_id && bDone.pungi_compose_id && aDone.pungi_compose_id !== bDone.pungi_compose_id);
    // Nothing in the API sets koji_task_id (ODCS takes it from Koji scratch builds): set it in the row.
    await stack.pool.query('UPDATE composes SET koji_task_id = $2 WHERE id = $1', [a.id, 424242]);
    const ids = async (query: string) => {
      const res = await http(stack, 'GET', `/api/1/composes/?${query}&per_page=100`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.items.map((c: any) => c.id).sort();
    };
    const expected: Record<string, number[]> = {
      'koji_task_id=424242': [a.id],
      'koji_task_id=424243': [],
      [`pungi_compose_id=${encodeURIComponent(bDone.pungi_compose_id)}`]: [b.id],
      'compose_type=nightly': [a.id],
      'compose_type=production': [b.id],
      'label=Filter-2.0': [b.id],
      'label=Filter-2.0&compose_type=nightly': [],
    };
    const got: Record<string, number[]> = {};
    for (const query of Object.keys(expected)) got[query] = await ids(query);
    assert.deepEqual(got, expected);
    assert.ok((await ids('compose_type=test')).length > 0, 'the other composes of this file are of type test');
  });

  test('state filters follow the compose through its life', async () => {
    // sigkeys [""]: no signature check (the configured default keys x and y signed nothing here).
    const created = (await post({ source: { type: 'tag', source: 'f26', packages: ['sed'], sigkeys: [''] }, flags: ['no_reuse'] })).body;
    await waitForState(stack, created.id, ['done']);
    const done = (await http(stack, 'GET', '/api/1/composes/?state=2&per_page=100')).body.items.map((c: any) => c.id);
    assert.ok(done.includes(created.id));
    const byName = (await http(stack, 'GET', '/api/1/composes/?state=done&per_page=100')).body.items.map((c: any) => c.id);
    assert.deepEqual(byName, done);
  });
});

describe('PATCH and DELETE', () => {
  test('renew with new sigkeys or a new label copies the compose; bad bodies are 400', async () => {
    const created = (await post({ source: { type: 'tag', source: 'f26', packages: ['ed'], sigkeys: [''] }, flags: ['no_reuse'] })).body;
    const done = await waitForState(stack, created.id, ['done']);
    const copy = await http(stack, 'PATCH', `/api/1/composes/${created.id}`, { sigkeys: ['z'] });
    assert.equal(copy.status, 200);
    assert.notEqual(copy.body.id, created.id);
    assert.equal(copy.body.sigkeys, 'z');
    assert.equal(copy.body.respin_of, done.pungi_compose_id);
    const labelled = await http(stack, 'PATCH', `/api/1/composes/${created.id}`, { label: 'Beta-1.0' });
    assert.notEqual(labelled.body.id, created.id);
    assert.equal(labelled.body.label, 'Beta-1.0');
    const bad = await http(stack, 'PATCH', `/api/1/composes/${created.id}`, { seconds_to_live: '600s' });
    assert.equal(bad.status, 400);
    const abc = await http(stack, 'PATCH', `/api/1/composes/${created.id}`, 'abc');
    assert.equal(abc.status, 400);
    const missing = await http(stack, 'PATCH', '/api/1/composes/999999999', {});
    assert.equal(missing.status, 404);
    const noBody = await http(stack, 'PATCH', `/api/1/composes/${created.id}`);
    assert.equal(noBody.status, 200, 'the body is optional: extend by the default TTL');
    assert.equal(noBody.body.id, created.id);
  });

  test('DELETE of an unknown compose is 404', async () => {
    const res = await http(stack, 'DELETE', '/api/1/composes/999999999');
    assert.equal(res.status, 404);
    assert.equal(res.body.message, 'No such compose found.');
  });
});
