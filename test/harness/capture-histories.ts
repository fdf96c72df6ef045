// Records compose workflow histories as replay fixtures (test/fixtures/histories/), and a
// refresh-all of the provider caches with CAPTURE_HISTORIES=providers (file `<CAPTURE_NAME>.json`,
// default refresh-all). Run it after a deliberate change to the workflow's commands, behind
// `patched()` where old runs must still replay:
//   npx tsx scripts/test.ts test/harness/capture-histories.ts   (with CAPTURE_HISTORIES=1)
// It is not a test file (no .test.ts), so `npm test` never rewrites the fixtures.
import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { buildRepo } from '../../scripts/rpm-fixtures.js';
import { PACKAGE_PROVIDERS } from '../../core/providers/registry.js';
import { touchAndQueue } from '../../store/cache.js';
import { startRefreshAll } from '../../temporal/providers.js';
import { smallFedora, startFakeUpstreams } from '../fixtures/upstreams.js';
import { http, ROOT, startStack, testTmpDir, waitForState } from './stack.js';

const OUT = path.join(ROOT, 'test', 'fixtures', 'histories');

export async function captureHistories(): Promise<string[]> {
  const repos = testTmpDir('repos');
  await buildRepo(path.join(repos, 'r'), [{ name: 'h-app', requires: ['h-lib'] }, { name: 'h-lib' }]);
  const stack = await startStack({ env: { REPO_ROOTS: repos }, settings: { tags: { t: { repos: [path.join(repos, 'r')] } } } });
  const written: string[] = [];
  const post = async (body: unknown) => (await http(stack, 'POST', '/api/1/composes/', body)).body;
  const save = async (name: string, id: number) => {
    const history = await stack.temporal.client.workflow.getHandle(`compose-${id}`).fetchHistory();
    const file = path.join(OUT, `${name}.json`);
    fs.writeFileSync(file, historyToJSON(history)); // proto JSON, as `temporal workflow show -o json` writes
    written.push(file);
  };
  try {
    fs.mkdirSync(OUT, { recursive: true });
    // generated, extended, then expired
    const a = await post({ source: { type: 'tag', source: 't', packages: ['h-app'] }, seconds_to_live: 2 });
    await waitForState(stack, a.id, ['done']);
    await http(stack, 'PATCH', `/api/1/composes/${a.id}`, { seconds_to_live: 3 });
    await waitForState(stack, a.id, ['removed'], 30_000);
    await save('generated-extended-expired', a.id);
    // reusing the first compose's twin, then deleted
    const b = await post({ source: { type: 'tag', source: 't', packages: ['h-lib'] } });
    await waitForState(stack, b.id, ['done']);
    const c = await post({ source: { type: 'tag', source: 't', packages: ['h-lib'] } });
    await waitForState(stack, c.id, ['done']);
    await http(stack, 'DELETE', `/api/1/composes/${c.id}`);
    await waitForState(stack, c.id, ['removed'], 30_000);
    await save('reused-then-deleted', c.id);
    // failed generation, expired
    const d = await post({ source: { type: 'tag', source: 't', packages: ['nope'] }, seconds_to_live: 1 });
    await waitForState(stack, d.id, ['removed'], 30_000);
    await save('failed-expired', d.id);
    // canceled while waiting for a generation slot
    await stack.stopWorkers();
    await stack.startWorkers({ generate: false });
    const e = await post({ source: { type: 'tag', source: 't', packages: ['h-app'] }, flags: ['no_reuse'], seconds_to_live: 1 });
    await new Promise((r) => setTimeout(r, 1000));
    await http(stack, 'DELETE', `/api/1/composes/${e.id}`);
    await waitForState(stack, e.id, ['removed'], 30_000);
    await save('canceled-waiting', e.id);
  } finally {
    await stack.stop();
  }
  return written;
}

/** A refresh-all (every provider, two packages asked for) against the fake upstreams. */
export async function captureRefreshAll(name: string): Promise<string[]> {
  const up = await startFakeUpstreams(smallFedora(), { maxPage: 3 });
  const stack = await startStack({ env: up.env });
  try {
    await touchAndQueue(
      stack.pool,
      ['foo', 'bar'].flatMap((arg) => PACKAGE_PROVIDERS.map((provider) => ({ provider, arg, touch: true, queue: false }))),
      60,
    );
    const { workflowId, runId } = await startRefreshAll(stack.temporal.client, stack.config);
    const handle = stack.temporal.client.workflow.getHandle(workflowId, runId);
    await handle.result();
    const file = path.join(OUT, `${name}.json`);
    fs.writeFileSync(file, historyToJSON(await handle.fetchHistory()));
    return [file];
  } finally {
    await stack.stop();
    await up.close();
  }
}

if (process.env.CAPTURE_HISTORIES === 'providers') {
  const files = await captureRefreshAll(process.env.CAPTURE_NAME ?? 'refresh-all');
  process.stderr.write(`wrote ${files.join(', ')}\n`);
} else if (process.env.CAPTURE_HISTORIES === '1') {
  const files = await captureHistories();
  process.stderr.write(`wrote ${files.join(', ')}\n`);
}
