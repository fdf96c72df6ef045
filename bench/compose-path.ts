// Benchmark: the whole path of one compose, POST /api/1/composes/ to state `done`, for a closure of
// realistic package sizes, against createrepo_c alone on the same RPM files (laid out as the
// generator lays them out, same wrapper and flags as bench/generation.ts). The compose side includes
// everything a user waits for: HTTP, the database, the start record, Temporal (workflow, activities
// on two task queues), source resolution, generation and the state change to done, seen by polling
// GET /api/1/composes/<id> every 20 ms. Each compose has `no_reuse`, so each one is generated.
//
// Private stack (test/harness/stack.ts): API and workers in this process, on the PostgreSQL and
// Temporal dev server that bench/run.ts starts.
//
// Env: BENCH_COMPOSE_PACKAGES (closure size, default 300), BENCH_COMPOSE_REPEAT (timed runs per
// side, interleaved, default 3; one untimed warm-up each).
import { link, mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { createrepo } from '../activities/generate/createrepo.js';
import { buildRepo } from '../scripts/rpm-fixtures.js';
import { http, startStack, type Stack } from '../test/harness/stack.js';
import { composeWorkflowId } from '../workflows/messages.js';
import { chainFixture, realisticSizes } from './generation.js';
import { envInt, heading, median, ms, progress, quantile, ratio, table } from './lib.js';

export interface ComposePathContext {
  tmp: string;
}

const MB = 1024 * 1024;

async function postToDone(stack: Stack): Promise<{ ms: number; id: number }> {
  const t0 = performance.now();
  const res = await http(stack, 'POST', '/api/1/composes/', {
    source: { type: 'tag', source: 'bench', packages: ['bench-0000'] },
    arches: ['x86_64'],
    flags: ['no_reuse'],
    seconds_to_live: 3600,
  });
  if (res.status !== 200 && res.status !== 201) throw new Error(`POST failed: ${res.status} ${res.text}`);
  const id = res.body.id as number;
  for (;;) {
    const c = (await http(stack, 'GET', `/api/1/composes/${id}`)).body;
    if (c?.state_name === 'done') return { ms: performance.now() - t0, id };
    if (c?.state_name === 'failed') throw new Error(`compose ${id} failed: ${c.state_reason}`);
    if (performance.now() - t0 > 600_000) throw new Error(`compose ${id} not done in 10 minutes (${c?.state_name})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function runComposePathBench(ctx: ComposePathContext): Promise<void> {
  const n = envInt('BENCH_COMPOSE_PACKAGES', 300);
  const repeat = envInt('BENCH_COMPOSE_REPEAT', 3);
  const work = path.join(ctx.tmp, `compose-path-${n}`);
  const source = path.join(work, 'repos', 'bench');
  const baseline = path.join(work, 'baseline');
  progress(`compose: building ${n} RPMs of realistic sizes with rpmbuild`);
  const t0 = Date.now();
  const rpms = await buildRepo(source, chainFixture(n, 'bench', realisticSizes(n)));
  let bytes = 0;
  for (const rpm of rpms) bytes += (await stat(rpm)).size;
  progress(`compose: fixture of ${n} (${(bytes / MB).toFixed(0)} MB) built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  for (const rpm of rpms) {
    const file = path.basename(rpm);
    const dir = path.join(baseline, 'Packages', file[0].toLowerCase());
    await mkdir(dir, { recursive: true });
    await link(rpm, path.join(dir, file));
  }

  const stack = await startStack({
    settings: { tags: { bench: { repos: [source] } } },
    // Compose trees on the fixture's file system, so packages are hard-linked as in production.
    env: { COMPOSE_ROOT: path.join(work, 'composes'), REPO_ROOTS: path.join(work, 'repos') },
  });
  const ids: number[] = [];
  const ours: number[] = [];
  const base: number[] = [];
  const runBase = async () => {
    await rm(path.join(baseline, 'repodata'), { recursive: true, force: true });
    const t = performance.now();
    await createrepo(baseline);
    return performance.now() - t;
  };
  try {
    // Warm-up: JIT, the workflow bundle, connections, createrepo_c's libraries, the page cache.
    ids.push((await postToDone(stack)).id);
    await runBase();
    for (let r = 0; r < repeat; r++) {
      // Alternate which side goes first, so drift in the machine's load hits both alike.
      for (const side of r % 2 === 0 ? ['compose', 'base'] : ['base', 'compose']) {
        if (side === 'compose') {
          const o = await postToDone(stack);
          ids.push(o.id);
          ours.push(o.ms);
        } else base.push(await runBase());
      }
      progress(`compose: run ${r + 1}/${repeat}: POST to done ${ms(ours.at(-1)!)}, createrepo_c ${ms(base.at(-1)!)}`);
    }
  } finally {
    // Leave no running expiry timer behind on the shared Temporal server.
    await Promise.all(ids.map((id) => stack.temporal.client.workflow.getHandle(composeWorkflowId(id)).terminate('benchmark over').catch(() => undefined)));
    await stack.stop();
    await rm(work, { recursive: true, force: true });
  }

  heading(`compose: POST /api/1/composes/ to done, ${n}-package closure of realistic sizes (${(bytes / MB).toFixed(0)} MB), vs createrepo_c alone (median of ${repeat}, interleaved, after 1 warm-up)`);
  table([
    ['side', 'p50', 'min..max'],
    ['POST to done (workflow, generation, state change)', ms(median(ours)), `${ms(quantile(ours, 0))}..${ms(quantile(ours, 1))}`],
    ['createrepo_c alone on the same files', ms(median(base)), `${ms(quantile(base, 0))}..${ms(quantile(base, 1))}`],
    ['ratio', ratio(median(ours), median(base)), ''],
  ]);
  console.log('  the compose side: in-process API and workers (GENERATE_VERIFY default), Temporal dev server, done seen by polling every 20 ms.');
}
