// The reconciler Schedule gives a workflow back to composes that lost theirs: a row inserted
// without its workflow (the API died in between) is generated; an overdue done compose is removed.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { insertCompose } from '../../activities/db/composes.js';
import { parseNewComposeRequest } from '../../core/compose-request.js';
import { buildRepo } from '../../scripts/rpm-fixtures.js';
import { ensureSchedules, reconcileScheduleId } from '../../worker/schedules.js';
import { startStack, testTmpDir, waitForState, type Stack } from '../harness/stack.js';

let stack: Stack;

before(async () => {
  const repos = testTmpDir('repos');
  await buildRepo(path.join(repos, 'r'), [{ name: 'solo' }]);
  stack = await startStack({ env: { REPO_ROOTS: repos }, settings: { tags: { t: { repos: [path.join(repos, 'r')] } } } });
  await ensureSchedules(stack.temporal.client, stack.config);
  await ensureSchedules(stack.temporal.client, stack.config); // idempotent
});

after(async () => {
  await stack?.temporal.client.schedule.getHandle(reconcileScheduleId(stack.config)).delete().catch(() => undefined);
  await stack?.stop();
});

test('orphaned composes get their workflow back', async () => {
  const input = parseNewComposeRequest({ source: { type: 'tag', source: 't', packages: ['solo'] }, flags: ['no_reuse'] }, stack.settings);
  const { seconds_to_live, ...rest } = input;
  const waiting = await insertCompose(stack.pool, rest, 'unknown', seconds_to_live);
  const overdue = await insertCompose(stack.pool, rest, 'unknown', seconds_to_live);
  await stack.pool.query(`UPDATE composes SET time_submitted = now() - interval '5 minutes' WHERE id = $1`, [waiting.id]);
  await stack.pool.query(`UPDATE composes SET state = 2, time_done = now(), time_to_expire = now() - interval '5 minutes' WHERE id = $1`, [overdue.id]);
  await stack.temporal.client.schedule.getHandle(reconcileScheduleId(stack.config)).trigger();
  assert.equal((await waitForState(stack, waiting.id, ['done', 'failed'], 60_000)).state_name, 'done');
  assert.equal((await waitForState(stack, overdue.id, ['removed'], 60_000)).state_name, 'removed');
});
