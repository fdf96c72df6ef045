// The Koji download cache and closure fetch against the fake hub, without the stack: one download
// per file however many ask at once, least-recently-used eviction under the size bound that never
// touches a file in use, verification on download, heartbeats, and a download killed with its
// process (SIGKILL) leaving nothing under the final name.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { GenerationError } from '../../activities/generate/errors.js';
import { readRepo } from '../../activities/generate/repodata.js';
import type { PackageRecord } from '../../activities/generate/types.js';
import { PackageCache } from '../../activities/koji/cache.js';
import { fetchClosure, type KojiFetchPlan } from '../../activities/koji/fetch.js';
import { KojiDownloadError } from '../../activities/koji/download.js';
import { fetchRepoMetadata } from '../../activities/koji/repo.js';
import { FakeKoji } from '../fixtures/fake-koji.js';
import { ROOT, testTmpDir } from '../harness/stack.js';

let koji: FakeKoji;
let tmp: string;
let packages: PackageRecord[];
const opts = { timeoutMs: 5000, retries: 1, retryDelayMs: 10 };
const noVerify = async () => {};

const byName = (name: string) => packages.find((p) => p.name === name)!;
const rel = (p: PackageRecord) => p.href.slice('toplink/'.length);
const url = (p: PackageRecord) => `${koji.topurl}/${rel(p)}`;
const requestsOf = (p: PackageRecord) => koji.fileRequests.filter((f) => f === rel(p)).length;
const plan = (cacheRoot: string, over: Partial<KojiFetchPlan> = {}): KojiFetchPlan => ({
  topurl: koji.topurl,
  cacheRoot,
  cacheMaxBytes: 0,
  repos: [packages[0].repo],
  downloadTimeoutMs: 5000,
  retries: 1,
  retryDelayMs: 10,
  concurrency: 4,
  ...over,
});

/** Files under a directory, recursively, relative. */
const filesUnder = (dir: string) =>
  fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort() : [];

before(async () => {
  tmp = testTmpDir('koji-cache');
  koji = await FakeKoji.start(path.join(tmp, 'hub'));
  await koji.importBuild(
    { name: 'pkgs', version: '1', release: '1' },
    [
      ...Array.from({ length: 6 }, (_, i) => ({ name: `small-${i}`, payloadBytes: 20_000 })),
      { name: 'big', payloadBytes: 3_000_000 },
      { name: 'broken' },
    ],
  );
  koji.createTag('t');
  koji.tagBuild('t', 'pkgs-1-1');
  const repoId = await koji.newRepo('t');
  const { dir } = await fetchRepoMetadata(koji.topurl, path.join(tmp, 'meta'), 't', repoId, 'x86_64', opts);
  packages = (await readRepo(dir)).packages;
  assert.equal(packages.length, 8);
});

after(async () => {
  await koji?.close();
});

describe('Koji download cache', () => {
  test('concurrent requests for one file make one download', async () => {
    const cache = new PackageCache(path.join(tmp, 'c-dedup'), 0);
    const p = byName('big');
    const got = await Promise.all(Array.from({ length: 6 }, () => cache.acquire(rel(p), url(p), noVerify, opts)));
    assert.equal(requestsOf(p), 1);
    assert.equal(got.filter((g) => g.downloaded).length, 6, 'all six waited for the same download');
    assert.ok(got.every((g) => g.sha256 === p.pkgid && g.size === p.size));
    const again = await cache.acquire(rel(p), url(p), noVerify, opts);
    assert.equal(again.downloaded, false);
    assert.equal(requestsOf(p), 1);
  });

  test('least recently used files go under the bound, never one in use', async () => {
    const root = path.join(tmp, 'c-evict');
    const [a, b, c, d, e] = [0, 1, 2, 3, 4].map((i) => byName(`small-${i}`));
    const size = a.size!;
    const cache = new PackageCache(root, size * 2 + 100);
    for (const p of [a, b]) {
      await cache.acquire(rel(p), url(p), noVerify, opts);
      cache.release(rel(p));
    }
    await cache.acquire(rel(a), url(a), noVerify, opts); // a is now more recent than b
    cache.release(rel(a));
    await cache.acquire(rel(c), url(c), noVerify, opts); // held
    assert.deepEqual(cache.files().map((f) => path.basename(f)), ['small-0-1.0-1.noarch.rpm', 'small-2-1.0-1.noarch.rpm'], 'b, the least recently used, went');
    assert.ok(cache.bytes <= size * 2 + 100);
    await cache.acquire(rel(d), url(d), noVerify, opts); // held too: a goes, c stays
    assert.deepEqual(cache.files().map((f) => path.basename(f)).sort(), ['small-2-1.0-1.noarch.rpm', 'small-3-1.0-1.noarch.rpm']);
    // Over the bound with everything held: nothing in use is evicted.
    await cache.acquire(rel(e), url(e), noVerify, opts);
    assert.equal(cache.files().length, 3);
    assert.ok(cache.bytes > size * 2 + 100);
    for (const p of [c, d, e]) cache.release(rel(p));
    await cache.evict();
    assert.equal(cache.files().length, 2);
    assert.deepEqual(filesUnder(path.join(root, 'packages')).map((f) => path.basename(f)), cache.files().map((f) => path.basename(f)).sort(), 'the disk is what the cache says');
    // A new process finds the cache as it was left, in the same order of use.
    const reopened = new PackageCache(root, size * 2 + 100);
    const hit = await reopened.acquire(rel(e), url(e), noVerify, opts);
    assert.equal(hit.downloaded, false);
    assert.equal(reopened.bytes, cache.bytes);
  });

  test('a file that does not verify is fetched again, then fails the compose naming it; nothing is left', async () => {
    const root = path.join(tmp, 'c-broken');
    const p = byName('broken');
    const onDisk = path.join(koji.topdir, rel(p));
    const good = fs.readFileSync(onDisk);
    fs.appendFileSync(onDisk, 'garbage');
    try {
      await assert.rejects(fetchClosure([p], plan(root), []), (err: Error) => {
        assert.ok(err instanceof GenerationError, String(err));
        assert.equal(err.message, `${url(p)} has ${good.length + 7} bytes, the repository metadata says ${p.size}.`);
        return true;
      });
      assert.equal(requestsOf(p), 2, 'one retry');
      assert.deepEqual(filesUnder(root), [], 'no file, no temp file');
    } finally {
      fs.writeFileSync(onDisk, good);
    }
  });

  test('fetching heartbeats with progress and holds the files until released', async () => {
    const root = path.join(tmp, 'c-beat');
    const beats: string[] = [];
    const wanted = [byName('big'), byName('small-5')];
    const fetched = await fetchClosure(wanted, plan(root, { cacheMaxBytes: 1 }), [], { heartbeat: (d) => beats.push(d) });
    assert.equal(fetched.records.size, 2);
    assert.ok(beats.length >= 1);
    assert.match(beats[beats.length - 1], /^fetched 2\/2 packages from Koji \(\d+ downloaded, [\d.]+ MiB\)$/);
    for (const r of fetched.records.values()) assert.ok(fs.existsSync(r.location), 'held: not evicted though over the 1-byte bound');
    fetched.release();
    const cache = new PackageCache(root, 1);
    await cache.evict();
    assert.deepEqual(cache.files(), [], 'released: evictable');
  });

  test('Koji repo metadata that does not match its repomd.xml fails naming the file; nothing is left; repaired, it works', async () => {
    const repoId = await koji.newRepo('t');
    const repodata = path.join(koji.topdir, 'repos', 't', String(repoId), 'x86_64', 'repodata');
    const primary = fs.readdirSync(repodata).find((f) => f.endsWith('-primary.xml.gz'))!;
    const file = path.join(repodata, primary);
    const good = fs.readFileSync(file);
    fs.writeFileSync(file, good.subarray(0, Math.floor(good.length / 2)));
    const meta = path.join(tmp, 'meta-bad');
    try {
      await assert.rejects(fetchRepoMetadata(koji.topurl, meta, 't', repoId, 'x86_64', opts), (err: Error) => {
        assert.ok(err instanceof KojiDownloadError, String(err));
        assert.equal(
          err.message,
          `Koji repo metadata ${koji.topurl}/repos/t/${repoId}/x86_64/repodata/${primary} is unusable: it has ${Math.floor(good.length / 2)} bytes, repomd.xml says ${good.length}.`,
        );
        return true;
      });
      assert.deepEqual(filesUnder(meta), [], 'no metadata file, no temp file');
    } finally {
      fs.writeFileSync(file, good);
    }
    const { dir, fetched } = await fetchRepoMetadata(koji.topurl, meta, 't', repoId, 'x86_64', opts);
    assert.equal(fetched, true);
    assert.equal((await readRepo(dir)).packages.length, 8);
  });

  test('a download killed with its process leaves nothing visible; the next one completes', async () => {
    const root = path.join(tmp, 'c-kill');
    const p = byName('big');
    const script = path.join(tmp, 'download-child.mts');
    fs.writeFileSync(
      script,
      `import { PackageCache } from ${JSON.stringify(pathToFileURL(path.join(ROOT, 'activities/koji/cache.ts')).href)};\n` +
        `await new PackageCache(${JSON.stringify(root)}, 0).acquire(${JSON.stringify(rel(p))}, ${JSON.stringify(url(p))}, async () => {}, { timeoutMs: 600000, retries: 0, retryDelayMs: 0 });\n`,
    );
    koji.stallAfterBytes = 500_000;
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    const dest = path.join(root, rel(p));
    let exited = false;
    child.once('exit', () => (exited = true));
    try {
      const deadline = Date.now() + 60_000;
      const partial = () => filesUnder(path.dirname(dest)).filter((f) => f.includes('.part-') && fs.statSync(path.join(path.dirname(dest), f)).size >= 500_000);
      while (partial().length === 0) {
        assert.ok(Date.now() < deadline && !exited, 'the child never got half the file');
        await new Promise((r) => setTimeout(r, 50));
      }
      child.kill('SIGKILL');
      while (!exited) await new Promise((r) => setTimeout(r, 20));
    } finally {
      koji.stallAfterBytes = null;
      child.kill('SIGKILL');
    }
    assert.ok(!fs.existsSync(dest), 'nothing under the final name');
    const cache = new PackageCache(root, 0);
    const got = await cache.acquire(rel(p), url(p), noVerify, opts);
    assert.equal(got.downloaded, true, 'the half file was not taken for the package');
    assert.equal(got.sha256, p.pkgid);
    assert.deepEqual(cache.files(), [rel(p)]);
  });
});
