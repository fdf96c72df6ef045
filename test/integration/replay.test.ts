// Determinism guard: recorded compose workflow histories (test/fixtures/histories/) must replay on
// the current workflow code. A change that breaks this would break running composes on deploy:
// guard it with patched(), then re-record (test/harness/capture-histories.ts). `v1-*` were recorded
// before the local database steps and the PostgreSQL-decided PATCH/DELETE (signals, not updates);
// `v2-*` before prepareCompose took a done compose's files itself and checked the room, and
// generateCompose marked its compose done (the reserveSpace, followReused and completeCompose steps);
// `v3-*` before sources on local files were resolved by a local activity (patch `local-prepare`).
// `refresh-all` is a provider-cache refresh-all of every provider; `p1-refresh-all` was recorded
// when it ran a child workflow per provider (before patch `refresh-all-providers-inline`).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import { ROOT, workflowBundle } from '../harness/stack.js';

const DIR = path.join(ROOT, 'test', 'fixtures', 'histories');

test('recorded compose and refresh-all histories replay on the current workflow code', async () => {
  const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
  assert.ok(files.length >= 18, 'the fixtures are there');
  const histories = files.map((f) => ({ workflowId: f.replace(/\.json$/, ''), history: JSON.parse(fs.readFileSync(path.join(DIR, f), 'utf8')) }));
  const bundle = await workflowBundle();
  const results = [];
  for (const h of histories) {
    // refresh-all's child workflow ids carry its task queue: replay on the queue it was recorded
    // on (the replayer's options leave it out of their type but take it).
    const taskQueue = h.history.events[0].workflowExecutionStartedEventAttributes.taskQueue.name as string;
    const options = { workflowBundle: bundle, ...(h.workflowId.endsWith('refresh-all') ? { taskQueue } : {}) } as ReplayWorkerOptions;
    const error = await Worker.runReplayHistory(options, h.history, h.workflowId).then(
      () => undefined,
      (e: Error) => e,
    );
    results.push({ workflowId: h.workflowId, error });
  }
  assert.equal(results.length, files.length);
  for (const r of results) assert.equal(r.error, undefined, `${r.workflowId}: ${r.error?.message}`);
});
