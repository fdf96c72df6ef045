// The Packager Dashboard endpoints over a real stack, fake upstreams and a fake OpenID Connect
// provider: the landing page, deployment env, service messages behind their secret, the login
// round trip and current_user, the v1 per-user and per-package views, the real data of the orphans,
// fails-to-install and calendar fields, and a newcomer's first read (202, refreshes at a higher
// priority than scheduled work).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { refreshWorkflowId } from '../../core/providers/registry.js';
import { http, startStack, type Stack } from '../harness/stack.js';
import { startFakeOidc, type FakeOidc } from '../fixtures/fake-oidc.js';
import { smallFedora, startFakeUpstreams, type FakeUpstreams } from '../fixtures/upstreams.js';

let stack: Stack;
let up: FakeUpstreams;
let oidc: FakeOidc;
const MOTD = 'motd-secret-123';
const DASHBOARD = 'http://dashboard.example';

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const v = await fn();
    if (v) return v;
    last = v;
    if (Date.now() > deadline) {
      // Say which keys are missing or failing: that is what a hung poll means.
      const providers = (await http(stack, 'GET', '/api/v1/providers')).body.filter((p: any) => p.failing_rows || p.stale);
      const rows = await stack.pool.query(`SELECT provider, arg, time_created IS NOT NULL AS fetched, last_error FROM cached_data WHERE time_created IS NULL OR last_error IS NOT NULL`);
      throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)}; providers: ${JSON.stringify(providers)}; rows: ${JSON.stringify(rows.rows)})`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

before(async () => {
  up = await startFakeUpstreams(smallFedora());
  oidc = await startFakeOidc({ clientId: 'dashboard', clientSecret: 'client-secret', audience: 'dashboard' });
  stack = await startStack({
    env: {
      ...up.env,
      UPSTREAM_BACKOFF_MS: '10',
      REFRESH_ATTEMPTS: '1',
      OPENSHIFT_PROD: '1',
      MOTD_PASSWORD: MOTD,
      OIDC_CLIENT_SECRET: 'client-secret',
      OIDC_ALLOWED_REDIRECTS: DASHBOARD,
      SECRET_KEY: 'a-secret-key-for-the-tests',
    },
    settings: { auth_backend: 'noauth', oidc_issuer: oidc.issuer, oidc_audience: 'dashboard', oidc_jwks_url: oidc.jwksUrl },
  });
});

after(async () => {
  await stack?.stop();
  await up?.close();
  await oidc?.close();
});

describe('small endpoints', () => {
  test('deployment_env', async () => {
    const res = await http(stack, 'GET', '/api/v1/deployment_env');
    assert.deepEqual(res.body, { deployment_env: 'prod' });
  });

  test('landing_page lists the schedule with one current event', async () => {
    const res = await until('the schedule', async () => {
      const r = await http(stack, 'GET', '/api/v1/landing_page');
      return r.body.schedule.length ? r : null;
    });
    assert.deepEqual(Object.keys(res.body), ['schedule']);
    assert.deepEqual(
      res.body.schedule.map((e: any) => [e.summary, e.date]),
      [
        ['Branch Fedora 43 from Rawhide', '2025-08-12'],
        ['Beta Freeze (starts at 14:00 UTC)', '2025-08-19'],
        ['Final Target date #1', '2025-10-28'],
        ['Fedora 41 EOL', '2025-11-19'],
      ],
    );
    for (const e of res.body.schedule) assert.deepEqual(Object.keys(e), ['summary', 'date', 'current']);
    assert.equal(res.body.schedule.filter((e: any) => e.current).length, 1);
  });

  test('service messages: anyone reads, only the secret writes', async () => {
    assert.deepEqual((await http(stack, 'GET', '/api/v1/motd/service_messages')).body, []);
    const msg = { severity: 'warning', text: 'Bodhi is read-only tonight' };
    const anon = await http(stack, 'POST', '/api/v1/motd/service_messages', msg, { 'Content-Type': 'application/json' });
    assert.equal(anon.status, 401);
    assert.deepEqual(Object.keys(anon.body), ['status', 'error', 'message']);
    const wrong = await http(stack, 'POST', '/api/v1/motd/service_messages', msg, { Authorization: 'Bearer nope-nope-nope' });
    assert.equal(wrong.status, 403);
    const badBody = await http(stack, 'POST', '/api/v1/motd/service_messages', { severity: 'purple', text: 'x' }, { Authorization: `Bearer ${MOTD}` });
    assert.equal(badBody.status, 400);
    assert.match(badBody.body.message, /severity/);
    const ok = await http(stack, 'POST', '/api/v1/motd/service_messages', msg, { Authorization: `Bearer ${MOTD}` });
    assert.equal(ok.status, 201);
    assert.deepEqual((await http(stack, 'GET', '/api/v1/motd/service_messages')).body, [{ id: ok.body.id, ...msg }]);
    assert.equal((await http(stack, 'DELETE', `/api/v1/motd/service_messages/${ok.body.id}`)).status, 401);
    assert.equal((await http(stack, 'DELETE', `/api/v1/motd/service_messages/${ok.body.id}`, undefined, { Authorization: `Bearer ${MOTD}` })).status, 200);
    assert.deepEqual((await http(stack, 'GET', '/api/v1/motd/service_messages')).body, []);
  });
});

describe('OpenID Connect login', () => {
  test('current_user without a token is the unauthenticated default', async () => {
    assert.deepEqual((await http(stack, 'GET', '/api/v1/current_user')).body, { is_authenticated: false, user: '', fas_groups: [] });
    assert.deepEqual((await http(stack, 'GET', '/api/v1/current_user', undefined, { Cookie: 'token=garbage' })).body, { is_authenticated: false, user: '', fas_groups: [] });
  });

  test('login, callback, token, current_user, logout', async () => {
    oidc.user = { name: 'carol', groups: ['packager', 'python-sig'] };
    const start = await fetch(`${stack.baseUrl}/api/v1/oidc_login?redirect=${encodeURIComponent(`${DASHBOARD}/after?x=1`)}`, { redirect: 'manual' });
    assert.equal(start.status, 302);
    const authorize = new URL(start.headers.get('location')!);
    assert.equal(authorize.origin + authorize.pathname, `${oidc.issuer}/authorize`);
    assert.equal(authorize.searchParams.get('redirect_uri'), `${stack.baseUrl}/oidc_callback`);
    const cookie = start.headers.get('set-cookie')!.split(';')[0];
    const atProvider = await fetch(authorize, { redirect: 'manual' });
    assert.equal(atProvider.status, 302);
    const callback = new URL(atProvider.headers.get('location')!);
    assert.equal(callback.pathname, '/oidc_callback');

    // Without the state cookie (another browser) the callback refuses.
    const stolen = await fetch(callback, { redirect: 'manual' });
    assert.equal(stolen.status, 400);

    const back = await fetch(callback, { redirect: 'manual', headers: { Cookie: cookie } });
    assert.equal(back.status, 302, await back.clone().text());
    const landing = new URL(back.headers.get('location')!);
    assert.equal(`${landing.origin}${landing.pathname}`, `${DASHBOARD}/after`);
    assert.equal(landing.searchParams.get('x'), '1');
    const token = landing.searchParams.get('oidc_token')!;
    assert.ok(token.split('.').length === 3, 'a JWT');

    const me = { is_authenticated: true, user: 'carol', fas_groups: ['packager', 'python-sig'] };
    assert.deepEqual((await http(stack, 'GET', '/api/v1/current_user', undefined, { Cookie: `token=${token}` })).body, me);
    assert.deepEqual((await http(stack, 'GET', '/api/v1/current_user', undefined, { Authorization: `Bearer ${token}` })).body, me);

    // A code is good once.
    const replay = await fetch(callback, { redirect: 'manual', headers: { Cookie: cookie } });
    assert.equal(replay.status, 400);
    assert.match((await replay.json()).message, /refused the code/);

    const out = await fetch(`${stack.baseUrl}/api/v1/oidc_logout?redirect=/`, { redirect: 'manual' });
    assert.equal(out.status, 302);
    assert.equal(out.headers.get('location'), '/');
    assert.match(out.headers.get('set-cookie') ?? '', /^token=;/);
  });

  test('a redirect to a foreign origin is refused', async () => {
    for (const target of ['https://evil.example/', '//evil.example/x', 'javascript:alert(1)']) {
      const res = await http(stack, 'GET', `/api/v1/oidc_login?redirect=${encodeURIComponent(target)}`);
      assert.equal(res.status, 400, target);
    }
  });
});

describe('dashboard data', () => {
  test('v1 user view: static_info and sections, complete after polling', async () => {
    // The first read of a cold cache: every provider runs; generous for a loaded machine.
    const res = await until(
      'alice complete',
      async () => {
        const r = await http(stack, 'GET', '/api/v1/packager_dashboard/alice');
        return r.status === 200 ? r : null;
      },
      180_000,
    );
    const b = res.body;
    assert.deepEqual(Object.keys(b), ['static_info', 'bzs', 'prs', 'abrt_reports']);
    assert.equal(b.static_info.status, 200);
    assert.ok(b.static_info.last_synced);
    const d = b.static_info.data;
    assert.deepEqual(Object.keys(d), ['packages', 'primary_packages', 'group_packages', 'package_versions', 'calendars', 'orphans', 'fails_to_install', 'koschei', 'updates', 'overrides']);
    // alice owns bar and foo and is a member of kde, which has commit access to baz.
    assert.deepEqual(d.packages, ['bar', 'baz', 'foo']);
    assert.deepEqual(d.primary_packages, ['bar', 'foo']);
    assert.deepEqual(d.group_packages, { kde: ['baz'] });
    assert.equal(d.orphans.bar.depends_on_orphaned, true);
    assert.deepEqual(d.orphans.bar.direct_dependencies, ['lonely']);
    assert.equal(d.orphans.foo.orphaned, false);
    assert.equal(d.fails_to_install.foo.length, 2);
    assert.equal(d.calendars.foo.length, 2);
    assert.equal(d.calendars.bar, null, 'no calendar');
    assert.equal(d.package_versions.foo['Fedora 41'].testing, 'foo-1.2-1.fc41');
    assert.deepEqual(b.bzs.data.foo.map((x: any) => x.bug_id), [1001, 1002, 1003]);
    assert.equal(b.prs.status, 200);
    assert.equal(b.abrt_reports.data.foo.problems_present, true);
  });

  test('v2 carries the new providers\' data', async () => {
    const res = await until('alice v2 complete', async () => {
      const r = await http(stack, 'GET', '/api/v2/packager_dashboard?users=alice');
      return r.body.status === 200 ? r : null;
    });
    const foo = res.body.packages.foo.data;
    assert.equal(foo.fails_to_install[1].problems.x86_64.since, '2024-05-01T10:00:00.123456789Z');
    assert.equal(foo.calendars[0].calendar_name, 'foo releases');
    assert.equal(res.body.packages.bar.data.orphans.depends_on_orphaned, true);
    assert.deepEqual(res.body.packages.bar.data.calendars, []);
  });

  test('v1: a non-packager is 404 in static_info; the package view', async () => {
    const nobody = await http(stack, 'GET', '/api/v1/packager_dashboard/nobody');
    assert.equal(nobody.body.static_info.status, 404);
    assert.deepEqual(nobody.body.static_info.data.packages, []);
    const pkg = await until('package foo', async () => {
      const r = await http(stack, 'GET', '/api/v1/packager_dashboard/package/foo');
      return r.status === 200 ? r : null;
    });
    assert.deepEqual(pkg.body.static_info.data.packages, ['foo']);
    assert.equal((await http(stack, 'GET', '/api/v1/packager_dashboard/package/..%2Fx')).status, 400);
  });

  test("a newcomer's first read is 202 and its refreshes go first", async () => {
    // carol's package qux has never been asked for.
    const first = await http(stack, 'GET', '/api/v2/packager_dashboard?users=carol');
    assert.equal(first.status, 202);
    assert.equal(first.body.status === 200, false);
    const wf = refreshWorkflowId(stack.config.taskQueue, 'packager_dashboard_package_prs', 'qux');
    const desc = await until('the refresh of qux', () => stack.temporal.client.workflow.getHandle(wf).describe().catch(() => null));
    assert.equal(desc.priority?.priorityKey, 1);
    const visits = await stack.pool.query(`SELECT kind, name, visits FROM dashboard_visits WHERE name = 'carol'`);
    assert.deepEqual(visits.rows, [{ kind: 'user', name: 'carol', visits: 1 }]);
    await until('carol complete', async () => {
      const r = await http(stack, 'GET', '/api/v2/packager_dashboard?users=carol');
      return r.body.status === 200 ? r : null;
    });
  });
});
