// Tag composes from a Koji hub (`tag_source: "koji"`) over the whole stack, against the fake hub
// (XML-RPC in Koji's shapes, real RPMs on its topurl): events, inheritance, reuse, failures, outages.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { FakeKoji } from '../fixtures/fake-koji.js';
import { repoclosure, rpmsInCompose } from '../harness/compose-tree.js';
import { http, startStack, testTmpDir, waitForState, type Stack } from '../harness/stack.js';

let stack: Stack;
let koji: FakeKoji;
const events: Record<string, number> = {};


const rpmsIn = (id: number) => rpmsInCompose(stack.config.composeRoot, id);

async function create(body: unknown): Promise<any> {
  const res = await http(stack, 'POST', '/api/1/composes/', body);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

async function compose(body: unknown): Promise<any> {
  return waitForState(stack, (await create(body)).id, ['done', 'failed']);
}

/** Polls a compose until `check` holds. */
async function waitFor(id: number, check: (c: any) => boolean, what: string, timeoutMs = 30_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: any;
  while (Date.now() < deadline) {
    last = (await http(stack, 'GET', `/api/1/composes/${id}`)).body;
    if (check(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`compose ${id}: ${what} did not happen in ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}

before(async () => {
  koji = await FakeKoji.start(testTmpDir('fake-koji'));
  await koji.importBuild({ name: 'base', version: '1', release: '1' }, [{ name: 'base-data' }]);
  await koji.importBuild({ name: 'hello', version: '1.0', release: '1' }, [
    { name: 'hello-cli', version: '1.0', requires: ['hello-libs', 'base-data'], files: ['/usr/bin/hello'] },
    { name: 'hello-libs', version: '1.0', arch: 'x86_64' },
    { name: 'hello-libs', version: '1.0', arch: 'aarch64' },
  ]);
  await koji.importBuild({ name: 'hello', version: '2.0', release: '1' }, [
    { name: 'hello-cli', version: '2.0', requires: ['hello-libs >= 2.0', 'base-data'], files: ['/usr/bin/hello'] },
    { name: 'hello-libs', version: '2.0', arch: 'x86_64' },
  ]);
  await koji.importBuild({ name: 'hello', version: '3.0', release: '1' }, [
    { name: 'hello-cli', version: '3.0', requires: ['hello-libs >= 3.0', 'base-data'], files: ['/usr/bin/hello'] },
    { name: 'hello-libs', version: '3.0', arch: 'x86_64' },
  ]);
  await koji.importBuild({ name: 'solo', version: '1', release: '1' }, [{ name: 'solo-data' }]);
  koji.createTag('base');
  koji.createTag('f40', { parents: ['base'] });
  koji.createTag('other');
  koji.tagBuild('base', 'base-1-1');
  events.hello1 = koji.tagBuild('f40', 'hello-1.0-1');
  events.hello2 = koji.tagBuild('f40', 'hello-2.0-1');
  stack = await startStack({
    settings: {
      tag_source: 'koji',
      koji_hub_url: koji.hubUrl,
      koji_topurl: koji.topurl,
      koji_timeout: 5,
      koji_retries: 1,
      koji_retry_delay: 0.05,
      koji_unavailable_timeout: 8,
    },
  });
});

after(async () => {
  await stack?.stop();
  await koji?.close();
});

beforeEach(() => {
  koji.outage = null;
  koji.faults.clear();
});

describe('tag composes from a Koji hub', () => {
  test('a tag compose resolves through Koji, passes repoclosure and records koji_event', async () => {
    const done = await compose({ source: { type: 'tag', source: 'f40', packages: ['hello-cli'] } });
    assert.equal(done.state_name, 'done', done.state_reason);
    assert.equal(done.koji_event, koji.lastEvent, 'the hub\'s last event, as ODCS records it');
    assert.deepEqual(rpmsIn(done.id), ['base-data-1.0-1.noarch.rpm', 'hello-cli-2.0-1.noarch.rpm', 'hello-libs-2.0-1.x86_64.rpm'], 'the latest build, and the parent tag\'s package');
    const closure = await repoclosure(`${done.result_repo}/x86_64/os`);
    assert.ok(closure.ok, closure.output);
    const mirrors = fs.readdirSync(path.join(stack.dataDir, 'koji-cache', 'mirrors'));
    assert.deepEqual(mirrors, [`f40@inherit@x86_64@${done.koji_event}`]);
    assert.ok(!koji.fileRequests.some((f) => f.includes('aarch64') || f.includes('/src/')), 'only the compose\'s arches (and noarch) are fetched');
  });

  test('koji_event in the request picks the tag as it was then: the older build', async () => {
    const done = await compose({ source: { type: 'tag', source: 'f40', packages: ['hello-cli'], koji_event: events.hello1 } });
    assert.equal(done.state_name, 'done', done.state_reason);
    assert.equal(done.koji_event, events.hello1);
    assert.deepEqual(rpmsIn(done.id), ['base-data-1.0-1.noarch.rpm', 'hello-cli-1.0-1.noarch.rpm', 'hello-libs-1.0-1.x86_64.rpm']);
    const closure = await repoclosure(`${done.result_repo}/x86_64/os`);
    assert.ok(closure.ok, closure.output);
    const future = await compose({ source: { type: 'tag', source: 'f40', koji_event: koji.lastEvent + 100 } });
    assert.equal(future.state_name, 'failed');
    assert.equal(future.state_reason, `Error while generating compose: Koji event ${koji.lastEvent + 100} is newer than the last event ${koji.lastEvent} of the Koji hub.`);
  });

  test('inheritance: the parent tag\'s packages come unless no_inheritance', async () => {
    const alone = await compose({ source: { type: 'tag', source: 'f40', packages: ['hello-cli'] }, flags: ['no_inheritance', 'check_deps'] });
    assert.equal(alone.state_name, 'failed');
    assert.match(alone.state_reason, /hello-cli requires base-data/);
    const own = await compose({ source: { type: 'tag', source: 'f40', packages: ['hello-libs'] }, flags: ['no_inheritance'] });
    assert.equal(own.state_name, 'done', own.state_reason);
    assert.deepEqual(rpmsIn(own.id), ['hello-libs-2.0-1.x86_64.rpm']);
    const parent = await compose({ source: { type: 'tag', source: 'base' } });
    assert.equal(parent.state_name, 'done', parent.state_reason);
    assert.deepEqual(rpmsIn(parent.id), ['base-data-1.0-1.noarch.rpm']);
  });

  test('an unknown tag fails the compose with the message', async () => {
    const failed = await compose({ source: { type: 'tag', source: 'no-such-tag' } });
    assert.equal(failed.state_name, 'failed');
    assert.equal(failed.state_reason, 'Error while generating compose: Unknown Koji tag "no-such-tag".');
    assert.equal(failed.koji_event, null);
  });

  test('a Koji fault fails the compose with the fault string, without retrying', async () => {
    koji.faults.set('getTag', { code: 1000, text: 'database is on fire' });
    const before = koji.callsOf('getTag');
    const failed = await compose({ source: { type: 'tag', source: 'f40', packages: ['hello-cli'] } });
    assert.equal(failed.state_name, 'failed');
    assert.equal(failed.state_reason, 'Error while generating compose: Koji hub fault in getTag: database is on fire');
    assert.equal(koji.callsOf('getTag') - before, 1, 'a fault is an answer: asked once');
  });

  test('a hub that is down: the compose waits saying why, retries, and completes once the hub is back', async () => {
    koji.outage = 'http-503';
    const created = await create({ source: { type: 'tag', source: 'f40', packages: ['hello-libs'] }, flags: ['no_reuse'] });
    const waiting = await waitFor(created.id, (c) => /^Waiting to retry: /.test(c.state_reason ?? ''), 'the waiting reason');
    assert.equal(waiting.state_name, 'wait');
    assert.match(waiting.state_reason, /^Waiting to retry: Koji hub http:\/\/127\.0\.0\.1:\d+\/kojihub is unavailable: getLastEvent: HTTP 503 Service Unavailable \(2 attempts\)$/);
    koji.outage = null;
    const done = await waitForState(stack, created.id, ['done', 'failed'], 30_000);
    assert.equal(done.state_name, 'done', done.state_reason);
    assert.equal(done.state_reason, 'Compose is generated successfully');
    assert.equal(done.koji_event, koji.lastEvent);
  });

  test('a compose waiting on a hub that is down can be canceled at once', async () => {
    koji.outage = 'http-503';
    try {
      const created = await create({ source: { type: 'tag', source: 'f40', packages: ['hello-libs'] }, flags: ['no_reuse'] });
      await waitFor(created.id, (c) => /^Waiting to retry: /.test(c.state_reason ?? ''), 'the waiting reason');
      const del = await http(stack, 'DELETE', `/api/1/composes/${created.id}`);
      assert.equal(del.status, 202, JSON.stringify(del.body));
      assert.equal(del.body.message, `Compose (id=${created.id}) has been canceled`);
      const canceled = (await http(stack, 'GET', `/api/1/composes/${created.id}`)).body;
      assert.equal(canceled.state_name, 'failed');
      assert.equal(canceled.state_reason, 'Canceled by unknown');
    } finally {
      koji.outage = null;
    }
  });

  test('a hub down for longer than koji_unavailable_timeout fails the compose', async () => {
    koji.outage = 'reset';
    const created = await create({ source: { type: 'tag', source: 'f40', packages: ['hello-libs'] }, flags: ['no_reuse'] });
    await waitFor(created.id, (c) => /^Waiting to retry: /.test(c.state_reason ?? ''), 'the waiting reason');
    const failed = await waitForState(stack, created.id, ['done', 'failed'], 60_000);
    assert.equal(failed.state_name, 'failed');
    assert.match(failed.state_reason, /^Error while generating compose: Koji hub http:\/\/127\.0\.0\.1:\d+\/kojihub is unavailable: getLastEvent: .+ \(gave up after \d+ seconds\)$/);
  });

  test('an identical request reuses the first (same tag content); a re-tag does not', async () => {
    const request = { source: { type: 'tag', source: 'f40', packages: ['hello-libs'] } };
    const first = await compose({ ...request, flags: [] });
    assert.equal(first.state_name, 'done', first.state_reason);
    koji.calls.length = 0;
    koji.fileRequests.length = 0;
    const second = await compose(request);
    assert.equal(second.state_name, 'done', second.state_reason);
    assert.notEqual(second.id, first.id);
    assert.equal(second.toplevel_url, first.toplevel_url, 'the reused compose points at the first one\'s tree');
    assert.equal(second.pungi_compose_id, first.pungi_compose_id);
    assert.equal(second.koji_event, first.koji_event);
    assert.ok(!fs.existsSync(path.join(stack.config.composeRoot, `odcs-${second.id}`)));
    assert.equal(koji.callsOf('listTaggedRPMS'), 0, 'the mirror of that tag and event is reused as is');
    assert.deepEqual(koji.fileRequests, [], 'nothing is downloaded again');

    // Activity elsewhere on the hub moves the last event but not the tag: still reused (ODCS's rule).
    const unrelated = koji.tagBuild('other', 'solo-1-1');
    const third = await compose(request);
    assert.equal(third.koji_event, unrelated);
    assert.equal(third.toplevel_url, first.toplevel_url);

    // A new build tagged into the tag is a new event that changes it: a new compose.
    const retag = koji.tagBuild('f40', 'hello-3.0-1');
    const fourth = await compose(request);
    assert.equal(fourth.state_name, 'done', fourth.state_reason);
    assert.equal(fourth.koji_event, retag);
    assert.notEqual(fourth.toplevel_url, first.toplevel_url);
    assert.deepEqual(rpmsIn(fourth.id), ['hello-libs-3.0-1.x86_64.rpm']);
    // ...while asking for the old event still finds the first compose.
    const old = await compose({ source: { ...request.source, koji_event: first.koji_event } });
    assert.equal(old.toplevel_url, first.toplevel_url);
  });
});
