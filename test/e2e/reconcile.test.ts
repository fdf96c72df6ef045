// The reconciler Schedule gives a workflow back to composes that lost theirs: a row inserted
// without its workflow (the API died in between) is generated; an overdue done compose is removed.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { insertCompose } from '../../store/composes.js';
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

test('odcs-flow schedules: list, pause, unpause and trigger the reconciler', async () => {
  const { execFile } = await import('node:child_process');
  const { ROOT } = await import('../harness/stack.js');
  const cli = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(`${ROOT}/bin/odcs-flow.mjs`, ['schedules', ...args], { cwd: ROOT, env: { ...process.env, ...stack.env } }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      ),
    );
  const id = reconcileScheduleId(stack.config);
  const listed = JSON.parse((await cli('list', '--json')).stdout);
  const mine = listed.find((s: { id: string }) => s.id === id);
  assert.deepEqual({ workflow: mine.workflow, every: mine.every, state: mine.state }, { workflow: 'reconcileWorkflow', every: '1m', state: 'active' });
  assert.equal((await cli('pause', id)).code, 0);
  assert.equal((await stack.temporal.client.schedule.getHandle(id).describe()).state.paused, true);
  assert.match((await cli('list')).stdout, new RegExp(`^${id}\\s+reconcileWorkflow\\s+1m\\s+paused`, 'm'));
  assert.equal((await cli('unpause', id)).code, 0);
  assert.equal((await stack.temporal.client.schedule.getHandle(id).describe()).state.paused, false);
  const before = (await stack.temporal.client.schedule.getHandle(id).describe()).info.numActionsTaken;
  assert.equal((await cli('trigger', id)).code, 0);
  const deadline = Date.now() + 30_000;
  while ((await stack.temporal.client.schedule.getHandle(id).describe()).info.numActionsTaken <= before) {
    if (Date.now() > deadline) throw new Error('the trigger did not run the schedule');
    await new Promise((r) => setTimeout(r, 250));
  }
  const missing = await cli('trigger', 'no-such-schedule');
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /^odcs-flow: /);
});
