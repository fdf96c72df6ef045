// Visit tracking (store/visits.ts) against a real PostgreSQL: newcomers, the warm package set the
// sweep refreshes (users' and groups' packages, packages asked for), and garbage collection that
// keeps what a recent visitor owns.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import pg from 'pg';
import { clearCache, readRow, touchAndQueue } from '../../store/cache.js';
import { createPool } from '../../store/pool.js';
import { loadConfig } from '../../core/config.js';
import { ProviderRuntime } from '../../activities/providers/runtime.js';
import { deleteCold, recordVisits, warmPackages } from '../../store/visits.js';
import { createTestDatabase, ROOT } from '../harness/stack.js';
import { smallFedora, startFakeUpstreams, type FakeUpstreams } from '../fixtures/upstreams.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;
let up: FakeUpstreams;

before(async () => {
  db = await createTestDatabase();
  pool = createPool(db.url, 4);
  up = await startFakeUpstreams(smallFedora());
});

after(async () => {
  await up?.close();
  await pool?.end();
  await db?.drop();
});

beforeEach(async () => {
  await clearCache(pool);
  await pool.query('DELETE FROM dashboard_visits');
});

const runtime = (env: Record<string, string> = {}) => new ProviderRuntime({ pool, providers: loadConfig({ ...up.env, ...env }, ROOT).providers });

test('newcomers: never seen, or not within the visit window', async () => {
  assert.deepEqual(await recordVisits(pool, [{ kind: 'user', name: 'alice' }, { kind: 'group', name: 'python' }], 14), [
    { kind: 'group', name: 'python' },
    { kind: 'user', name: 'alice' },
  ]);
  assert.deepEqual(await recordVisits(pool, [{ kind: 'user', name: 'alice' }], 14), []);
  await pool.query(`UPDATE dashboard_visits SET last_visit = now() - interval '15 days' WHERE name = 'alice'`);
  assert.deepEqual(await recordVisits(pool, [{ kind: 'user', name: 'alice' }, { kind: 'group', name: 'python' }], 14), [{ kind: 'user', name: 'alice' }]);
  const row = await pool.query(`SELECT visits FROM dashboard_visits WHERE name = 'alice'`);
  assert.equal(Number(row.rows[0].visits), 3);
});

test('the warm set: packages of users and groups seen recently, and packages asked for', async () => {
  const rt = runtime();
  await rt.refreshGlobal('packages_owners_json');
  await rt.refreshGlobal('pagure_groups');
  await recordVisits(pool, [{ kind: 'user', name: 'alice' }, { kind: 'group', name: 'kde' }, { kind: 'package', name: 'zeta' }, { kind: 'user', name: 'carol' }], 14);
  await pool.query(`UPDATE dashboard_visits SET last_visit = now() - interval '20 days' WHERE name = 'carol'`);
  await touchAndQueue(pool, [{ provider: 'packager_dashboard_package_prs', arg: 'asked', touch: true, queue: false }], 60);
  assert.deepEqual(await warmPackages(pool, 'packager_dashboard_package_prs', 14, '', 100), ['asked', 'bar', 'baz', 'foo', 'zeta']);
  assert.deepEqual(await warmPackages(pool, 'packager-dashboard_abrt_issues', 14, '', 100), ['bar', 'baz', 'foo', 'zeta'], 'rows asked for are per provider');
  assert.deepEqual(await warmPackages(pool, 'packager_dashboard_package_prs', 14, 'baz', 2), ['foo', 'zeta'], 'paged by name');
  assert.deepEqual(await warmPackages(pool, 'packager_dashboard_package_prs', 30, '', 100), ['asked', 'bar', 'baz', 'foo', 'qux', 'zeta'], "carol's qux within 30 days");
});

test('the package sweep refreshes the warm set', async () => {
  const rt = runtime();
  await rt.refreshGlobal('fedora_releases');
  await rt.refreshGlobal('packages_owners_json');
  await recordVisits(pool, [{ kind: 'user', name: 'bob' }], 14);
  const summary = await rt.refresh('packager_dashboard_package_prs');
  assert.equal(summary.count, 2);
  assert.ok((await readRow(pool, 'packager_dashboard_package_prs', 'foo'))?.time_created);
  assert.ok((await readRow(pool, 'packager_dashboard_package_prs', 'baz'))?.time_created);
  assert.equal(await readRow(pool, 'packager_dashboard_package_prs', 'bar'), null, 'alice never came');
});

test('garbage collection keeps what a recent visitor owns, and forgets old visits', async () => {
  const rt = runtime();
  await rt.refreshGlobal('fedora_releases');
  await rt.refreshGlobal('packages_owners_json');
  for (const pkg of ['foo', 'qux']) await rt.refreshPackage('packager_dashboard_package_prs', pkg);
  await pool.query(`UPDATE cached_data SET time_created = now() - interval '40 days' WHERE provider = 'packager_dashboard_package_prs'`);
  await recordVisits(pool, [{ kind: 'user', name: 'bob' }, { kind: 'user', name: 'carol' }], 14);
  await pool.query(`UPDATE dashboard_visits SET last_visit = now() - interval '40 days' WHERE name = 'carol'`);
  assert.equal(await deleteCold(pool, ['packager_dashboard_package_prs'], 30), 1);
  assert.ok(await readRow(pool, 'packager_dashboard_package_prs', 'foo'), "bob's foo is kept");
  assert.equal(await readRow(pool, 'packager_dashboard_package_prs', 'qux'), null, "carol's qux is gone");
  assert.deepEqual((await pool.query(`SELECT name FROM dashboard_visits`)).rows, [{ name: 'bob' }]);
});
