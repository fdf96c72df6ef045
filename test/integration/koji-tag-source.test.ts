// KojiTagSource against the fake Koji hub (XML-RPC in Koji's shapes, real RPMs on the topurl):
// events, inheritance, the content cache, mirror reuse, and how hub trouble surfaces.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, beforeEach, describe, it } from 'node:test';
import { readRepo } from '../../activities/generate/repodata.js';
import { MIRROR_MARKER } from '../../activities/koji/mirror.js';
import { SourceError, SourceUnavailableError } from '../../activities/tag-sources/tag-source.js';
import { KojiTagSource, type KojiTagSourceOptions } from '../../activities/tag-sources/koji.js';
import { FakeKoji } from '../fixtures/fake-koji.js';

let koji: FakeKoji;
let work: string;
let cacheRoot: string;
const events: Record<string, number> = {};

function source(over: Partial<KojiTagSourceOptions> = {}): KojiTagSource {
  return new KojiTagSource({
    hubUrl: koji.hubUrl,
    topurl: koji.topurl,
    cacheRoot,
    timeoutMs: 5000,
    downloadTimeoutMs: 5000,
    retries: 1,
    retryDelayMs: 10,
    downloadConcurrency: 4,
    unavailableTimeoutSeconds: 60,
    ...over,
  });
}

async function nvras(repo: string): Promise<string[]> {
  return (await readRepo(repo)).packages.map((p) => `${p.name}-${p.version}-${p.release}.${p.arch}`).sort();
}

before(async () => {
  work = fs.mkdtempSync(path.join(process.env.ODCS_TEST_TMP ?? os.tmpdir(), 'koji-tag-source-'));
  cacheRoot = path.join(work, 'koji-cache');
  koji = await FakeKoji.start(path.join(work, 'hub'));
  await koji.importBuild({ name: 'base', version: '1', release: '1' }, [{ name: 'base-data' }]);
  await koji.importBuild({ name: 'hello', version: '1.0', release: '1' }, [
    { name: 'hello-cli', version: '1.0', requires: ['hello-libs', 'base-data'] },
    { name: 'hello-libs', version: '1.0', arch: 'x86_64' },
    { name: 'hello-libs', version: '1.0', arch: 'aarch64' },
  ]);
  await koji.importBuild({ name: 'hello', version: '2.0', release: '1' }, [
    { name: 'hello-cli', version: '2.0', requires: ['hello-libs', 'base-data'] },
    { name: 'hello-libs', version: '2.0', arch: 'x86_64' },
  ]);
  await koji.importBuild({ name: 'solo', version: '1', release: '1' }, [{ name: 'solo-data' }]);
  koji.createTag('base');
  koji.createTag('f40', { parents: ['base'] });
  koji.createTag('other');
  koji.tagBuild('base', 'base-1-1');
  events.hello1 = koji.tagBuild('f40', 'hello-1.0-1');
  events.hello2 = koji.tagBuild('f40', 'hello-2.0-1');
});

after(async () => {
  await koji?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

beforeEach(() => {
  koji.outage = null;
  koji.faults.clear();
  koji.calls.length = 0;
  koji.fileRequests.length = 0;
});

describe('KojiTagSource', () => {
  it('mirrors the latest builds of the tag and its parents at the last event, without src or other arches', async () => {
    const r = await source().resolve('f40', { noInheritance: false, arches: ['x86_64'] });
    assert.equal(r.kojiEvent, koji.lastEvent);
    assert.equal(r.revision, `koji:f40@${koji.lastEvent}`);
    assert.equal(r.repos.length, 1);
    assert.ok(r.repos[0].startsWith(path.join(cacheRoot, 'mirrors') + path.sep));
    assert.deepEqual(await nvras(r.repos[0]), ['base-data-1.0-1.noarch', 'hello-cli-2.0-1.noarch', 'hello-libs-2.0-1.x86_64']);
    assert.ok(fs.existsSync(path.join(r.repos[0], MIRROR_MARKER)));
    assert.ok(fs.existsSync(path.join(cacheRoot, 'packages', 'hello', '2.0', '1', 'x86_64', 'hello-libs-2.0-1.x86_64.rpm')), 'the cache has Koji\'s layout');
    assert.deepEqual(koji.fileRequests.sort(), [
      'packages/base/1/1/noarch/base-data-1.0-1.noarch.rpm',
      'packages/hello/2.0/1/noarch/hello-cli-2.0-1.noarch.rpm',
      'packages/hello/2.0/1/x86_64/hello-libs-2.0-1.x86_64.rpm',
    ]);
    const list = koji.calls.find((c) => c.method === 'listTaggedRPMS')!;
    assert.deepEqual(list.args, { tag: 2, event: koji.lastEvent, inherit: true, latest: true, arch: ['x86_64', 'noarch'] });
  });

  it('costs nothing the second time: no listing, no download', async () => {
    const r = await source().resolve('f40', { noInheritance: false, arches: ['x86_64'] });
    assert.equal(r.revision, `koji:f40@${koji.lastEvent}`);
    assert.equal(koji.callsOf('listTaggedRPMS'), 0);
    assert.deepEqual(koji.fileRequests, []);
  });

  it('an unrelated event keeps the revision and mirror; a change to the tag or a parent does not', async () => {
    const before = await source().resolve('f40', { noInheritance: false, arches: ['x86_64'] });
    const unrelated = koji.tagBuild('other', 'solo-1-1');
    const same = await source().resolve('f40', { noInheritance: false, arches: ['x86_64'] });
    assert.equal(same.kojiEvent, unrelated, 'koji_event is the event asked for');
    assert.equal(same.revision, before.revision, 'the revision is the last event that changed the tag');
    assert.deepEqual(same.repos, before.repos);
    assert.equal(koji.callsOf('listTaggedRPMS'), 0);
    // A change in a parent tag counts: it is part of the inheritance.
    const parentChange = koji.tagBuild('base', 'solo-1-1');
    const changed = await source().resolve('f40', { noInheritance: false, arches: ['x86_64'] });
    assert.equal(changed.revision, `koji:f40@${parentChange}`);
    assert.ok((await nvras(changed.repos[0])).includes('solo-data-1.0-1.noarch'));
    koji.untagBuild('base', 'solo-1-1');
  });

  it('a hub without tagLastChangeEvent (before Koji 1.35) compares with the earlier mirror through tagChangedSinceEvent', async () => {
    koji.missingMethods.add('tagLastChangeEvent');
    try {
      const src = source({ cacheRoot: path.join(work, 'old-hub-cache') });
      const first = await src.resolve('f40', { noInheritance: false, arches: ['x86_64'] });
      assert.equal(first.revision, `koji:f40@${koji.lastEvent}`);
      const unrelated = koji.untagBuild('other', 'solo-1-1');
      const same = await src.resolve('f40', { noInheritance: false, arches: ['x86_64'] });
      assert.equal(same.kojiEvent, unrelated);
      assert.equal(same.revision, first.revision);
      assert.equal(koji.callsOf('tagChangedSinceEvent'), 1);
      assert.equal(koji.callsOf('listTaggedRPMS'), 1, 'listed once, for the first resolution');
      const change = koji.tagBuild('base', 'solo-1-1');
      const changed = await src.resolve('f40', { noInheritance: false, arches: ['x86_64'] });
      assert.equal(changed.revision, `koji:f40@${change}`);
      koji.untagBuild('base', 'solo-1-1');
    } finally {
      koji.missingMethods.clear();
    }
  });

  it('an explicit event reads the tag as it was then', async () => {
    const r = await source().resolve('f40', { noInheritance: false, event: events.hello1, arches: ['x86_64'] });
    assert.equal(r.kojiEvent, events.hello1);
    assert.equal(r.revision, `koji:f40@${events.hello1}`);
    assert.deepEqual(await nvras(r.repos[0]), ['base-data-1.0-1.noarch', 'hello-cli-1.0-1.noarch', 'hello-libs-1.0-1.x86_64']);
    await assert.rejects(source().resolve('f40', { noInheritance: false, event: 1000 }), (err: unknown) =>
      err instanceof SourceError && err.message === 'Koji tag "f40" did not exist at event 1000.');
    await assert.rejects(source().resolve('f40', { noInheritance: false, event: koji.lastEvent + 5 }), (err: unknown) =>
      err instanceof SourceError && err.message === `Koji event ${koji.lastEvent + 5} is newer than the last event ${koji.lastEvent} of the Koji hub.`);
  });

  it('no_inheritance leaves the parents out; without arches every arch but src comes', async () => {
    const own = await source().resolve('f40', { noInheritance: true, event: events.hello1 });
    assert.deepEqual(await nvras(own.repos[0]), ['hello-cli-1.0-1.noarch', 'hello-libs-1.0-1.aarch64', 'hello-libs-1.0-1.x86_64']);
    assert.equal(koji.fileRequests.filter((f) => f.includes('/src/')).length, 0);
    const list = koji.calls.find((c) => c.method === 'listTaggedRPMS')!;
    assert.equal(list.args.inherit, false);
  });

  it('an unknown tag, a fault, an unusable hub', async () => {
    await assert.rejects(source().resolve('nope', { noInheritance: false }), (err: unknown) => err instanceof SourceError && err.message === 'Unknown Koji tag "nope".');
    koji.faults.set('getFullInheritance', { code: 1000, text: 'database is on fire' });
    await assert.rejects(source().resolve('f40', { noInheritance: false }), (err: unknown) =>
      err instanceof SourceError && err.message === 'Koji hub fault in getFullInheritance: database is on fire');
    koji.faults.clear();
    for (const outage of ['http-503', 'reset', 'offline'] as const) {
      koji.outage = outage;
      koji.calls.length = 0;
      await assert.rejects(source({ unavailableTimeoutSeconds: 42 }).resolve('f40', { noInheritance: false }), (err: unknown) => {
        assert.ok(err instanceof SourceUnavailableError, `${outage}: ${String(err)}`);
        assert.equal(err.retryForSeconds, 42);
        assert.match(err.message, /Koji hub http:\/\/127\.0\.0\.1:\d+\/kojihub is (unavailable|offline)/);
        return true;
      });
    }
  });

  it('a missing or corrupt file on the topurl fails with its URL; nothing half-written stays', async () => {
    await koji.importBuild({ name: 'broken', version: '1', release: '1' }, [{ name: 'gone' }, { name: 'mangled' }]);
    koji.createTag('broken-tag');
    koji.tagBuild('broken-tag', 'broken-1-1');
    fs.rmSync(koji.rpmPath('broken-1-1', 'gone-1.0-1.noarch.rpm'));
    await assert.rejects(source().resolve('broken-tag', { noInheritance: false, arches: ['x86_64'] }), (err: unknown) =>
      err instanceof SourceError && /^Cannot download http:\/\/127\.0\.0\.1:\d+\/kojifiles\/packages\/broken\/1\/1\/noarch\/gone-1\.0-1\.noarch\.rpm: HTTP 404 Not Found\.$/.test(err.message));
    await koji.importBuild({ name: 'broken2', version: '1', release: '1' }, [{ name: 'mangled' }]);
    koji.createTag('broken2-tag');
    koji.tagBuild('broken2-tag', 'broken2-1-1');
    const file = koji.rpmPath('broken2-1-1', 'mangled-1.0-1.noarch.rpm');
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 10] ^= 0xff; // same size, different payload
    fs.writeFileSync(file, bytes);
    await assert.rejects(source().resolve('broken2-tag', { noInheritance: false, arches: ['x86_64'] }), (err: unknown) =>
      err instanceof SourceError && /mangled-1\.0-1\.noarch\.rpm does not match Koji's payloadhash [0-9a-f]{32}\.$/.test(err.message));
    const leftovers = fs.readdirSync(path.join(cacheRoot, 'packages', 'broken2'), { recursive: true }).map(String).filter((f) => f.endsWith('.rpm') || f.includes('.part-'));
    assert.deepEqual(leftovers, []);
  });

  it('concurrent resolutions of the same tag and event make one complete mirror', async () => {
    koji.createTag('race');
    koji.tagBuild('race', 'solo-1-1');
    const fresh = path.join(work, 'race-cache');
    const results = await Promise.all(Array.from({ length: 4 }, () => source({ cacheRoot: fresh }).resolve('race', { noInheritance: false, arches: ['x86_64'] })));
    assert.equal(new Set(results.map((r) => r.repos[0])).size, 1);
    assert.deepEqual(await nvras(results[0].repos[0]), ['solo-data-1.0-1.noarch']);
    assert.deepEqual(fs.readdirSync(path.join(fresh, 'mirrors')).filter((n) => n.startsWith('.tmp-')), [], 'no temp dirs left');
  });

  it('a file:// topurl (the Koji volume mounted locally) is copied from, not fetched', async () => {
    const r = await source({ topurl: pathToFileURL(koji.topdir).href, cacheRoot: path.join(work, 'file-cache') }).resolve('f40', { noInheritance: true, event: events.hello2, arches: ['x86_64'] });
    assert.deepEqual(await nvras(r.repos[0]), ['hello-cli-2.0-1.noarch', 'hello-libs-2.0-1.x86_64']);
    assert.deepEqual(koji.fileRequests, []);
  });
});
