// Package sweeps (refreshRequestedBatch) against the fake upstreams and a real PostgreSQL: bulk
// upstreams asked for many packages at once give the same rows as one package at a time; a
// refresh where nothing changed asks the upstreams' "changed since" filters (Bugzilla
// last_change_time, Bodhi pushed_since/submitted_since) and remembered 404s instead of every
// package, and datagrepper's pull-request messages instead of every package's pull-request list;
// a change is still picked up; a bad answer fails only the packages it was for; a feed that is
// down, answers garbage or has a gap means every package is asked.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import pg from 'pg';
import { loadConfig } from '../../core/config.js';
import { PACKAGE_PROVIDERS, type PackageProvider } from '../../core/providers/registry.js';
import { clearCache, readData, readRow, touchAndQueue } from '../../store/cache.js';
import { createPool } from '../../store/pool.js';
import { ProviderRuntime } from '../../activities/providers/runtime.js';
import { createTestDatabase, ROOT } from '../harness/stack.js';
import { decodeMethodCall } from '../../activities/koji/xmlrpc.js';
import { bodhiUpdate, prMessageBody, smallFedora, startFakeUpstreams, type FakeUpstreams, type LoggedRequest } from '../fixtures/upstreams.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;
let up: FakeUpstreams;

const PKGS = ['bar', 'baz', 'foo', 'lonely', 'qux'];

function runtime(env: Record<string, string> = {}) {
  const config = loadConfig({ ...up.env, UPSTREAM_BACKOFF_MS: '5', UPSTREAM_ATTEMPTS: '2', UPSTREAM_TIMEOUT_MS: '5000', ...env }, ROOT);
  return new ProviderRuntime({ pool, providers: config.providers });
}

/** The (tag, package) pairs of a logged Koji multiCall of getLatestBuilds. */
function kojiAsked(r: LoggedRequest): Array<[string, string]> {
  const calls = decodeMethodCall(r.body!).params[0] as Array<{ methodName: string; params: [string, { package: string }] }>;
  return calls.map((c) => [c.params[0], c.params[1].package]);
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
    const koji = up.requests.slice(m).filter((r) => r.service === 'koji');
    assert.equal(koji.length, 1);
    assert.deepEqual([...new Set(kojiAsked(koji[0]).map(([, pkg]) => pkg))], ['baz'], 'Koji was asked about baz only');
    assert.ok(up.requests.slice(m).every((r) => r.service !== 'mdapi'), 'every release has a stable tag: mdapi is not asked');
  });

  test('versions: Koji answers a sweep in one multiCall, the rows mdapi gives package by package', async () => {
    const n = up.requests.length;
    const r = await sweep('package_versions_generic');
    assert.deepEqual([r.refreshed, r.failed], [PKGS.length, 0]);
    const asked = up.requests.slice(n);
    assert.deepEqual(asked.map((x) => [x.service, x.path]), [['koji', '/koji/kojihub']]);
    // Every package in every release's Bodhi stable tag (F41's updates tag inherits f41; Rawhide's is f43).
    const tags = [...new Set(kojiAsked(asked[0]).map(([tag]) => tag))].sort();
    assert.deepEqual(tags, ['eln', 'epel8', 'epel9', 'f40-updates', 'f41-updates', 'f42-updates', 'f43']);
    assert.equal(kojiAsked(asked[0]).length, tags.length * PKGS.length);
    const fromKoji = await Promise.all(PKGS.map((p) => readData(pool, 'package_versions_generic', p)));
    assert.deepEqual(fromKoji[PKGS.indexOf('foo')], {
      'Fedora 40': { stable: 'foo-0.9-1.fc40', testing: null },
      'Fedora 41': { stable: 'foo-1.1-2.fc41', testing: 'foo-1.2-1.fc41' },
      'Fedora Rawhide': { stable: 'foo-1.3-1.fc43', testing: null },
      'EPEL 9': { stable: 'foo-1.0-1.el9', testing: 'foo-1.0-2.el9' },
    });
    // Without Koji (KOJI_HUB_URL=none): mdapi package by package, the same rows.
    await clearCache(pool, 'package_versions_generic');
    const m = up.requests.length;
    const noKoji = runtime({ KOJI_HUB_URL: 'none' });
    for (const p of PKGS) await noKoji.refreshPackage('package_versions_generic', p);
    assert.ok(up.requests.slice(m).every((x) => x.service === 'mdapi'), JSON.stringify(up.requests.slice(m).filter((x) => x.service !== 'mdapi')));
    assert.ok(up.requests.slice(m).length > PKGS.length);
    assert.deepEqual(await Promise.all(PKGS.map((p) => readData(pool, 'package_versions_generic', p))), fromKoji);
    // One package alone goes through Koji too.
    await clearCache(pool, 'package_versions_generic');
    const k = up.requests.length;
    await runtime().refreshPackage('package_versions_generic', 'foo');
    assert.deepEqual(up.requests.slice(k).map((x) => x.service), ['koji']);
    assert.deepEqual(await readData(pool, 'package_versions_generic', 'foo'), fromKoji[PKGS.indexOf('foo')]);
  });

  test('versions: a release without a Bodhi stable tag is asked of mdapi; a bad Koji answer fails its packages, old data kept', async () => {
    const eln = up.data.releases.find((x) => x.name === 'ELN')!;
    (eln as { stable_tag: string | null }).stable_tag = null;
    await runtime().refreshGlobal('fedora_releases');
    const n = up.requests.length;
    await sweep('package_versions_generic');
    const asked = up.requests.slice(n);
    assert.equal(asked.filter((x) => x.service === 'koji').length, 1);
    assert.ok(!kojiAsked(asked.find((x) => x.service === 'koji')!).some(([tag]) => tag === 'eln'));
    assert.deepEqual(asked.filter((x) => x.service === 'mdapi').map((x) => x.path).sort(), PKGS.map((p) => `/mdapi/eln/srcpkg/${p}`));
    const old = await readData(pool, 'package_versions_generic', 'foo');
    // The hub answers garbage, then a fault: the packages fail visibly, their data stays.
    for (const mode of ['malformed', '500'] as const) {
      up.fail(/^\/koji\//, mode);
      const r = await sweep('package_versions_generic', runtime({ UPSTREAM_FULL_RESYNC_HOURS: '0' }));
      up.clearFaults();
      assert.deepEqual([r.refreshed, r.failed], [PKGS.length, PKGS.length]);
      const row = await readRow(pool, 'package_versions_generic', 'foo');
      assert.match(row!.last_error ?? '', mode === 'malformed' ? /POST .*\/koji\/kojihub: not an XML-RPC answer/ : /POST .*\/koji\/kojihub: HTTP 500/);
      assert.deepEqual(await readData(pool, 'package_versions_generic', 'foo'), old);
    }
    // The next good answer heals it.
    const good = await sweep('package_versions_generic');
    assert.equal(good.failed, 0);
    assert.equal((await readRow(pool, 'package_versions_generic', 'foo'))!.last_error, null);
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

  test('calendars: with CALENDARS_INDEX_URL one listing, then only the calendars it lists; a failed listing asks every package', async () => {
    const indexed = () => runtime({ CALENDARS_INDEX_URL: up.urls.calendarsIndex });
    const n = up.requests.length;
    const r = await sweep('package_calendars', indexed());
    assert.deepEqual([r.refreshed, r.failed], [PKGS.length, 0]);
    assert.deepEqual(up.requests.slice(n).map((x) => x.path), ['/pagure-io/api/0/package-calendars/tree/main', '/calendars/foo.ics']);
    const rows = await Promise.all(PKGS.map((p) => readData(pool, 'package_calendars', p)));
    assert.equal((rows[PKGS.indexOf('foo')] as unknown[]).length, 2);
    // The same rows as asking every package.
    await clearCache(pool, 'package_calendars');
    const one = runtime();
    for (const p of PKGS) await one.refreshPackage('package_calendars', p);
    assert.deepEqual(await Promise.all(PKGS.map((p) => readData(pool, 'package_calendars', p))), rows);
    await touchAndQueue(pool, PKGS.map((arg) => ({ provider: 'package_calendars', arg, touch: true, queue: false })), 60);
    // A calendar that appears is in the next listing: found at once.
    up.data.calendars!.bar = { name: 'bar', events: [{ summary: 'bar 2', start: '20250101' }] };
    await sweep('package_calendars', indexed());
    assert.equal((await readData<any[]>(pool, 'package_calendars', 'bar'))!.length, 1);
    // The listing fails or answers garbage: every package is asked (then their 404s are remembered), nothing fails.
    const withCalendar = ['bar', 'foo'];
    for (const [mode, asked] of [['500', PKGS], ['schema', withCalendar]] as const) {
      up.fail(/^\/pagure-io\//, mode);
      const m = up.requests.length;
      const bad = await sweep('package_calendars', indexed());
      up.clearFaults();
      assert.equal(bad.failed, 0);
      assert.deepEqual(up.requests.slice(m).filter((x) => x.service === 'calendars').map((x) => x.path).sort(), asked.map((p) => `/calendars/${p}.ics`), mode);
      assert.equal((await readData<any[]>(pool, 'package_calendars', 'bar'))!.length, 1);
    }
    // A listed calendar with a broken line fails that package only, its data kept.
    up.fail(/^\/calendars\/foo\.ics/, 'broken-ics');
    const broken = await sweep('package_calendars', runtime({ CALENDARS_INDEX_URL: up.urls.calendarsIndex, UPSTREAM_FULL_RESYNC_HOURS: '0' }));
    up.clearFaults();
    assert.equal(broken.failed, 1);
    assert.equal((await readData<any[]>(pool, 'package_calendars', 'foo'))!.length, 2);
    assert.ok((await readRow(pool, 'package_calendars', 'foo'))!.last_error);
  });

  test('pull requests: datagrepper names the packages with pull-request messages since, only those are listed', async () => {
    const n0 = up.requests.length;
    await sweep('packager_dashboard_package_prs');
    const first = up.requests.slice(n0);
    assert.ok(first.every((r) => r.service === 'pagure'), 'the first sweep lists every package, no feed');
    assert.equal(first.filter((r) => /\/pull-requests\?/.test(r.path)).length, PKGS.length);

    const n = up.requests.length;
    const again = await sweep('packager_dashboard_package_prs');
    const asked = up.requests.slice(n);
    assert.deepEqual([again.changed, again.failed], [0, 0]);
    assert.deepEqual(asked.map((r) => r.service), ['datagrepper', 'datagrepper'], JSON.stringify(asked));
    const feed = new URL(asked[1].path, 'http://x').searchParams;
    assert.ok(feed.getAll('topic').includes('org.fedoraproject.prod.pagure.pull-request.comment.added'));
    assert.ok(feed.getAll('topic').includes('org.fedoraproject.prod.pagure.pull-request.flag.added'));
    assert.ok(Number(feed.get('start')) < Number(feed.get('end')));

    // A comment on foo's PR 7 (and messages about packages nobody asked for): foo alone is listed again.
    const pr = up.data.prs.foo[0];
    pr.comments = 5;
    up.publish('org.fedoraproject.prod.pagure.pull-request.comment.added', prMessageBody('foo', pr, 'alice'));
    up.publish('org.fedoraproject.prod.pagure.pull-request.new', prMessageBody('nobody-asked', pr));
    const m = up.requests.length;
    const third = await sweep('packager_dashboard_package_prs');
    assert.deepEqual([third.changed, third.failed], [1, 0]);
    assert.equal((await readData<any[]>(pool, 'packager_dashboard_package_prs', 'foo'))!.find((x) => x.url.endsWith('/7')).comments, 5);
    const pagure = up.requests.slice(m).filter((r) => r.service === 'pagure').map((r) => r.path);
    assert.ok(pagure.length > 0 && pagure.every((p) => p.startsWith('/pagure/api/0/rpms/foo/')), JSON.stringify(pagure));

    // The list of a package the feed names answers garbage: that package fails visibly, keeps its data, and heals.
    const before = await readData(pool, 'packager_dashboard_package_prs', 'foo');
    up.publish('org.fedoraproject.prod.pagure.pull-request.flag.added', prMessageBody('foo', pr, 'zuul'));
    up.fail(/\/rpms\/foo\/pull-requests/, 'malformed');
    const bad = await sweep('packager_dashboard_package_prs');
    up.clearFaults();
    assert.equal(bad.failed, 1);
    const row = (await readRow(pool, 'packager_dashboard_package_prs', 'foo'))!;
    assert.deepEqual(row.data, before);
    assert.match(row.last_error!, /^packager_dashboard_package_prs foo: GET .*not JSON/);
    assert.equal((await sweep('packager_dashboard_package_prs')).failed, 0);
    assert.equal((await readRow(pool, 'packager_dashboard_package_prs', 'foo'))!.last_error, null);
  });

  test('pull requests: a feed that is down, answers garbage or lags behind the bus means every package is listed', async () => {
    await sweep('packager_dashboard_package_prs');
    const listed = async (rt = runtime()) => {
      const n = up.requests.length;
      const r = await sweep('packager_dashboard_package_prs', rt);
      assert.equal(r.failed, 0);
      return up.requests.slice(n).filter((x) => /^\/pagure\/api\/0\/rpms\/[^/]+\/pull-requests\?/.test(x.path)).length;
    };
    for (const mode of ['500', 'malformed', 'schema'] as const) {
      up.fail(/^\/datagrepper\//, mode);
      assert.equal(await listed(), PKGS.length, `datagrepper answering ${mode}`);
      up.clearFaults();
    }
    assert.equal(await listed(), 0, 'the feed answers again');
    // A PR changed without its message in the archive yet (datanommer behind the bus: nothing
    // stored for the last minutes): the window is a gap, every package is listed and the change is seen.
    up.data.prs.foo[1].title = 'Backport fix, take 2';
    up.stallArchive();
    assert.equal(await listed(), PKGS.length, 'a gap in the feed');
    assert.ok((await readData<any[]>(pool, 'packager_dashboard_package_prs', 'foo'))!.some((x) => x.title === 'Backport fix, take 2'));
    up.resumeArchive();
    // DATAGREPPER_URL=none: no feed, every package listed (conditionally).
    const n = up.requests.length;
    assert.equal(await listed(runtime({ DATAGREPPER_URL: 'none' })), PKGS.length);
    assert.ok(up.requests.slice(n).every((r) => r.service !== 'datagrepper'));
    // With UPSTREAM_FULL_RESYNC_HOURS=0 the feed is not asked either.
    const k = up.requests.length;
    assert.equal(await listed(runtime({ UPSTREAM_FULL_RESYNC_HOURS: '0' })), PKGS.length);
    assert.ok(up.requests.slice(k).every((r) => r.service !== 'datagrepper'));
  });
});
