// The oraculum HTTP API over a real stack and fake upstreams: the exact /api/v1/releases shape,
// the dashboard's 200/202/204 statuses and complete data fields, users/groups/packages/orphan
// resolution, stale data served while it refreshes, each key queued once however many clients
// poll, the versions view, autocomplete lists, and the admin endpoints with their permissions.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readRow } from '../../store/cache.js';
import { http, startStack, type Stack } from '../harness/stack.js';
import { smallFedora, startFakeUpstreams, type FakeUpstreams } from '../fixtures/upstreams.js';

let stack: Stack;
let up: FakeUpstreams;

const DATA_FIELDS = ['bzs', 'prs', 'updates', 'overrides', 'koschei', 'orphans', 'fails_to_install', 'abrt_reports', 'calendars', 'package_versions'];

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const v = await fn();
    if (v) return v;
    last = v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

const dashboard = (query: string) => http(stack, 'GET', `/api/v2/packager_dashboard?${query}`);

/** Polls like the frontend until the body says 200. */
async function complete(query: string) {
  return until(`${query} to be complete`, async () => {
    const res = await dashboard(query);
    return res.body.status === 200 ? res : null;
  });
}

function assertEveryField(pkg: any) {
  assert.deepEqual(Object.keys(pkg), ['maintainers', 'data']);
  assert.deepEqual(Object.keys(pkg.maintainers), ['users', 'groups']);
  assert.deepEqual(Object.keys(pkg.data), DATA_FIELDS);
}

before(async () => {
  up = await startFakeUpstreams(smallFedora());
  stack = await startStack({ env: { ...up.env, UPSTREAM_BACKOFF_MS: '10', REFRESH_ATTEMPTS: '1' } });
});

after(async () => {
  await stack?.stop();
  await up?.close();
});

describe('on a cold cache', () => {
  test('/api/v1/releases is a 503 that queues the refresh, then the exact shape', async () => {
    const cold = await http(stack, 'GET', '/api/v1/releases');
    assert.equal(cold.status, 503);
    assert.deepEqual(Object.keys(cold.body), ['status', 'error', 'message']);
    assert.equal(cold.headers.get('retry-after'), '30');
    const res = await until('releases', async () => {
      const r = await http(stack, 'GET', '/api/v1/releases');
      return r.status === 200 ? r : null;
    });
    assert.deepEqual(res.body, { fedora: { stable: 41, branched: 42, rawhide: 43, values: [40, 41, 42, 43], branched_frozen: true }, epel: [8, 9] });
    assert.equal(res.text, '{"fedora":{"stable":41,"branched":42,"rawhide":43,"values":[40,41,42,43],"branched_frozen":true},"epel":[8,9]}');
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
  });

  test('a first dashboard read says 204 in a 202, every key is queued once however often clients poll, then 200', async () => {
    const first = await dashboard('users=alice');
    assert.equal(first.status, 202);
    assert.deepEqual(first.body, { status: 204, error: null, packages: {} });
    // Impatient clients polling at once.
    await Promise.all(Array.from({ length: 8 }, () => dashboard('users=alice')));
    const res = await complete('users=alice');
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.body.packages), ['bar', 'foo']);
    for (const pkg of Object.values(res.body.packages)) assertEveryField(pkg);
    for (const pkg of ['foo', 'bar']) {
      assert.equal(up.count(new RegExp(`^/pagure/api/0/rpms/${pkg}/pull-requests`)), 1, `PRs of ${pkg} asked once`);
      assert.equal(up.count(new RegExp(`^/faf/problems/\\?component_names=${pkg}&`)), 1, `ABRT of ${pkg} asked once`);
      assert.equal(up.count(new RegExp(`^/bugzilla/rest/bug\\?.*component=${pkg}&`)), 1, `bugs of ${pkg} asked once`);
    }
    assert.equal(up.count(/pagure_owner_alias/), 1);
  });
});

describe('dashboard', () => {
  before(async () => {
    // Warm everything the tests below read.
    await complete('users=alice,bob,carol,orphan&groups=python,kde');
  });

  test('users: packages, maintainers and the data of each', async () => {
    const res = await complete('users=alice,bob');
    const { foo, bar, baz } = res.body.packages;
    assert.deepEqual(Object.keys(res.body.packages), ['bar', 'baz', 'foo']);
    assert.deepEqual(foo.maintainers, { users: ['alice', 'bob'], groups: [] });
    assert.deepEqual(bar.maintainers, { users: ['alice'], groups: [] });
    assert.deepEqual(baz.maintainers, { users: ['bob'], groups: [] });
    assert.deepEqual(foo.data.bzs.map((b: any) => b.bug_id), [1001, 1002, 1003]);
    assert.deepEqual(foo.data.prs.map((p: any) => p.ci_status), [{ 'simple-koji-ci': 'pending', Zuul: 'success' }, {}]);
    assert.deepEqual(foo.data.updates.map((u: any) => u.updateid).sort(), ['FEDORA-2024-aaa', 'FEDORA-2024-bbb', 'FEDORA-EPEL-2024-ccc']);
    assert.equal(foo.data.overrides[0].pretty_name, 'foo-1.2-1.fc41');
    assert.deepEqual(foo.data.koschei.map((k: any) => [k.release, k.status]), [['Fedora 41', 'ok'], ['Fedora Rawhide', 'failing']]);
    assert.deepEqual(foo.data.orphans, { orphaned: false, depends_on_orphaned: false, orphaned_since: null });
    assert.deepEqual(foo.data.fails_to_install.map((f: any) => [f.release, f.repo]), [['Fedora 41', 'stable'], ['Fedora Rawhide', 'rawhide']]);
    assert.equal(foo.data.abrt_reports.outstanding_problems[0].id, 11);
    assert.deepEqual(foo.data.calendars.map((e: any) => e.date), ['2025-03-01', '2025-06-01']);
    assert.equal(bar.data.orphans.depends_on_orphaned, true);
    assert.deepEqual(bar.data.calendars, []);
    assert.deepEqual(foo.data.package_versions['Fedora 41'], { stable: 'foo-1.1-2.fc41', testing: 'foo-1.2-1.fc41' });
    assert.deepEqual(baz.data.koschei, []);
  });

  test('groups with required_acl: commit includes admin, admin only admin; maintainers.groups filled', async () => {
    const commit = await complete('groups=python');
    assert.deepEqual(Object.keys(commit.body.packages), ['foo', 'qux']);
    assert.deepEqual(commit.body.packages.qux.maintainers, { users: [], groups: ['python'] });
    const admin = await complete('groups=python&required_acl=admin');
    assert.deepEqual(Object.keys(admin.body.packages), ['qux']);
    assert.deepEqual(admin.body.packages.qux.maintainers.groups, ['python']);
    const both = await complete('users=carol&groups=python,kde');
    assert.deepEqual(both.body.packages.qux.maintainers, { users: ['carol'], groups: ['python'] });
    assert.deepEqual(both.body.packages.baz.maintainers, { users: [], groups: ['kde'] });
  });

  test('packages= alone has empty maintainers; users=orphan is a user', async () => {
    const res = await complete('packages=baz');
    assert.deepEqual(res.body.packages, { baz: res.body.packages.baz });
    assert.deepEqual(res.body.packages.baz.maintainers, { users: [], groups: [] });
    const orphan = await complete('users=orphan');
    assert.deepEqual(Object.keys(orphan.body.packages), ['lonely']);
    assert.equal(orphan.body.packages.lonely.data.orphans.orphaned, true);
  });

  test('an unknown user is a complete, empty answer', async () => {
    const res = await dashboard('users=nobody-at-all');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: 200, error: null, packages: {} });
  });

  test('partial data is a 202 with every field present and defaults where data is missing', async () => {
    await complete('users=alice');
    await http(stack, 'DELETE', '/api/v1/admin/cache?provider=packager-dashboard');
    const partial = await dashboard('users=alice');
    assert.equal(partial.status, 202);
    assert.equal(partial.body.status, 202);
    for (const pkg of Object.values(partial.body.packages)) assertEveryField(pkg);
    assert.deepEqual(partial.body.packages.foo.data.bzs, []);
    assert.deepEqual(partial.body.packages.foo.data.abrt_reports, { outstanding_problems: [], problems_present: false, retrace_link: '' });
    assert.equal(partial.body.packages.foo.data.prs.length, 2, 'what is cached is served');
    const res = await complete('users=alice');
    assert.equal(res.body.packages.foo.data.bzs.length, 3);
  });

  test('stale data is served at once while its refresh runs', async () => {
    await complete('packages=foo');
    await stack.pool.query(`UPDATE cached_data SET time_created = now() - interval '3 days' WHERE provider = 'packager_dashboard_package_prs' AND arg = 'foo'`);
    await stack.pool.query(`UPDATE cached_data SET time_queued = NULL WHERE arg = 'foo'`);
    up.data.prs.foo[0].title = 'Update to 1.5';
    const held = up.hold(/^\/pagure\/api\/0\/rpms\/foo\/pull-requests/);
    const stale = await dashboard('packages=foo');
    assert.equal(stale.body.status, 200, 'stale is still complete');
    assert.equal(stale.body.packages.foo.data.prs[0].title, 'Update to 1.4');
    await until('the refresh to reach Pagure', async () => held.waiting() === 1);
    const meanwhile = await dashboard('packages=foo');
    assert.equal(meanwhile.body.packages.foo.data.prs[0].title, 'Update to 1.4', 'still the old data while the upstream answers');
    held.release();
    await until('the new PR title', async () => (await dashboard('packages=foo')).body.packages.foo.data.prs[0].title === 'Update to 1.5');
  });

  test('a failed refresh keeps serving the old data', async () => {
    await stack.pool.query(`UPDATE cached_data SET time_created = now() - interval '3 days', time_queued = NULL WHERE provider = 'packager-dashboard_abrt_issues' AND arg = 'foo'`);
    up.fail(/^\/faf\//, 'malformed');
    const res = await dashboard('packages=foo');
    assert.equal(res.body.packages.foo.data.abrt_reports.outstanding_problems[0].id, 11);
    await until('the failure to be recorded', async () => (await readRow(stack.pool, 'packager-dashboard_abrt_issues', 'foo'))?.last_error);
    const again = await dashboard('packages=foo');
    assert.equal(again.body.packages.foo.data.abrt_reports.outstanding_problems[0].id, 11);
    const providers = await http(stack, 'GET', '/api/v1/providers');
    const abrt = providers.body.find((p: any) => p.name === 'packager-dashboard_abrt_issues');
    assert.equal(abrt.failing_rows, 1);
    assert.match(abrt.last_error, /not JSON/);
    up.clearFaults();
  });

  test('bad queries are 400 with the error body', async () => {
    for (const q of ['', 'required_acl=owner&users=alice', 'users=al%20ice', 'packages=..%2Fetc']) {
      const res = await dashboard(q);
      assert.equal(res.status, 400, q);
      assert.deepEqual(Object.keys(res.body), ['status', 'error', 'message']);
    }
  });
});

describe('lists, versions, caching info', () => {
  test('autocomplete lists', async () => {
    await complete('users=alice&groups=python');
    assert.deepEqual((await http(stack, 'GET', '/api/v1/packager_dashboard/all_fedora_packages')).body, ['bar', 'baz', 'foo', 'lonely', 'qux']);
    assert.deepEqual((await http(stack, 'GET', '/api/v1/packager_dashboard/all_fedora_packagers')).body, ['alice', 'bob', 'carol', 'orphan']);
    assert.deepEqual((await http(stack, 'GET', '/api/v1/packager_dashboard/all_fedora_groups')).body, ['kde', 'python']);
  });

  test('packager_dashboard_caching', async () => {
    assert.deepEqual((await http(stack, 'GET', '/api/v1/packager_dashboard_caching')).body, { visits_required_every_n_days: 14 });
  });

  test('versions of one package: 204 in a 202 first, then the table', async () => {
    up.data.mdapi.f41.newpkg = { version: '2.0', release: '1.fc41' };
    up.data.mdapi.rawhide.newpkg = { version: '2.1', release: '1.fc43' };
    const cold = await http(stack, 'GET', '/api/v1/versions/newpkg');
    assert.equal(cold.status, 202);
    assert.deepEqual(cold.body, { status: 204, package: 'newpkg', versions: {}, last_synced: null });
    const res = await until('versions of newpkg', async () => {
      const r = await http(stack, 'GET', '/api/v1/versions/newpkg');
      return r.body.status === 200 ? r : null;
    });
    assert.deepEqual(res.body.versions, {
      'Fedora 41': { stable: 'newpkg-2.0-1.fc41', testing: null },
      'Fedora Rawhide': { stable: 'newpkg-2.1-1.fc43', testing: null },
    });
    assert.ok(Date.parse(res.body.last_synced) > 0);
    assert.equal((await http(stack, 'GET', '/api/v1/versions/bad%20name')).status, 400);
  });
});

describe('admin endpoints', () => {
  test('refresh a provider, a package, everything; clear by prefix and all', async () => {
    const res = await http(stack, 'POST', '/api/v1/admin/refresh/koschei');
    assert.equal(res.status, 202);
    assert.equal(res.body.provider, 'koschei_data');
    assert.equal(res.body.workflow_id, `oraculum-refresh-${stack.config.taskQueue}-koschei_data`);
    assert.match(res.body.url, /\/namespaces\/default\/workflows\/oraculum-refresh-/);
    await stack.temporal.client.workflow.getHandle(res.body.workflow_id).result();

    const pkg = await http(stack, 'POST', '/api/v1/admin/refresh/packager_dashboard_package_prs?package=qux');
    assert.equal(pkg.status, 202);
    await stack.temporal.client.workflow.getHandle(pkg.body.workflow_id).result();
    assert.deepEqual((await readRow(stack.pool, 'packager_dashboard_package_prs', 'qux'))!.data, []);

    const all = await http(stack, 'POST', '/api/v1/admin/refresh/all');
    assert.equal(all.status, 202);
    await stack.temporal.client.workflow.getHandle(all.body.workflow_id).result();

    assert.equal((await http(stack, 'POST', '/api/v1/admin/refresh/nope')).status, 404);
    assert.equal((await http(stack, 'POST', '/api/v1/admin/refresh/koschei_data?package=foo')).status, 400);

    const cleared = await http(stack, 'DELETE', '/api/v1/admin/cache?provider=bodhi_');
    assert.equal(cleared.status, 200);
    assert.equal(cleared.body.provider, 'bodhi_');
    assert.ok(cleared.body.deleted > 0);
    assert.equal(await readRow(stack.pool, 'bodhi_updates'), null);
    assert.ok(await readRow(stack.pool, 'koschei_data'));
    const everything = await http(stack, 'DELETE', '/api/v1/admin/cache');
    assert.ok(everything.body.deleted > 0);
    assert.equal((await stack.pool.query('SELECT count(*)::int AS n FROM cached_data')).rows[0].n, 0);
  });

  test('need an admin', async () => {
    const guarded = await startStack({
      workers: false,
      env: up.env,
      settings: { auth_backend: 'header', trusted_proxies: ['127.0.0.1'], admins: { users: ['boss'] } },
    });
    try {
      const anon = await http(guarded, 'DELETE', '/api/v1/admin/cache');
      assert.equal(anon.status, 401);
      const pleb = await http(guarded, 'POST', '/api/v1/admin/refresh/koschei', undefined, { 'X-Remote-User': 'pleb' });
      assert.equal(pleb.status, 403);
      assert.deepEqual(pleb.body, { status: 403, error: 'Forbidden', message: 'User pleb is not in role admins.' });
      const boss = await http(guarded, 'DELETE', '/api/v1/admin/cache?provider=x', undefined, { 'X-Remote-User': 'boss' });
      assert.equal(boss.status, 200);
      assert.deepEqual(boss.body, { deleted: 0, provider: 'x' });
      // Reads stay anonymous.
      assert.equal((await http(guarded, 'GET', '/api/v1/packager_dashboard_caching')).status, 200);
    } finally {
      await guarded.stop();
    }
  });
});
