// Every creation and state change is in the outbox, written in the change's own transaction, and
// reaches GET /api/1/events in order; a client that reconnects with Last-Event-ID misses nothing.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildRepo } from '../../scripts/rpm-fixtures.js';
import { http, startStack, testTmpDir, waitForState, type Stack } from '../harness/stack.js';
import { openEventStream } from '../harness/sse.js';

let stack: Stack;

before(async () => {
  const repos = testTmpDir('repos');
  await buildRepo(path.join(repos, 'r'), [{ name: 'one' }, { name: 'two', requires: ['one'] }]);
  stack = await startStack({ env: { REPO_ROOTS: repos }, settings: { tags: { t: { repos: [path.join(repos, 'r')] } } } });
});

after(async () => {
  await stack?.stop();
});

const states = (events: { data: string }[], id: number) =>
  events.map((e) => JSON.parse(e.data)).filter((m) => m.compose?.id === id).map((m) => m.compose.state_name);

test('a compose announces each state once, in order, with the compose JSON', async () => {
  const stream = openEventStream(`${stack.baseUrl}/api/1/events`);
  await stream.until((ev) => ev.some((e) => e.event === 'ready'));
  const created = (await http(stack, 'POST', '/api/1/composes/', { source: { type: 'tag', source: 't', packages: ['two'] }, seconds_to_live: 2 })).body;
  await stream.until((ev) => states(ev.filter((e) => e.event === 'state-changed'), created.id).includes('removed'));
  await stream.close();
  const changes = stream.events.filter((e) => e.event === 'state-changed');
  assert.deepEqual(states(changes, created.id), ['wait', 'generating', 'done', 'removed']);
  const ids = changes.map((e) => Number(e.id));
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'ids increase');
  const done = changes.map((e) => JSON.parse(e.data)).find((m) => m.compose.state_name === 'done');
  assert.equal(done.event, 'state-changed');
  assert.equal(done.compose.state_reason, 'Compose is generated successfully');
  assert.match(done.compose.result_repofile, /odcs-\d+\.repo$/);
});

test('Last-Event-ID resumes exactly where a client left off; compose_id filters', async () => {
  const first = openEventStream(`${stack.baseUrl}/api/1/events`);
  await first.until((ev) => ev.some((e) => e.event === 'ready'));
  const a = (await http(stack, 'POST', '/api/1/composes/', { source: { type: 'tag', source: 't', packages: ['one'] }, flags: ['no_reuse'] })).body;
  await first.until((ev) => ev.some((e) => e.event === 'state-changed'));
  await first.close();
  const seen = first.events.filter((e) => e.event === 'state-changed');
  const lastId = seen.at(-1)!.id!;
  const b = (await http(stack, 'POST', '/api/1/composes/', { source: { type: 'tag', source: 't', packages: ['one'] }, flags: ['no_reuse'] })).body;
  await waitForState(stack, a.id, ['done']);
  await waitForState(stack, b.id, ['done']);
  const resumed = openEventStream(`${stack.baseUrl}/api/1/events`, { 'Last-Event-ID': lastId });
  await resumed.until((ev) => states(ev.filter((e) => e.event === 'state-changed'), b.id).includes('done'));
  await resumed.close();
  const all = [...seen, ...resumed.events.filter((e) => e.event === 'state-changed')];
  assert.deepEqual(states(all, a.id), ['wait', 'generating', 'done']);
  assert.deepEqual(states(all, b.id), ['wait', 'generating', 'done']);
  const ids = all.map((e) => e.id);
  assert.equal(new Set(ids).size, ids.length, 'no event twice');

  const onlyB = openEventStream(`${stack.baseUrl}/api/1/events?compose_id=${b.id}&last_event_id=0`);
  await onlyB.until((ev) => states(ev.filter((e) => e.event === 'state-changed'), b.id).includes('done'));
  await onlyB.close();
  assert.ok(onlyB.events.filter((e) => e.event === 'state-changed').every((e) => JSON.parse(e.data).compose.id === b.id));
  const bad = await http(stack, 'GET', '/api/1/events?compose_id=abc');
  assert.equal(bad.status, 400);
});

test('the outbox holds every transition of every compose, written with the change', async () => {
  const ids: number[] = [];
  for (let i = 0; i < 10; i++) {
    const res = await http(stack, 'POST', '/api/1/composes/', { source: { type: 'tag', source: 't', packages: [i % 2 ? 'one' : 'nope'] }, flags: ['no_reuse'] });
    ids.push(res.body.id);
  }
  for (const id of ids) await waitForState(stack, id, ['done', 'failed']);
  for (const id of ids) {
    const { rows } = await stack.pool.query('SELECT state FROM compose_events WHERE compose_id = $1 ORDER BY id', [id]);
    const row = (await stack.pool.query('SELECT state FROM composes WHERE id = $1', [id])).rows[0];
    assert.deepEqual(rows.map((r) => r.state), [0, 1, row.state], `compose ${id}`);
  }
});
