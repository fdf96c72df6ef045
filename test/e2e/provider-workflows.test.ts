// The provider-cache workflows on a real Temporal: refresh-all in dependency order, deduplication
// of concurrent refreshes, missing dependencies refreshed first, failures that keep the old data
// and fail the run visibly, the package sweep, garbage collection, and the Schedules surviving a
// worker restart without duplicates.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, beforeEach, describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { loadConfig } from '../../core/config.js';
import { PROVIDERS, PROVIDER_NAMES, providerScheduleId, refreshAllWorkflowId, refreshWorkflowId, REFRESH_PHASES } from '../../core/providers/registry.js';
import { clearCache, readData, readRow, touchAndQueue } from '../../store/cache.js';
import { startRefresh, startRefreshAll } from '../../temporal/providers.js';
import { deleteProviderSchedules, ensureProviderSchedules, providerSchedules, reconcileScheduleId } from '../../worker/schedules.js';
import { ROOT, startStack, until, type Stack } from '../harness/stack.js';
import { smallFedora, startFakeUpstreams, type FakeUpstreams } from '../fixtures/upstreams.js';

let stack: Stack;
let up: FakeUpstreams;

const PACKAGE_PROVIDERS = ['package_versions_generic', 'package_calendars', 'packager-dashboard__all_package_bugs', 'packager_dashboard_package_prs', 'packager-dashboard_abrt_issues'];


async function askFor(pkgs: string[]) {
  await touchAndQueue(
    stack.pool,
    pkgs.flatMap((arg) => PACKAGE_PROVIDERS.map((provider) => ({ provider, arg, touch: true, queue: false }))),
    60,
  );
}

/** Which provider an upstream request belongs to. */
function providerOf(path: string): string | null {
  if (path.startsWith('/bodhi/releases/')) return 'fedora_releases';
  if (path.includes('pagure_owner_alias')) return 'packages_owners_json';
  if (/^\/pagure\/api\/0\/groups?[/?]/.test(path)) return 'pagure_groups';
  // The versions sweep asks Bodhi what was pushed or submitted since its last refresh.
  if (/^\/bodhi\/updates\/\?(pushed|submitted)_since=/.test(path)) return 'package_versions_generic';
  if (path.startsWith('/bodhi/updates/')) return 'bodhi_updates';
  if (path.startsWith('/bodhi/overrides/')) return 'bodhi_overrides';
  if (path.startsWith('/koschei/')) return 'koschei_data';
  if (path.startsWith('/mdapi/') || path.startsWith('/koji/')) return 'package_versions_generic';
  if (path.startsWith('/bugzilla/')) return 'packager-dashboard__all_package_bugs';
  if (/^\/pagure\/api\/0\/rpms\//.test(path)) return 'packager_dashboard_package_prs';
  // The pull-request sweep asks datagrepper which packages had pull-request messages.
  if (path.startsWith('/datagrepper/')) return 'packager_dashboard_package_prs';
  if (path.startsWith('/faf/')) return 'packager-dashboard_abrt_issues';
  if (path.startsWith('/files/orphans.json')) return 'orphans';
  if (path.startsWith('/repochecker/')) return 'fails_to_install';
  if (path.startsWith('/files/schedule.ics')) return 'release_schedule';
  if (path.startsWith('/calendars/')) return 'package_calendars';
  return null;
}

before(async () => {
  up = await startFakeUpstreams(smallFedora(), { maxPage: 3 });
  stack = await startStack({
    env: { ...up.env, UPSTREAM_BACKOFF_MS: '10', UPSTREAM_ATTEMPTS: '2', REFRESH_ATTEMPTS: '2', REFRESH_RETRY_SECONDS: '1', CACHE_VISIT_DAYS: '3' },
  });
});

after(async () => {
  await stack?.stop();
  await up?.close();
});

beforeEach(async () => {
  up.clearFaults();
  up.requests.length = 0;
  await clearCache(stack.pool);
});

describe('refresh workflows', () => {
  test('refresh-all runs every provider in dependency order', async () => {
    await askFor(['foo', 'bar']);
    const { workflowId } = await startRefreshAll(stack.temporal.client, stack.config);
    assert.equal(workflowId, refreshAllWorkflowId(stack.config.taskQueue));
    const result = await stack.temporal.client.workflow.getHandle(workflowId).result();
    assert.deepEqual(result.failures, []);
    assert.deepEqual(result.results.map((r: any) => r.provider).sort(), [...PROVIDER_NAMES].sort());
    // Phase by phase: the last request of a phase comes before the first of the next.
    const seqs = new Map<string, number[]>();
    for (const r of up.requests) {
      const p = providerOf(r.path);
      assert.ok(p, `unexpected request ${r.path}`);
      seqs.set(p, [...(seqs.get(p) ?? []), r.seq]);
    }
    for (let i = 0; i + 1 < REFRESH_PHASES.length; i++) {
      const lastOfPhase = Math.max(...REFRESH_PHASES[i].flatMap((p) => seqs.get(p) ?? []));
      const firstOfNext = Math.min(...REFRESH_PHASES[i + 1].flatMap((p) => seqs.get(p) ?? []));
      assert.ok(lastOfPhase < firstOfNext, `phase ${i} (${REFRESH_PHASES[i]}) ends before phase ${i + 1} starts`);
    }
    for (const p of PROVIDER_NAMES) assert.ok(seqs.get(p)?.length, `${p} asked its upstream`);
    // Package data only for the packages asked for.
    assert.deepEqual((await readData<any[]>(stack.pool, 'packager_dashboard_package_prs', 'foo'))!.length, 2);
    assert.ok(await readData(stack.pool, 'packager-dashboard_abrt_issues', 'bar'));
    assert.equal(await readRow(stack.pool, 'packager-dashboard_abrt_issues', 'baz'), null);
    assert.ok(!up.requests.some((r) => r.path.includes('component=baz')));
  });

  test('a refresh whose dependencies were never fetched fetches them first', async () => {
    const { workflowId } = await startRefresh(stack.temporal.client, stack.config, 'package_versions_generic', 'foo');
    const summary = await stack.temporal.client.workflow.getHandle(workflowId).result();
    assert.equal(summary.outcome, 'changed');
    const order = up.requests.map((r) => providerOf(r.path));
    assert.ok(order.lastIndexOf('fedora_releases') < order.indexOf('bodhi_updates'));
    assert.ok(order.lastIndexOf('bodhi_updates') < order.indexOf('package_versions_generic'));
    assert.equal((await readData<any>(stack.pool, 'package_versions_generic', 'foo'))['Fedora 41'].testing, 'foo-1.2-1.fc41');
  });

  test('many cold package refreshes wait for one fetch of their dependency', async () => {
    const held = up.hold(/^\/bodhi\/releases\//);
    const pkgs = ['foo', 'bar', 'baz', 'qux', 'lonely', 'p1', 'p2', 'p3'];
    const starts = await Promise.all(pkgs.map((p) => startRefresh(stack.temporal.client, stack.config, 'packager_dashboard_package_prs', p)));
    await until('the releases fetch to reach Bodhi', async () => held.waiting() === 1);
    // Every refresh has either started the releases child or is waiting for it.
    await until('every refresh to wait on releases', async () => {
      for (const s of starts) {
        const { events } = await stack.temporal.client.workflow.getHandle(s.workflowId).fetchHistory();
        if (!events?.some((e) => e.startChildWorkflowExecutionInitiatedEventAttributes || e.timerStartedEventAttributes)) return false;
      }
      return true;
    });
    held.release();
    for (const s of starts) await stack.temporal.client.workflow.getHandle(s.workflowId).result();
    assert.equal(up.count(/^\/bodhi\/releases\/.*&page=1$/), 1, 'one fetch (of several pages)');
    assert.equal((await readData<any[]>(stack.pool, 'packager_dashboard_package_prs', 'foo'))!.length, 2);
  });

  test('concurrent refreshes of one key run once', async () => {
    await startRefresh(stack.temporal.client, stack.config, 'fedora_releases').then((s) => stack.temporal.client.workflow.getHandle(s.workflowId).result());
    up.requests.length = 0;
    const held = up.hold(/^\/koschei\//);
    const starts = await Promise.all(Array.from({ length: 6 }, () => startRefresh(stack.temporal.client, stack.config, 'koschei_data')));
    assert.equal(new Set(starts.map((s) => s.runId)).size, 1, 'one run');
    assert.equal(starts[0].workflowId, refreshWorkflowId(stack.config.taskQueue, 'koschei_data'));
    await until('the refresh to reach Koschei', async () => held.waiting() === 1);
    // More requests while it runs still join it.
    const late = await startRefresh(stack.temporal.client, stack.config, 'koschei_data');
    assert.equal(late.runId, starts[0].runId);
    held.release();
    await stack.temporal.client.workflow.getHandle(starts[0].workflowId).result();
    assert.equal(up.count(/^\/koschei\//), 1);
    assert.ok(await readData(stack.pool, 'koschei_data', 'foo'));
    // Once finished, the same key can run again.
    const again = await startRefresh(stack.temporal.client, stack.config, 'koschei_data');
    assert.notEqual(again.runId, starts[0].runId);
    await stack.temporal.client.workflow.getHandle(again.workflowId).result();
  });

  test('a failing refresh keeps the old data, is retried, and fails the run visibly', async () => {
    const run = async () => {
      const { workflowId } = await startRefresh(stack.temporal.client, stack.config, 'koschei_data');
      return stack.temporal.client.workflow.getHandle(workflowId).result();
    };
    await run();
    const before = (await readRow(stack.pool, 'koschei_data'))!;
    const fooBefore = await readData(stack.pool, 'koschei_data', 'foo');
    up.data.koschei.push({ name: 'newpkg', collection: 'f43', state: 'failing', last_complete_build: null });
    up.fail(/^\/koschei\//, '500');
    const err = await run().then(
      () => null,
      (e) => e,
    );
    assert.ok(err instanceof WorkflowFailedError, String(err));
    const messages: string[] = [];
    for (let e: any = err; e; e = e.cause) messages.push(e.message);
    assert.ok(messages.some((m) => /HTTP 500/.test(m)), messages.join(' | '));
    // REFRESH_ATTEMPTS=2 activity attempts x UPSTREAM_ATTEMPTS=2 requests each.
    assert.equal(up.requests.filter((r) => r.status === 500).length, 4);
    const row = (await readRow(stack.pool, 'koschei_data'))!;
    assert.deepEqual(row.data, before.data);
    assert.deepEqual(row.time_created, before.time_created);
    assert.deepEqual(await readData(stack.pool, 'koschei_data', 'foo'), fooBefore);
    assert.equal(await readRow(stack.pool, 'koschei_data', 'newpkg'), null);
    assert.match(row.last_error!, /HTTP 500/);

    // Malformed data is not retried: one request, one failed run.
    up.clearFaults();
    up.requests.length = 0;
    up.fail(/^\/koschei\//, 'malformed');
    await assert.rejects(run(), WorkflowFailedError);
    assert.equal(up.count(/^\/koschei\//), 1);
    assert.match((await readRow(stack.pool, 'koschei_data'))!.last_error!, /not JSON/);
    assert.deepEqual(await readData(stack.pool, 'koschei_data', 'foo'), fooBefore, 'entity rows kept too');
    up.data.koschei.pop();
  });

  test('refresh-all goes on past a failing provider and then fails naming it', async () => {
    up.fail(/^\/bodhi\/overrides\//, 'schema');
    const { workflowId } = await startRefreshAll(stack.temporal.client, stack.config);
    const err = await stack.temporal.client.workflow.getHandle(workflowId).result().then(
      () => null,
      (e) => e,
    );
    assert.ok(err instanceof WorkflowFailedError);
    assert.match((err.cause as Error).message, /refresh-all: 1 of 14 providers failed: bodhi_overrides: GET .*\/overrides\/.*unexpected data/);
    assert.ok(await readData(stack.pool, 'koschei_data'), 'the others ran');
    assert.ok(await readData(stack.pool, 'bodhi_updates'));
  });

  test('a package sweep covers the packages asked for within CACHE_VISIT_DAYS (3 here), and only them', async () => {
    assert.equal(stack.config.providers.visitDays, 3);
    await askFor(['foo', 'bar', 'baz', 'qux']);
    await stack.pool.query(`UPDATE cached_data SET time_requested = now() - interval '2 days' WHERE arg = 'baz'`);
    // Within the default 14 days, outside the configured 3.
    await stack.pool.query(`UPDATE cached_data SET time_requested = now() - interval '5 days' WHERE arg = 'qux'`);
    const { workflowId } = await startRefresh(stack.temporal.client, stack.config, 'packager-dashboard__all_package_bugs');
    const summary = await stack.temporal.client.workflow.getHandle(workflowId).result();
    assert.deepEqual(summary, { provider: 'packager-dashboard__all_package_bugs', outcome: 'swept', count: 3, failed: 0 });
    assert.notEqual(await readData(stack.pool, 'packager-dashboard__all_package_bugs', 'baz'), null, 'baz (2 days ago) was swept');
    assert.equal((await readData<any[]>(stack.pool, 'packager-dashboard__all_package_bugs', 'foo'))!.length, 3);
    assert.equal(await readData(stack.pool, 'packager-dashboard__all_package_bugs', 'qux'), null);
  });
});

describe('schedules', () => {
  const ours = async () => {
    const ids: string[] = [];
    for await (const s of stack.temporal.client.schedule.list()) if (s.scheduleId.endsWith(`-${stack.config.taskQueue}`) && s.scheduleId.startsWith('oraculum-')) ids.push(s.scheduleId);
    return ids.sort();
  };
  const expected = () => providerSchedules(stack.config).map((s) => s.scheduleId).sort();

  after(async () => {
    await deleteProviderSchedules(stack.temporal.client, stack.config);
    await stack.temporal.client.schedule.getHandle(reconcileScheduleId(stack.config)).delete().catch(() => undefined);
  });

  test('one Schedule per scheduled provider plus package caches and GC, SKIP overlap, intervals from the config', async () => {
    const first = await ensureProviderSchedules(stack.temporal.client, stack.config);
    assert.equal(first.created.length, PROVIDER_NAMES.filter((p) => PROVIDERS[p].scheduled).length + 2);
    const d = await stack.temporal.client.schedule.getHandle(providerScheduleId(stack.config.taskQueue, 'bodhi_updates')).describe();
    assert.equal(d.policies.overlap, 'SKIP');
    assert.equal(d.spec.intervals?.[0]?.every, 2 * 3600 * 1000);
    assert.equal(d.action.type === 'startWorkflow' && d.action.workflowType, 'refreshProvider');
  });

  test('ensuring twice changes nothing; a changed interval is updated in place', async () => {
    await ensureProviderSchedules(stack.temporal.client, stack.config);
    const again = await ensureProviderSchedules(stack.temporal.client, stack.config);
    assert.deepEqual(again, { created: [], updated: [], deleted: [] });
    const changed = loadConfig({ ...stack.env, PROVIDER_INTERVALS: '{"bodhi_updates": "30m"}' }, ROOT);
    const res = await ensureProviderSchedules(stack.temporal.client, changed);
    assert.deepEqual(res.updated, [providerScheduleId(stack.config.taskQueue, 'bodhi_updates')]);
    const d = await stack.temporal.client.schedule.getHandle(providerScheduleId(stack.config.taskQueue, 'bodhi_updates')).describe();
    assert.equal(d.spec.intervals?.[0]?.every, 30 * 60 * 1000);
    await until('the schedule list to settle', async () => JSON.stringify(await ours()) === JSON.stringify(expected()));
  });

  test('a worker process creates the reconcile and provider Schedules at start; killed and restarted, it keeps one of each and updates them in place', async () => {
    const reconcile = stack.temporal.client.schedule.getHandle(reconcileScheduleId(stack.config));
    await deleteProviderSchedules(stack.temporal.client, stack.config);
    await reconcile.delete().catch(() => undefined);
    await until('no Schedules of this task queue', async () => (await ours()).length === 0);
    const exited = (w: ChildProcess) => new Promise<void>((r) => (w.exitCode !== null || w.signalCode !== null ? r() : w.once('exit', () => r())));

    const first = stack.spawnWorker();
    try {
      await until('the worker to create the provider Schedules', async () => JSON.stringify(await ours()) === JSON.stringify(expected()));
      await until('the worker to create the reconcile Schedule', () => reconcile.describe().then(() => true, () => false));
    } finally {
      first.kill('SIGKILL');
      await exited(first);
    }
    const second = stack.spawnWorker({ PROVIDER_INTERVALS: '{"bodhi_updates": "30m"}' });
    try {
      const bodhi = stack.temporal.client.schedule.getHandle(providerScheduleId(stack.config.taskQueue, 'bodhi_updates'));
      await until('the restarted worker to update the changed interval', async () => (await bodhi.describe()).spec.intervals?.[0]?.every === 30 * 60 * 1000);
      assert.deepEqual(await ours(), expected(), 'one Schedule per provider, none added');
      assert.ok(await reconcile.describe());
    } finally {
      second.kill('SIGTERM');
      await exited(second);
    }
  });

  test('a triggered provider Schedule refreshes its provider', async () => {
    await ensureProviderSchedules(stack.temporal.client, stack.config);
    await stack.temporal.client.schedule.getHandle(providerScheduleId(stack.config.taskQueue, 'fedora_releases')).trigger();
    const data = await until('releases to be cached', () => readData<any>(stack.pool, 'fedora_releases'));
    assert.equal(data.api.fedora.rawhide, 43);
  });

  test('the garbage-collection Schedule deletes package rows nobody asked for', async () => {
    await ensureProviderSchedules(stack.temporal.client, stack.config);
    await askFor(['keep', 'drop']);
    await stack.pool.query(`UPDATE cached_data SET time_requested = now() - make_interval(days => $1) WHERE arg = 'drop'`, [stack.config.providers.gcDays + 1]);
    await stack.temporal.client.schedule.getHandle(providerScheduleId(stack.config.taskQueue, 'garbage_collection')).trigger();
    await until('the stale rows to go', async () => (await stack.pool.query(`SELECT 1 FROM cached_data WHERE arg = 'drop'`)).rowCount === 0);
    assert.equal((await stack.pool.query(`SELECT 1 FROM cached_data WHERE arg = 'keep'`)).rowCount, PACKAGE_PROVIDERS.length);
  });

  test('PROVIDER_SCHEDULES=false removes them', async () => {
    await ensureProviderSchedules(stack.temporal.client, stack.config);
    const off = loadConfig({ ...stack.env, PROVIDER_SCHEDULES: 'false' }, ROOT);
    const res = await ensureProviderSchedules(stack.temporal.client, off);
    assert.deepEqual(res.deleted.sort(), expected());
    await until('the schedule list to empty', async () => (await ours()).length === 0);
  });
});
