// Package sweeps (refreshRequestedBatch) against the fake upstreams and a real PostgreSQL: bulk
// upstreams asked for many packages at once give the same rows as one package at a time; a
// refresh where nothing changed asks the upstreams' "changed since" filters (Bugzilla
// last_change_time, Bodhi pushed_since/submitted_since) and remembered 404s instead of every
// package; a change is still picked up; a bad answer fails only the packages it was for.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import pg from 'pg';
import { loadConfig } from '../../core/config.js';
import { PACKAGE_PROVIDERS, type PackageProvider } from '../../core/providers/registry.js';
import { clearCache, readData, readRow, touchAndQueue } from '../../store/cache.js';
import { createPool } from '../../store/pool.js';
import { ProviderRuntime } from '../../activities/providers/runtime.js';
import { createTestDatabase, ROOT } from '../harness/stack.js';
import { bodhiUpdate, smallFedora, startFakeUpstreams, type FakeUpstreams } from '../fixtures/upstreams.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;
let up: FakeUpstreams;

const PKGS = ['bar', 'baz', 'foo', 'lonely', 'qux'];

function runtime(env: Record<string, string> = {}) {
  const config = loadConfig({ ...up.env, UPSTREAM_BACKOFF_MS: '5', UPSTREAM_ATTEMPTS: '2', UPSTREAM_TIMEOUT_MS: '5000', ...env }, ROOT);
  return new ProviderRuntime({ pool, providers: config.providers });
}

async function sweep(provider: PackageProvider, rt = runtime()) {
  const r = await rt.refreshRequestedBatch(provider, '', 100);
  return { ...r, stats: { ...rt.client.stats } };
}

before(async () => {
  db = await createTestDatabase();
  pool = createPool(db.url, 4);
});

after(async () => {
  await up?.close();
  await pool?.end();
  await db?.drop();
});

beforeEach(async () => {
  await up?.close();
  await clearCache(pool);
  up = await startFakeUpstreams(smallFedora());
  const rt = runtime();
  for (const p of ['fedora_releases', 'bodhi_updates'] as const) await rt.refreshGlobal(p);
  await touchAndQueue(pool, PKGS.flatMap((arg) => PACKAGE_PROVIDERS.map((provider) => ({ provider, arg, touch: true, queue: false }))), 60);
});

describe('bulk upstreams', () => {
  test('bugs and ABRT reports of a sweep are the rows one package at a time gives, in a few requests', async () => {
    for (const provider of ['packager-dashboard__all_package_bugs', 'packager-dashboard_abrt_issues'] as const) {
      const before = up.requests.length;
      const r = await sweep(provider);
      assert.deepEqual([r.refreshed, r.failed], [PKGS.length, 0]);
      const asked = up.requests.slice(before);
      // One search and one comment request for many bugs at once; one FAF request.
      if (provider === 'packager-dashboard_abrt_issues') assert.equal(asked.length, 1, JSON.stringify(asked));
      else assert.equal(asked.length, 2, JSON.stringify(asked));
      const bulk = await Promise.all(PKGS.map((p) => readData(pool, provider, p)));
      await clearCache(pool, provider);
      const one = runtime();
      for (const p of PKGS) await one.refreshPackage(provider, p);
      assert.equal(up.requests.slice(-1)[0].status, 200);
      assert.deepEqual(await Promise.all(PKGS.map((p) => readData(pool, provider, p))), bulk);
    }
    assert.deepEqual((await readData<any[]>(pool, 'packager-dashboard__all_package_bugs', 'foo'))!.map((b) => [b.bug_id, b.comments]), [
      [1001, 3],
      [1002, 0],
      [1003, 1],
    ]);
    assert.equal((await readData<any>(pool, 'packager-dashboard_abrt_issues', 'foo'))!.outstanding_problems[0].id, 11);
    assert.equal(up.count(/component_names=bar,baz,foo,lonely,qux&/), 1, 'FAF was asked about several components at once');
  });

  test('a bad bulk answer fails the packages it was for, keeps their data, and heals', async () => {
    await sweep('packager-dashboard_abrt_issues');
    const before = await readRow(pool, 'packager-dashboard_abrt_issues', 'foo');
    up.fail(/\/faf\/problems\//, 'malformed');
    const r = await sweep('packager-dashboard_abrt_issues');
    assert.equal(r.failed, PKGS.length);
    const failed = (await readRow(pool, 'packager-dashboard_abrt_issues', 'foo'))!;
    assert.deepEqual(failed.data, before!.data);
    assert.match(failed.last_error!, /^packager-dashboard_abrt_issues foo: GET .*not JSON/);
    up.clearFaults();
    assert.equal((await sweep('packager-dashboard_abrt_issues')).failed, 0);
    assert.equal((await readRow(pool, 'packager-dashboard_abrt_issues', 'foo'))!.last_error, null);
  });
});

describe('a sweep where nothing changed', () => {
  test('bugs: one last_change_time search instead of every package; a changed and a closed bug are picked up', async () => {
    await sweep('packager-dashboard__all_package_bugs');
    const n = up.requests.length;
    const again = await sweep('packager-dashboard__all_package_bugs');
    const asked = up.requests.slice(n);
    assert.equal(again.changed, 0);
    assert.equal(asked.length, 1, JSON.stringify(asked));
    assert.match(asked[0].path, /last_change_time=/);
    assert.doesNotMatch(asked[0].path, /bug_status=/, 'every status: a bug closed since counts');

    // 1003 is closed now (changed just now): foo is asked again and loses it.
    const bug = up.data.bugs.foo.find((b) => b.id === 1003)!;
    bug.status = 'CLOSED';
    bug.last_change_time = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const m = up.requests.length;
    const third = await sweep('packager-dashboard__all_package_bugs');
    assert.equal(third.changed, 1);
    assert.deepEqual((await readData<any[]>(pool, 'packager-dashboard__all_package_bugs', 'foo'))!.map((b) => b.bug_id), [1001, 1002]);
    assert.ok(up.requests.slice(m).some((r) => /bug_status=/.test(r.path) && /component=foo/.test(r.path)), 'foo was searched again');
  });

  test('bugs: with UPSTREAM_FULL_RESYNC_HOURS=0 every package is searched again', async () => {
    const rt = () => runtime({ UPSTREAM_FULL_RESYNC_HOURS: '0' });
    await sweep('packager-dashboard__all_package_bugs', rt());
    const n = up.requests.length;
    await sweep('packager-dashboard__all_package_bugs', rt());
    assert.ok(up.requests.slice(n).every((r) => !/last_change_time=/.test(r.path)));
    assert.ok(up.requests.slice(n).some((r) => /bug_status=/.test(r.path)));
  });

  test('versions: Bodhi is asked what was pushed or submitted since, mdapi only about those packages', async () => {
    await sweep('package_versions_generic');
    const n = up.requests.length;
    const again = await sweep('package_versions_generic');
    const asked = up.requests.slice(n);
    assert.equal(again.changed, 0);
    assert.deepEqual(asked.map((r) => r.path.replace(/_since=[^&]*/, '_since=T')), [
      '/bodhi/updates/?pushed_since=T&rows_per_page=100&page=1',
      '/bodhi/updates/?submitted_since=T&rows_per_page=100&page=1',
    ]);
    // A new Rawhide build of baz (an automatic update, stable when submitted).
    const now = new Date().toISOString().replace('T', ' ').slice(0, 19);
    up.data.updates.push(bodhiUpdate('FEDORA-2099-new', up.data.releases[4], ['baz-3.1-1.fc43'], { status: 'stable', dateSubmitted: now, datePushed: null }));
    up.data.mdapi.rawhide.baz = { version: '3.1', release: '1.fc43' };
    const m = up.requests.length;
    const third = await sweep('package_versions_generic');
    assert.equal(third.changed, 1);
    assert.equal((await readData<any>(pool, 'package_versions_generic', 'baz'))!['Fedora Rawhide'].stable, 'baz-3.1-1.fc43');
    assert.ok(up.requests.slice(m).every((r) => !/\/mdapi\/.*\/srcpkg\/(?!baz$)/.test(r.path)), 'mdapi was asked about baz only');
  });

  test('calendars: a 404 is remembered for UPSTREAM_NOT_FOUND_TTL, a calendar asked conditionally', async () => {
    await sweep('package_calendars');
    assert.equal(up.count(/^\/calendars\/bar\.ics$/), 1);
    const n = up.requests.length;
    const again = await sweep('package_calendars');
    assert.equal(again.changed, 0);
    assert.deepEqual(up.requests.slice(n).map((r) => [r.path, r.status]), [['/calendars/foo.ics', 304]]);
    // Without the memory, every 404 is asked again.
    const m = up.requests.length;
    await sweep('package_calendars', runtime({ UPSTREAM_NOT_FOUND_TTL: '0' }));
    assert.equal(up.requests.slice(m).filter((r) => r.status === 404).length, PKGS.length - 1);
    // A calendar that appears is found once the 404 is older than the TTL.
    up.data.calendars!.bar = { name: 'bar', events: [{ summary: 'bar 2', start: '20250101' }] };
    await pool.query(`UPDATE cached_data SET validators = jsonb_set(validators, ARRAY['urls', $1, 'at'], '0') WHERE provider = 'package_calendars' AND arg = 'bar'`, [`${up.urls.calendars}/bar.ics`]);
    await sweep('package_calendars');
    assert.equal((await readData<any[]>(pool, 'package_calendars', 'bar'))!.length, 1);
  });
});
