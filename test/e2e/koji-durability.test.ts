// A worker SIGKILLed while it downloads a Koji compose's closure: the compose still ends `done`
// on another worker, with the right packages and metadata; no partial download ever shows under a
// package's name in the cache.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileDigest } from '../../activities/generate/digest.js';
import { clearRepoCache, readRepo } from '../../activities/generate/repodata.js';
import { FakeKoji } from '../fixtures/fake-koji.js';
import { repoclosure, rpmsInCompose } from '../harness/compose-tree.js';
import { http, startStack, testTmpDir, waitForState, type Stack } from '../harness/stack.js';

let stack: Stack;
let koji: FakeKoji;
let repoId: number;

before(async () => {
  koji = await FakeKoji.start(path.join(testTmpDir('koji-durability'), 'hub'));
  await koji.importBuild({ name: 'app', version: '1', release: '1' }, [
    { name: 'app-cli', requires: ['app-data'] },
    { name: 'app-data', payloadBytes: 2_000_000 },
    { name: 'app-extra' },
  ]);
  koji.createTag('f40');
  koji.tagBuild('f40', 'app-1-1');
  repoId = await koji.newRepo('f40');
  stack = await startStack({
    workers: false, // separate processes, so they can be killed
    env: { GENERATE_HEARTBEAT_TIMEOUT: '3' },
    settings: { tag_source: 'koji', koji_hub_url: koji.hubUrl, koji_topurl: koji.topurl, koji_timeout: 5, koji_retries: 1, koji_retry_delay: 0.05 },
  });
});

after(async () => {
  await stack?.stop();
  await koji?.close();
});

const files = (dir: string): string[] =>
  fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => fs.statSync(path.join(dir, f)).isFile()) : [];

test('a worker killed mid-download: another finishes the compose; no partial file shows as a package', async () => {
  const cache = path.join(stack.dataDir, 'koji-cache', 'packages');
  koji.stallAfterBytes = 300_000;
  const doomed = stack.spawnWorker();
  let survivor: ReturnType<Stack['spawnWorker']> | undefined;
  try {
    const res = await http(stack, 'POST', '/api/1/composes/', { source: { type: 'tag', source: 'f40', packages: ['app-cli'] } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const id = res.body.id;
    const deadline = Date.now() + 90_000;
    const partial = () => files(cache).filter((f) => /\.part-[0-9a-f]{8}$/.test(f) && fs.statSync(path.join(cache, f)).size >= 300_000);
    while (partial().length === 0) {
      assert.ok(Date.now() < deadline, 'the worker never got into the download');
      await new Promise((r) => setTimeout(r, 100));
    }
    doomed.kill('SIGKILL');
    koji.stallAfterBytes = null;
    survivor = stack.spawnWorker();
    const done = await waitForState(stack, id, ['done', 'failed'], 120_000);
    assert.equal(done.state_name, 'done', done.state_reason);
    assert.deepEqual(rpmsInCompose(stack.config.composeRoot, id), ['app-cli-1.0-1.noarch.rpm', 'app-data-1.0-1.noarch.rpm']);
    clearRepoCache();
    const meta = await readRepo(path.join(stack.config.composeRoot, `odcs-${id}`, 'compose', 'Temporary', 'x86_64', 'os'));
    for (const p of meta.packages) assert.equal(await fileDigest(p.location, 'sha256'), p.pkgid, p.href);
    const closure = await repoclosure(`${done.result_repo}/x86_64/os`);
    assert.ok(closure.ok, closure.output);
    // Under a package's own name the cache holds only complete, verified files.
    const repo = await readRepo(path.join(stack.dataDir, 'koji-cache', 'repos', 'f40', String(repoId), 'x86_64'));
    const named = files(cache).filter((f) => f.endsWith('.rpm'));
    assert.ok(named.length >= 2);
    for (const f of named) {
      const p = repo.packages.find((x) => x.href === `toplink/packages/${f}`);
      assert.ok(p, `${f} is a package of the repo`);
      assert.equal(await fileDigest(path.join(cache, f), 'sha256'), p.pkgid, `${f} is complete`);
    }
  } finally {
    koji.stallAfterBytes = null;
    doomed.kill('SIGKILL');
    survivor?.kill('SIGTERM');
  }
});
