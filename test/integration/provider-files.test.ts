// The four file-shaped providers (orphans and fails-to-install JSON, the release schedule and the
// package calendars as ICS) against the fake upstreams and a real PostgreSQL: cached shapes,
// conditional requests, providers that are off, and bad input (garbage, broken ICS lines, the
// wrong JSON shape) that fails the refresh visibly, keeps the old data and heals on the next
// good answer.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import pg from 'pg';
import { loadConfig } from '../../core/config.js';
import { clearCache, readData, readRow } from '../../store/cache.js';
import { createPool } from '../../store/pool.js';
import { MalformedUpstreamError } from '../../activities/providers/http.js';
import { ProviderRuntime } from '../../activities/providers/runtime.js';
import { createTestDatabase, ROOT } from '../harness/stack.js';
import { smallFedora, startFakeUpstreams, type FakeUpstreams } from '../fixtures/upstreams.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;
let up: FakeUpstreams;

function runtime(env: Record<string, string> = {}) {
  const config = loadConfig({ ...up.env, UPSTREAM_BACKOFF_MS: '5', UPSTREAM_ATTEMPTS: '2', UPSTREAM_TIMEOUT_MS: '5000', ...env }, ROOT);
  return new ProviderRuntime({ pool, providers: config.providers });
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
  await runtime().refreshGlobal('fedora_releases');
});

describe('cached shapes', () => {
  test('orphans: orphaned packages and those depending on them, with the graph', async () => {
    assert.equal((await runtime().refreshGlobal('orphans')).outcome, 'changed');
    assert.deepEqual(await readData(pool, 'orphans'), { orphaned: 2, affected: 1 });
    assert.deepEqual(await readData(pool, 'orphans', 'bar'), {
      orphaned: false,
      depends_on_orphaned: true,
      orphaned_since: null,
      problematic_since: '2024-04-01 08:00:00',
      direct_dependencies: ['lonely'],
      remote_dependencies: ['gone'],
      dot_graph: 'digraph {\n  "bar" -> "lonely";\n  "lonely" -> "gone";\n}',
      vis_js: {
        nodes: [
          { id: 'bar', label: 'bar' },
          { id: 'lonely', label: 'lonely' },
          { id: 'gone', label: 'gone' },
        ],
        edges: [
          { from: 'bar', to: 'lonely' },
          { from: 'lonely', to: 'gone' },
        ],
      },
    });
    const lonely = (await readData<any>(pool, 'orphans', 'lonely'))!;
    assert.deepEqual([lonely.orphaned, lonely.orphaned_since, lonely.depends_on_orphaned, lonely.direct_dependencies], [true, '2024-04-01 08:00:00', true, ['gone']]);
    assert.equal(await readRow(pool, 'orphans', 'foo'), null, 'packages clear of orphans have no row');
  });

  test('fails_to_install: repochecker lists per release, grouped by source package; nanosecond timestamps kept', async () => {
    await runtime().refreshGlobal('fails_to_install');
    assert.deepEqual(await readData(pool, 'fails_to_install', 'foo'), [
      {
        release: 'Fedora 41',
        repo: 'stable',
        // Two arches with the same broken build dependency: one "src" problem, the earlier since.
        problems: { src: { reason: ['foo.src requires python3-missing'], since: '2024-04-20T06:30:00.000000001Z' } },
      },
      {
        release: 'Fedora Rawhide',
        repo: 'rawhide',
        problems: { x86_64: { reason: ['foo.x86_64 requires libbar.so.2()(64bit)'], since: '2024-05-01T10:00:00.123456789Z' } },
      },
    ]);
    assert.deepEqual(await readData(pool, 'fails_to_install', 'baz'), [
      { release: 'Fedora 41', repo: 'testing', problems: { aarch64: { reason: ['baz-doc.noarch requires baz-libs = 3.0-1.fc41'], since: '2024-05-02T00:00:00Z' } } },
    ]);
    // Rawhide, and stable and testing of F40, F41 and the branched F42; F40 and F42 are 404s.
    assert.deepEqual((await readData<any>(pool, 'fails_to_install'))!.releases, ['40', '40-testing', '41', '41-testing', '42', '42-testing', 'rawhide']);
  });

  test('release_schedule: every event as a day, in date order', async () => {
    await runtime().refreshGlobal('release_schedule');
    assert.deepEqual(await readData(pool, 'release_schedule'), {
      name: 'Fedora 43 Key',
      events: [
        { summary: 'Branch Fedora 43 from Rawhide', date: '2025-08-12' },
        { summary: 'Beta Freeze (starts at 14:00 UTC)', date: '2025-08-19' },
        { summary: 'Final Target date #1', date: '2025-10-28' },
        { summary: 'Fedora 41 EOL', date: '2025-11-19' },
      ],
    });
  });

  test('package_calendars: events of a package, null without a calendar', async () => {
    await runtime().refreshPackage('package_calendars', 'foo');
    await runtime().refreshPackage('package_calendars', 'bar');
    assert.deepEqual(await readData(pool, 'package_calendars', 'foo'), [
      { date: '2025-03-01', summary: 'foo 2.0 released, rebase in Rawhide', url: 'https://foo.example/2.0', calendar_name: 'foo releases' },
      { date: '2025-06-01', summary: 'foo 1.x end of life', url: null, calendar_name: 'foo releases' },
    ]);
    const bar = (await readRow(pool, 'package_calendars', 'bar'))!;
    assert.equal(bar.data, null);
    assert.ok(bar.time_created, 'a 404 is a fetched "no calendar", not a missing row');
    assert.equal(up.count(/^\/calendars\/bar\.ics$/), 1);
  });

  test('a second refresh is conditional and changes nothing; a change upstream is picked up', async () => {
    for (const p of ['orphans', 'fails_to_install', 'release_schedule'] as const) await runtime().refreshGlobal(p);
    await runtime().refreshPackage('package_calendars', 'foo');
    const rt = runtime();
    const outcomes = [];
    for (const p of ['orphans', 'fails_to_install', 'release_schedule'] as const) outcomes.push((await rt.refreshGlobal(p)).outcome);
    outcomes.push((await rt.refreshPackage('package_calendars', 'foo')).outcome);
    assert.deepEqual(outcomes, ['unchanged', 'unchanged', 'unchanged', 'unchanged']);
    assert.equal(rt.client.stats.ok, 0);
    // orphans, repochecker's three lists with data (the other releases are the same 404s), the schedule, foo's calendar.
    assert.equal(rt.client.stats.notModified, 6);
    up.data.schedule!.events.push({ summary: 'Final Freeze', start: '20251014' });
    assert.equal((await runtime().refreshGlobal('release_schedule')).outcome, 'changed');
    assert.equal((await readData<any>(pool, 'release_schedule'))!.events.length, 5);
  });

  test('providers without a URL are off: skipped, nothing fetched', async () => {
    const rt = runtime({ FTI_URL: '', SCHEDULE_URL: '', CALENDARS_URL: '' });
    assert.equal((await rt.refreshGlobal('fails_to_install')).outcome, 'skipped');
    assert.equal((await rt.refreshGlobal('release_schedule')).outcome, 'skipped');
    assert.equal((await rt.refreshPackage('package_calendars', 'foo')).outcome, 'skipped');
    assert.equal(up.count(/^\/(repochecker|files\/schedule|calendars)/), 0);
  });
});

describe('bad input fails visibly, keeps the old data, and heals', () => {
  const cases = [
    { provider: 'orphans', pattern: /orphans\.json/, mode: 'malformed', message: /the answer is not JSON/ },
    { provider: 'orphans', pattern: /orphans\.json/, mode: 'schema', message: /unexpected data: (status_change|affected_packages): / },
    { provider: 'fails_to_install', pattern: /repochecker\/data\/rawhide/, mode: 'schema', message: /rawhide: unexpected data: \(root\): / },
    { provider: 'fails_to_install', pattern: /repochecker\/data\/41$/, mode: 'malformed', message: /data\/41: the answer is not JSON/ },
    { provider: 'release_schedule', pattern: /schedule\.ics/, mode: 'broken-ics', message: /not a readable ICS file \(invalid line/ },
    { provider: 'release_schedule', pattern: /schedule\.ics/, mode: 'malformed', message: /not a readable ICS file/ },
  ] as const;
  for (const c of cases) {
    test(`${c.provider}: ${c.mode}`, async () => {
      await runtime().refreshGlobal(c.provider);
      const before = (await readRow(pool, c.provider))!;
      up.fail(c.pattern, c.mode);
      const err = await runtime().refreshGlobal(c.provider).then(
        () => null,
        (e: Error) => e,
      );
      assert.ok(err instanceof MalformedUpstreamError, String(err));
      assert.match(err.message, c.message);
      const failed = (await readRow(pool, c.provider))!;
      assert.deepEqual(failed.data, before.data, 'the old data is served');
      assert.deepEqual(failed.time_created, before.time_created);
      assert.ok(failed.last_error?.includes(err.message));
      up.clearFaults();
      await runtime().refreshGlobal(c.provider);
      const healed = (await readRow(pool, c.provider))!;
      assert.equal(healed.last_error, null);
      assert.deepEqual(healed.data, before.data);
    });
  }

  test('package_calendars: a broken ICS line fails that package only', async () => {
    await runtime().refreshPackage('package_calendars', 'foo');
    const before = (await readRow(pool, 'package_calendars', 'foo'))!;
    up.fail(/calendars\/foo\.ics/, 'broken-ics');
    await assert.rejects(runtime().refreshPackage('package_calendars', 'foo'), /not a readable ICS file/);
    const failed = (await readRow(pool, 'package_calendars', 'foo'))!;
    assert.deepEqual(failed.data, before.data);
    assert.match(failed.last_error!, /^package_calendars foo: GET .*foo\.ics: not a readable ICS file/);
    up.clearFaults();
    await runtime().refreshPackage('package_calendars', 'foo');
    assert.equal((await readRow(pool, 'package_calendars', 'foo'))!.last_error, null);
  });

  test('an ICS event without a start is malformed', async () => {
    up.data.schedule!.events.push({ summary: 'no date', start: 'notadate' });
    await assert.rejects(runtime().refreshGlobal('release_schedule'), (e: Error) => e instanceof MalformedUpstreamError && /DTSTART|date/.test(e.message));
  });
});
