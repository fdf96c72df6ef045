// Benchmark: a Koji tag compose of a closure out of a large tag, both ways a Koji tag source can
// take, in the same run against the fake hub (test/fixtures/fake-koji.ts, real RPMs over HTTP on
// loopback): "mirror" (the tag has no usable Koji repo: every RPM of the tag is downloaded,
// hard-linked into a mirror and indexed with createrepo_c, then the compose is generated from the
// mirror) against "closure" (the tag's Koji repo metadata is read, the closure resolved against it
// and only its RPMs downloaded). Each side from an empty cache: resolution + generation, wall time
// and bytes the hub served. The mirror is the baseline.
//
// Fixture: one build of BENCH_KOJI_CLOSURE packages in a dependency chain (generation.ts's
// chainFixture: requesting the first pulls in all) and one of BENCH_KOJI_TAG - closure unrelated
// packages, each RPM with a BENCH_KOJI_PAYLOAD-byte uncompressed payload.
// Env: BENCH_KOJI_TAG=3000, BENCH_KOJI_CLOSURE=300, BENCH_KOJI_PAYLOAD=50000, BENCH_KOJI_REPEAT=3.
import fs from 'node:fs';
import path from 'node:path';
import { generateCompose, removeComposeTree, type GenerateInput } from '../activities/generate/index.js';
import { clearRepoCache } from '../activities/generate/repodata.js';
import { clearDigestCache } from '../activities/generate/digest.js';
import { KojiTagSource } from '../activities/tag-sources/koji.js';
import { FakeKoji } from '../test/fixtures/fake-koji.js';
import { chainFixture } from './generation.js';
import { envInt, heading, median, ms, progress, ratio, table } from './lib.js';

const MB = 1024 * 1024;

export async function runKojiBench(ctx: { tmp: string }): Promise<void> {
  const tagSize = envInt('BENCH_KOJI_TAG', 3000);
  const closureSize = envInt('BENCH_KOJI_CLOSURE', 300);
  const payload = envInt('BENCH_KOJI_PAYLOAD', 50_000, 0);
  const repeat = envInt('BENCH_KOJI_REPEAT', 3);
  if (closureSize >= tagSize) throw new Error('BENCH_KOJI_CLOSURE must be below BENCH_KOJI_TAG');
  const root = path.join(ctx.tmp, 'koji-bench');
  const koji = await FakeKoji.start(path.join(root, 'hub'));
  try {
    const t0 = Date.now();
    progress(`koji: building ${tagSize} RPMs of ${payload} payload bytes with rpmbuild`);
    const sized = <T extends object>(r: T) => ({ ...r, payloadBytes: payload || undefined });
    await koji.importBuild({ name: 'chain', version: '1', release: '1' }, chainFixture(closureSize, 'chain').map(sized));
    await koji.importBuild(
      { name: 'rest', version: '1', release: '1' },
      Array.from({ length: tagSize - closureSize }, (_, i) => sized({ name: `rest-${i}`, version: '1.0', release: '1' })),
    );
    koji.createTag('big');
    koji.tagBuild('big', 'chain-1-1');
    koji.tagBuild('big', 'rest-1-1');
    await koji.newRepo('big');
    progress(`koji: tag of ${tagSize} built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    let run = 0;
    const once = async (way: 'mirror' | 'closure') => {
      run++;
      koji.hideRepos = way === 'mirror';
      const cacheRoot = path.join(root, `cache-${run}`);
      const source = new KojiTagSource({
        hubUrl: koji.hubUrl,
        topurl: koji.topurl,
        cacheRoot,
        cacheMaxBytes: 0,
        timeoutMs: 30_000,
        downloadTimeoutMs: 60_000,
        retries: 1,
        retryDelayMs: 100,
        downloadConcurrency: 8,
        unavailableTimeoutSeconds: 60,
      });
      clearRepoCache();
      clearDigestCache();
      const served = koji.bytesServed;
      const start = performance.now();
      const resolved = await source.resolve('big', { noInheritance: false, arches: ['x86_64'] });
      const input: GenerateInput = {
        composeId: run,
        targetDir: path.join(root, 'composes'),
        sourceRepos: resolved.repos,
        packages: ['chain-0000'],
        arches: ['x86_64'],
        noDeps: false,
        checkDeps: true,
        resultRepoUrl: 'http://localhost/unused',
        ...(resolved.fetch ? { fetch: resolved.fetch } : {}),
      };
      const result = await generateCompose(input);
      const elapsed = performance.now() - start;
      if (result.packages !== closureSize) throw new Error(`${way}: ${result.packages} packages, expected ${closureSize}`);
      if (way === 'closure' && !resolved.fetch) throw new Error('closure: the tag source did not use the Koji repo');
      await removeComposeTree(input.targetDir, run);
      fs.rmSync(cacheRoot, { recursive: true, force: true });
      return { elapsed, bytes: koji.bytesServed - served };
    };

    heading(`koji: a ${closureSize}-package closure out of a ${tagSize}-package Koji tag, from an empty cache (median of ${repeat}, interleaved, after 1 warm-up each)`);
    await once('mirror');
    await once('closure');
    const results = { mirror: [] as Array<{ elapsed: number; bytes: number }>, closure: [] as Array<{ elapsed: number; bytes: number }> };
    for (let i = 0; i < repeat; i++) {
      for (const way of i % 2 ? (['closure', 'mirror'] as const) : (['mirror', 'closure'] as const)) {
        const r = await once(way);
        results[way].push(r);
        progress(`koji: ${way} ${ms(r.elapsed)}, ${(r.bytes / MB).toFixed(1)} MB`);
      }
    }
    const t = (way: 'mirror' | 'closure') => median(results[way].map((r) => r.elapsed));
    const b = (way: 'mirror' | 'closure') => median(results[way].map((r) => r.bytes));
    table([
      ['way', 'time', 'downloaded', 'time / mirror', 'bytes / mirror'],
      ['mirror the tag (baseline)', ms(t('mirror')), `${(b('mirror') / MB).toFixed(1)} MB`, '1.00x', '1.00x'],
      ['closure only (Koji repo)', ms(t('closure')), `${(b('closure') / MB).toFixed(1)} MB`, ratio(t('closure'), t('mirror')), ratio(b('closure'), b('mirror'))],
    ]);
  } finally {
    await koji.close();
  }
}
