// Every provider against the fake upstreams and a real PostgreSQL: the cached shapes, paging,
// conditional requests, and the failures (404, 500, slow, malformed, unexpected shape) that must
// keep the old data and say clearly what went wrong. No Temporal here: ProviderRuntime is what
// the activities run.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import pg from 'pg';
import { loadConfig } from '../../core/config.js';
import type { ProviderName } from '../../core/providers/registry.js';
import { readData, readRow, touchAndQueue, clearCache, cacheStats } from '../../store/cache.js';
import { deleteCold } from '../../store/visits.js';
import { createPool } from '../../store/pool.js';
import { MalformedUpstreamError, UpstreamError } from '../../activities/providers/http.js';
import { ProviderRuntime } from '../../activities/providers/runtime.js';
import { createTestDatabase, ROOT } from '../harness/stack.js';
import { bodhiUpdate, smallFedora, startFakeUpstreams, type FakeUpstreams } from '../fixtures/upstreams.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;
let up: FakeUpstreams;

function runtime(env: Record<string, string> = {}) {
  const config = loadConfig({ ...up.env, UPSTREAM_BACKOFF_MS: '5', UPSTREAM_ATTEMPTS: '3', UPSTREAM_TIMEOUT_MS: '5000', ...env }, ROOT);
  return new ProviderRuntime({ pool, providers: config.providers });
}

async function refreshEverything(rt = runtime(), packages = ['foo', 'bar', 'baz', 'unknown-pkg']) {
  for (const p of ['fedora_releases', 'packages_owners_json', 'pagure_groups', 'bodhi_updates', 'bodhi_overrides', 'koschei_data'] as const) {
    await rt.refreshGlobal(p);
  }
  for (const p of ['package_versions_generic', 'packager-dashboard__all_package_bugs', 'packager_dashboard_package_prs', 'packager-dashboard_abrt_issues'] as const) {
    for (const pkg of packages) await rt.refreshPackage(p, pkg);
  }
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

describe('parsing every provider', () => {
  before(async () => {
    up = await startFakeUpstreams(smallFedora());
    await clearCache(pool);
    await refreshEverything();
  });
  after(async () => {
    await up.close();
  });

  test('fedora_releases holds the /api/v1/releases body', async () => {
    const data = await readData<any>(pool, 'fedora_releases');
    assert.deepEqual(data.api, { fedora: { stable: 41, branched: 42, rawhide: 43, values: [40, 41, 42, 43], branched_frozen: true }, epel: [8, 9] });
  });

  test('packages_owners_json: user rows and the autocomplete lists', async () => {
    assert.deepEqual(await readData(pool, 'packages_owners_json', 'alice'), ['bar', 'foo']);
    assert.deepEqual(await readData(pool, 'packages_owners_json', 'orphan'), ['lonely']);
    assert.deepEqual(await readData(pool, 'packages_owners_json'), {
      packages: ['bar', 'baz', 'foo', 'lonely', 'qux'],
      packagers: ['alice', 'bob', 'carol', 'orphan'],
    });
  });

  test('pagure_groups: commit and admin packages per group', async () => {
    assert.deepEqual(await readData(pool, 'pagure_groups', 'python'), { commit: ['foo', 'qux'], admin: ['qux'] });
    assert.deepEqual(await readData(pool, 'pagure_groups', 'kde'), { commit: ['baz'], admin: [] });
    assert.deepEqual(await readData(pool, 'pagure_groups'), { groups: ['kde', 'python'], user_groups: { alice: ['kde'], dave: ['kde'] } });
  });

  test('bodhi_updates: pending and testing updates per package, with labels and comment counts', async () => {
    const foo = await readData<any[]>(pool, 'bodhi_updates', 'foo');
    assert.deepEqual(foo!.map((u) => u.updateid).sort(), ['FEDORA-2024-aaa', 'FEDORA-2024-bbb', 'FEDORA-EPEL-2024-ccc']);
    const aaa = foo!.find((u) => u.updateid === 'FEDORA-2024-aaa');
    assert.deepEqual(aaa, {
      updateid: 'FEDORA-2024-aaa',
      pretty_name: 'foo-1.2-1.fc41',
      url: 'https://bodhi.fedoraproject.org/updates/FEDORA-2024-aaa',
      release: 'Fedora 41',
      status: 'testing',
      type: 'bugfix',
      karma: 2,
      comments: 2,
      submission_date: '2024-05-01 10:00:00',
      stable_by_time: '2024-05-08 12:00:00',
      builds_nvrs: ['foo-1.2-1.fc41'],
    });
    const bbb = foo!.find((u) => u.updateid === 'FEDORA-2024-bbb');
    assert.equal(bbb.stable_by_time, null);
    assert.equal(bbb.release, 'Fedora 40');
    assert.equal(foo!.find((u) => u.updateid === 'FEDORA-EPEL-2024-ccc').release, 'EPEL 9');
    assert.deepEqual((await readData<any[]>(pool, 'bodhi_updates', 'bar'))!.map((u) => u.updateid), ['FEDORA-2024-bbb']);
    assert.equal((await readData<any[]>(pool, 'bodhi_updates', 'baz'))![0].release, 'Fedora Rawhide');
    assert.equal(await readData(pool, 'bodhi_updates', 'stale'), null, 'stable updates are not asked for');
  });

  test('bodhi_overrides: unexpired overrides, release from the dist tag', async () => {
    assert.deepEqual(await readData(pool, 'bodhi_overrides', 'foo'), [
      {
        pretty_name: 'foo-1.2-1.fc41',
        url: `${up.urls.bodhi}/overrides/foo-1.2-1.fc41`,
        release: 'Fedora 41',
        submission_date: '2024-05-01 10:00:00',
        expiration_date: '2024-05-08 10:00:00',
      },
    ]);
    assert.equal((await readData<any[]>(pool, 'bodhi_overrides', 'bar'))![0].release, 'EPEL 9');
    assert.equal(await readData(pool, 'bodhi_overrides', 'old'), null);
  });

  test('koschei_data: one item per collection, untracked dropped', async () => {
    assert.deepEqual(await readData(pool, 'koschei_data', 'foo'), [
      {
        release: 'Fedora 41',
        status: 'ok',
        url: `${up.urls.koschei}/package/foo?collection=f41`,
        last_success: { time: null, url: 'https://koji.fedoraproject.org/koji/taskinfo?taskID=122' },
      },
      {
        release: 'Fedora Rawhide',
        status: 'failing',
        url: `${up.urls.koschei}/package/foo?collection=f43`,
        last_success: { time: null, url: 'https://koji.fedoraproject.org/koji/taskinfo?taskID=123' },
      },
    ]);
    assert.deepEqual(await readData(pool, 'koschei_data', 'bar'), [
      { release: 'EPEL 9', status: 'unresolved', url: `${up.urls.koschei}/package/bar?collection=epel9`, last_success: null },
    ]);
    assert.equal(await readData(pool, 'koschei_data', 'gone'), null);
  });

  test('package_versions_generic: stable from mdapi (updates first), testing from Bodhi', async () => {
    assert.deepEqual(await readData(pool, 'package_versions_generic', 'foo'), {
      'Fedora 40': { stable: 'foo-0.9-1.fc40', testing: null },
      'Fedora 41': { stable: 'foo-1.1-2.fc41', testing: 'foo-1.2-1.fc41' },
      'Fedora Rawhide': { stable: 'foo-1.3-1.fc43', testing: null },
      'EPEL 9': { stable: 'foo-1.0-1.el9', testing: 'foo-1.0-2.el9' },
    });
    assert.deepEqual(await readData(pool, 'package_versions_generic', 'unknown-pkg'), {});
  });

  test('bugs: open bugs only, labels, priority_severity, comment counts, private flag', async () => {
    const bugs = (await readData<any[]>(pool, 'packager-dashboard__all_package_bugs', 'foo'))!;
    assert.deepEqual(bugs.map((b) => b.bug_id), [1001, 1002, 1003]);
    assert.deepEqual(bugs[0], {
      bug_id: 1001,
      title: 'foo crashes on start',
      url: `${up.urls.bugzilla}/show_bug.cgi?id=1001`,
      status: 'NEW',
      severity: 'high',
      priority: 'unspecified',
      priority_severity: 'high',
      keywords: ['Security'],
      release: 'Fedora Rawhide',
      reported: '2024-05-01 10:00:00',
      modified: '2024-05-03 11:00:00',
      comments: 3,
      private: false,
    });
    assert.equal(bugs[1].release, 'EPEL 9');
    assert.equal(bugs[1].priority_severity, 'urgent');
    assert.equal(bugs[1].private, true);
    assert.equal(bugs[2].release, 'Fedora');
    assert.deepEqual(await readData(pool, 'packager-dashboard__all_package_bugs', 'bar'), []);
  });

  test('pull requests: CI status keyed by flag username, newest flag wins; unknown project is no PRs', async () => {
    const prs = (await readData<any[]>(pool, 'packager_dashboard_package_prs', 'foo'))!;
    assert.deepEqual(prs[0], {
      title: 'Update to 1.4',
      url: `${up.urls.pagure}/rpms/foo/pull-request/7`,
      author: 'carol',
      release: 'Fedora Rawhide',
      date_created: '2024-05-01 10:00:00',
      last_updated: '2024-05-02 10:00:00',
      comments: 2,
      ci_status: { 'simple-koji-ci': 'pending', Zuul: 'success' },
    });
    assert.equal(prs[1].release, 'EPEL 9');
    assert.deepEqual(prs[1].ci_status, {});
    assert.deepEqual(await readData(pool, 'packager_dashboard_package_prs', 'unknown-pkg'), []);
  });

  test('ABRT: outliers, presence and the 30-day retrace link', async () => {
    const foo = (await readData<any>(pool, 'packager-dashboard_abrt_issues', 'foo'))!;
    assert.deepEqual(foo.outstanding_problems, [{ id: 11, count: 900, crash_function: '__pthread_kill_implementation', url: `${up.urls.faf}/problems/11/` }]);
    assert.equal(foo.problems_present, true);
    assert.match(foo.retrace_link, new RegExp(`^${up.urls.faf}/problems/\\?component_names=foo&daterange=\\d{4}-\\d\\d-\\d\\d%3A\\d{4}-\\d\\d-\\d\\d$`));
    const [from, to] = decodeURIComponent(foo.retrace_link.split('daterange=')[1]).split(':');
    assert.equal((Date.parse(to) - Date.parse(from)) / 86_400_000, 30);
    const bar = (await readData<any>(pool, 'packager-dashboard_abrt_issues', 'bar'))!;
    assert.deepEqual([bar.problems_present, bar.outstanding_problems], [true, []]);
    assert.equal((await readData<any>(pool, 'packager-dashboard_abrt_issues', 'unknown-pkg'))!.problems_present, false);
  });

  test('the Bugzilla API key goes to Bugzilla only', async () => {
    const seen: Array<[string, string | null]> = [];
    const config = loadConfig({ ...up.env, BZ_API_KEY: 'sekrit' }, ROOT);
    const rt = new ProviderRuntime({
      pool,
      providers: config.providers,
      fetchImpl: (async (url: string, init: RequestInit) => {
        seen.push([url, (init.headers as Record<string, string>)['X-BUGZILLA-API-KEY'] ?? null]);
        return fetch(url, init);
      }) as typeof fetch,
    });
    await rt.refreshPackage('packager-dashboard__all_package_bugs', 'foo');
    await rt.refreshPackage('packager_dashboard_package_prs', 'foo');
    assert.ok(seen.some(([u, k]) => u.startsWith(up.urls.bugzilla) && k === 'sekrit'));
    assert.ok(seen.filter(([u]) => !u.startsWith(up.urls.bugzilla)).every(([, k]) => k === null));
  });
});

describe('paging, conditional requests, failures', () => {
  beforeEach(async () => {
    await up?.close();
    await clearCache(pool);
  });

  test('small pages give the same data as one page', async () => {
    const data = smallFedora();
    for (let i = 0; i < 45; i++) data.updates.push(bodhiUpdate(`FEDORA-2024-p${i}`, data.releases[2], [`pkg${i % 7}-1-${i}.fc41`]));
    for (let i = 0; i < 9; i++) data.groups[`g${i}`] = { commit: Array.from({ length: 5 }, (_, j) => `p${i}-${j}`), admin: [] };
    up = await startFakeUpstreams(data, { maxPage: 2 });
    const rt = runtime();
    for (const p of ['fedora_releases', 'pagure_groups', 'bodhi_updates'] as const) await rt.refreshGlobal(p);
    await rt.refreshPackage('packager_dashboard_package_prs', 'foo');
    assert.ok(up.count(/\/bodhi\/updates\/.*page=25/) >= 1, 'Bodhi updates were paged');
    assert.ok(up.count(/\/pagure\/api\/0\/groups\?.*page=6/) >= 1, 'the group list was paged');
    assert.ok(up.count(/\/pagure\/api\/0\/group\/g3\?.*page=3/) >= 1, 'group projects were paged');
    assert.equal((await readData<any>(pool, 'bodhi_updates'))!.updates, 49);
    assert.equal((await readData<any[]>(pool, 'bodhi_updates', 'pkg3'))!.length, 6);
    assert.deepEqual(await readData(pool, 'pagure_groups', 'g3'), { commit: ['p3-0', 'p3-1', 'p3-2', 'p3-3', 'p3-4'], admin: [] });
    assert.equal((await readData<any>(pool, 'pagure_groups'))!.groups.length, 11);
    assert.equal((await readData<any[]>(pool, 'packager_dashboard_package_prs', 'foo'))!.length, 2);
  });

  test('a second refresh asks conditionally and rewrites nothing; a change upstream is picked up', async () => {
    up = await startFakeUpstreams(smallFedora(), { maxPage: 2 });
    const rt = runtime();
    await refreshEverything(rt, ['foo']);
    const before = await readRow(pool, 'bodhi_updates');
    const fooBefore = await readRow(pool, 'bodhi_updates', 'foo');
    const n = up.requests.length;
    const rt2 = runtime();
    const outcomes: string[] = [];
    for (const p of ['fedora_releases', 'packages_owners_json', 'pagure_groups', 'bodhi_updates', 'bodhi_overrides', 'koschei_data'] as const) {
      outcomes.push((await rt2.refreshGlobal(p)).outcome);
    }
    for (const p of ['package_versions_generic', 'packager-dashboard__all_package_bugs', 'packager_dashboard_package_prs', 'packager-dashboard_abrt_issues'] as const) {
      outcomes.push((await rt2.refreshPackage(p, 'foo')).outcome);
    }
    assert.deepEqual(outcomes, Array(10).fill('unchanged'));
    // Koji's hub has no conditional requests: package versions ask it again in full (one POST), same data.
    const koji = up.requests.slice(n).filter((r) => r.service === 'koji');
    assert.equal(koji.length, 1);
    const again = up.requests.slice(n).filter((r) => r.service !== 'koji');
    assert.ok(again.some((r) => r.status === 304), 'the second refresh asked conditionally');
    assert.ok(again.every((r) => r.status === 304 || r.status === 404), JSON.stringify(again.filter((r) => r.status !== 304 && r.status !== 404)));
    assert.equal(rt2.client.stats.ok, koji.length);
    const afterRow = (await readRow(pool, 'bodhi_updates'))!;
    assert.ok(afterRow.time_created! > before!.time_created!, 'time_created moves: the data is confirmed current');
    assert.deepEqual(afterRow.time_changed, before!.time_changed);
    assert.deepEqual((await readRow(pool, 'bodhi_updates', 'foo'))!.time_changed, fooBefore!.time_changed);

    up.data.updates.push(bodhiUpdate('FEDORA-2024-new', up.data.releases[2], ['foo-1.5-1.fc41']));
    const r = await runtime().refreshGlobal('bodhi_updates');
    assert.equal(r.outcome, 'changed');
    assert.ok((await readData<any[]>(pool, 'bodhi_updates', 'foo'))!.some((u) => u.updateid === 'FEDORA-2024-new'));
  });

  test('an upstream without validators is fetched in full every time', async () => {
    up = await startFakeUpstreams(smallFedora(), { conditional: false });
    const rt = runtime();
    await rt.refreshGlobal('fedora_releases');
    assert.equal((await runtime().refreshGlobal('fedora_releases')).outcome, 'unchanged');
    const releases = up.requests.filter((r) => r.path.startsWith('/bodhi/releases/'));
    assert.ok(releases.length >= 2, `both refreshes fetched the releases: ${JSON.stringify(releases)}`);
    assert.ok(up.requests.every((r) => r.status === 200), JSON.stringify(up.requests.filter((r) => r.status !== 200)));
  });

  test('entities gone upstream are deleted', async () => {
    up = await startFakeUpstreams(smallFedora());
    await runtime().refreshGlobal('packages_owners_json');
    assert.deepEqual(await readData(pool, 'packages_owners_json', 'carol'), ['qux']);
    delete up.data.owners.qux;
    assert.equal((await runtime().refreshGlobal('packages_owners_json')).outcome, 'changed');
    assert.equal(await readRow(pool, 'packages_owners_json', 'carol'), null);
    assert.ok(!(await readData<any>(pool, 'packages_owners_json'))!.packages.includes('qux'));
  });

  async function expectFailureKeepsData(provider: ProviderName, pattern: RegExp, mode: 'malformed' | 'schema' | '500' | 'slow' | '404', check: (err: Error) => void, env: Record<string, string> = {}) {
    await runtime().refreshGlobal('fedora_releases');
    if (provider !== 'fedora_releases') await runtime().refreshGlobal(provider as 'bodhi_updates');
    const before = await readRow(pool, provider);
    up.data.updates.push(bodhiUpdate('FEDORA-2024-zzz', up.data.releases[2], ['zzz-1-1.fc41']));
    up.data.releases.push({ ...up.data.releases[2], name: 'F99', version: '99', branch: 'f99' });
    up.fail(pattern, mode);
    const err = await runtime(env).refreshGlobal(provider as 'bodhi_updates').then(
      () => null,
      (e: Error) => e,
    );
    assert.ok(err, 'the refresh fails');
    check(err);
    const afterRow = (await readRow(pool, provider))!;
    assert.deepEqual(afterRow.data, before!.data, 'the old data is kept');
    assert.deepEqual(afterRow.time_created, before!.time_created);
    assert.ok(afterRow.last_error?.includes(err.message), afterRow.last_error ?? 'no last_error');
    up.clearFaults();
    await runtime().refreshGlobal(provider as 'bodhi_updates');
    assert.equal((await readRow(pool, provider))!.last_error, null, 'a later success clears the error');
  }

  test('malformed JSON on page 2 fails clearly and keeps the old data', async () => {
    up = await startFakeUpstreams(smallFedora(), { maxPage: 2 });
    await expectFailureKeepsData('bodhi_updates', /\/bodhi\/updates\/.*page=2/, 'malformed', (err) => {
      assert.ok(err instanceof MalformedUpstreamError, String(err));
      assert.match(err.message, /GET http:\/\/127\.0\.0\.1:\d+\/bodhi\/updates\/\?.*page=2: the answer is not JSON/);
    });
  });

  test('an unexpected shape names the field', async () => {
    up = await startFakeUpstreams(smallFedora());
    await expectFailureKeepsData('fedora_releases', /\/bodhi\/releases\//, 'schema', (err) => {
      assert.ok(err instanceof MalformedUpstreamError);
      assert.match(err.message, /unexpected data: (releases|page|pages): /);
    });
  });

  test('500s are retried with backoff, then fail; a single 500 is absorbed', async () => {
    up = await startFakeUpstreams(smallFedora());
    await expectFailureKeepsData('koschei_data', /\/koschei\//, '500', (err) => {
      assert.ok(err instanceof UpstreamError);
      assert.equal(err.status, 500);
      assert.match(err.message, /HTTP 500.*after 3 attempts/);
    });
    assert.equal(up.requests.filter((r) => r.service === 'koschei' && r.status === 500).length, 3);
    const seen = up.requests.length;
    up.fail(/\/koschei\//, '500', { times: 1 });
    const absorbed = await runtime().refreshGlobal('koschei_data');
    assert.ok(['changed', 'unchanged'].includes(absorbed.outcome), absorbed.outcome);
    const koschei = up.requests.slice(seen).filter((r) => r.service === 'koschei').map((r) => r.status);
    assert.equal(koschei[0], 500, `a 500 was served first: ${koschei}`);
    assert.ok(koschei.slice(1).length > 0 && koschei.slice(1).every((s) => s === 200 || s === 304), `then the retry succeeded: ${koschei}`);
    assert.equal((await readRow(pool, 'koschei_data'))!.last_error, null);
  });

  test('a slow upstream times out', async () => {
    up = await startFakeUpstreams(smallFedora());
    await expectFailureKeepsData(
      'packages_owners_json',
      /pagure_owner_alias/,
      'slow',
      (err) => {
        assert.ok(err instanceof UpstreamError);
        assert.match(err.message, /no complete answer within 300 ms \(after 2 attempts\)/);
      },
      { UPSTREAM_TIMEOUT_MS: '300', UPSTREAM_ATTEMPTS: '2' },
    );
  });

  test('a 404 where data must be is an error, not an empty cache; 4xx is not retried', async () => {
    up = await startFakeUpstreams(smallFedora());
    await expectFailureKeepsData('koschei_data', /\/koschei\//, '404', (err) => {
      assert.ok(err instanceof UpstreamError);
      assert.equal(err.status, 404);
    });
    assert.equal(up.requests.filter((r) => r.service === 'koschei' && r.status === 404).length, 1);
  });

  test('a failing package refresh keeps its data and records the error on its row', async () => {
    up = await startFakeUpstreams(smallFedora());
    const rt = runtime();
    await rt.refreshGlobal('fedora_releases');
    await rt.refreshPackage('packager_dashboard_package_prs', 'foo');
    up.fail(/pull-requests/, 'malformed');
    await assert.rejects(runtime().refreshPackage('packager_dashboard_package_prs', 'foo'), MalformedUpstreamError);
    const row = (await readRow<any[]>(pool, 'packager_dashboard_package_prs', 'foo'))!;
    assert.equal(row.data!.length, 2);
    assert.match(row.last_error!, /^packager_dashboard_package_prs foo: GET .*not JSON/);
  });
});

describe('cache bookkeeping', () => {
  beforeEach(async () => {
    await up?.close();
    await clearCache(pool);
  });

  test('touchAndQueue grants one refresh per key per throttle window', async () => {
    const keys = [
      { provider: 'packager_dashboard_package_prs', arg: 'a', touch: true, queue: true },
      { provider: 'packager_dashboard_package_prs', arg: 'a', touch: true, queue: true },
      { provider: 'fedora_releases', arg: '', touch: false, queue: true },
      { provider: 'packager_dashboard_package_prs', arg: 'b', touch: true, queue: false },
    ];
    const first = await touchAndQueue(pool, keys, 300);
    assert.deepEqual(first.map((k) => `${k.provider}/${k.arg}`).sort(), ['fedora_releases/', 'packager_dashboard_package_prs/a']);
    assert.deepEqual(await touchAndQueue(pool, keys, 300), []);
    await pool.query(`UPDATE cached_data SET time_queued = now() - interval '10 minutes' WHERE time_queued IS NOT NULL`);
    assert.equal((await touchAndQueue(pool, keys, 300)).length, 2);
    const b = (await readRow(pool, 'packager_dashboard_package_prs', 'b'))!;
    assert.ok(b.time_requested && b.data === null && b.time_queued === null);
  });

  test('garbage collection deletes package rows nobody asked for, never global data', async () => {
    up = await startFakeUpstreams(smallFedora());
    const rt = runtime({ CACHE_GC_DAYS: '7' });
    await rt.refreshGlobal('fedora_releases');
    await rt.refreshGlobal('packages_owners_json');
    for (const pkg of ['old', 'recent', 'never-asked']) await rt.refreshPackage('packager_dashboard_package_prs', pkg);
    await touchAndQueue(pool, [{ provider: 'packager_dashboard_package_prs', arg: 'recent', touch: true, queue: false }], 60);
    await touchAndQueue(pool, [{ provider: 'packager_dashboard_package_prs', arg: 'old', touch: true, queue: false }], 60);
    await pool.query(`UPDATE cached_data SET time_requested = now() - interval '8 days' WHERE arg = 'old'`);
    await pool.query(`UPDATE cached_data SET time_created = now() - interval '8 days' WHERE arg IN ('never-asked', 'alice') OR provider = 'fedora_releases'`);
    assert.deepEqual(await rt.collectGarbage(), { deleted: 2 });
    assert.ok(await readRow(pool, 'packager_dashboard_package_prs', 'recent'));
    assert.equal(await readRow(pool, 'packager_dashboard_package_prs', 'old'), null);
    assert.equal(await readRow(pool, 'packager_dashboard_package_prs', 'never-asked'), null);
    assert.ok(await readRow(pool, 'packages_owners_json', 'alice'));
    assert.ok(await readRow(pool, 'fedora_releases'));
    const stats = await cacheStats(pool);
    assert.ok(stats.find((s) => s.provider === 'packages_owners_json')!.bytes > 0);
  });

  test('clearing by provider prefix', async () => {
    await touchAndQueue(
      pool,
      ['packager-dashboard__all_package_bugs', 'packager-dashboard_abrt_issues', 'packager_dashboard_package_prs', 'bodhi_updates'].map((provider) => ({ provider, arg: 'x', touch: true, queue: false })),
      60,
    );
    assert.equal(await clearCache(pool, 'packager-dashboard'), 2);
    assert.equal(await clearCache(pool, 'packager_'), 1);
    assert.equal(await clearCache(pool), 1);
  });

  test('garbage collection (deleteCold) deletes old package rows and keeps rows asked for, fetched or only queued recently', async () => {
    const prs = 'packager_dashboard_package_prs';
    await touchAndQueue(pool, [
      { provider: prs, arg: 'queued-only', touch: false, queue: true },
      { provider: prs, arg: 'requested', touch: true, queue: false },
      { provider: prs, arg: 'requested-long-ago', touch: true, queue: false },
      { provider: 'bodhi_updates', arg: 'other-provider', touch: true, queue: false },
    ], 60);
    await pool.query(`INSERT INTO cached_data (provider, arg, data, time_created) VALUES ($1, 'fetched', '[]', now()), ($1, 'fetched-long-ago', '[]', now() - interval '3 days')`, [prs]);
    await pool.query(`UPDATE cached_data SET time_requested = now() - interval '3 days' WHERE arg IN ('requested-long-ago', 'other-provider')`);
    assert.equal(await deleteCold(pool, [prs], 1), 2);
    const { rows } = await pool.query(`SELECT provider || '/' || arg AS k FROM cached_data ORDER BY 1`);
    assert.deepEqual(rows.map((r) => r.k), ['bodhi_updates/other-provider', `${prs}/fetched`, `${prs}/queued-only`, `${prs}/requested`]);
  });
});
