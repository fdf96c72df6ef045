// Determinism guard: recorded compose workflow histories (test/fixtures/histories/) must replay on
// the current workflow code. A change that breaks this would break running composes on deploy:
// guard it with patched(), then re-record (test/harness/capture-histories.ts). `v1-*` were recorded
// before the local database steps and the PostgreSQL-decided PATCH/DELETE (signals, not updates);
// `v2-*` before prepareCompose took a done compose's files itself and checked the room, and
// generateCompose marked its compose done (the reserveSpace, followReused and completeCompose steps);
// `v3-*` before sources on local files were resolved by a local activity (patch `local-prepare`).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { ROOT, workflowBundle } from '../harness/stack.js';

const DIR = path.join(ROOT, 'test', 'fixtures', 'histories');

test('recorded compose histories replay on the current workflow code', async () => {
  const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
  assert.ok(files.length >= 16, 'the fixtures are there');
  const histories = files.map((f) => ({ workflowId: f.replace(/\.json$/, ''), history: JSON.parse(fs.readFileSync(path.join(DIR, f), 'utf8')) }));
  const results = [];
  for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) results.push(r);
  assert.equal(results.length, files.length);
  for (const r of results) assert.equal(r.error, undefined, `${r.workflowId}: ${r.error?.message}`);
});
