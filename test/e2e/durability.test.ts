// Durability with real process kills: a worker SIGKILLed in the middle of a generation. The
// compose still ends `done`, exactly one compose directory exists and nothing half-written
// remains or ever looked complete.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildRepo, type FakeRpm } from '../../scripts/rpm-fixtures.js';
import { http, startStack, testTmpDir, waitForState, type Stack } from '../harness/stack.js';

let stack: Stack;
let repo: string;

before(async () => {
  repo = path.join(testTmpDir('repos'), 'big');
  const rpms: FakeRpm[] = Array.from({ length: 60 }, (_, i) => ({
    name: `pkg${i}`,
    requires: i > 0 ? [`pkg${i - 1}`] : [],
  }));
  await buildRepo(repo, rpms);
  stack = await startStack({
    workers: false, // workers run as separate processes here, so they can be killed
    env: { REPO_ROOTS: path.dirname(repo), GENERATE_HEARTBEAT_TIMEOUT: '3' },
    settings: { tags: { big: { repos: [repo] } } },
  });
});

after(async () => {
  await stack?.stop();
});

function composeDirs(id: number): string[] {
  if (!fs.existsSync(stack.config.composeRoot)) return [];
  return fs.readdirSync(stack.config.composeRoot).filter((n) => n === `odcs-${id}` || n.startsWith(`.tmp-odcs-${id}-`));
}

async function until(what: string, fn: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) {
      const row = (await stack.pool.query('SELECT id, state, state_reason FROM composes')).rows;
      throw new Error(`timed out waiting for ${what}; composes: ${JSON.stringify(row)}; dirs: ${fs.readdirSync(stack.config.composeRoot, { withFileTypes: true }).map((d) => d.name)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a worker killed with SIGKILL during generation: the compose still ends done, once', async () => {
  // The first worker pauses mid-generation (fault injection) so the kill lands inside it.
  const doomed = stack.spawnWorker({ GENERATE_TEST_PAUSE_MS: '60000' });
  const created = await http(stack, 'POST', '/api/1/composes/', { source: { type: 'tag', source: 'big', packages: ['pkg59'] } });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const id: number = created.body.id;

  await until('generation to start', () => composeDirs(id).some((n) => n.startsWith('.tmp-')), 180_000);
  assert.equal((await http(stack, 'GET', `/api/1/composes/${id}`)).body.state_name, 'generating');
  doomed.kill('SIGKILL');
  await new Promise((r) => doomed.once('exit', r));
  assert.ok(!composeDirs(id).includes(`odcs-${id}`), 'nothing half-written looks like a finished compose');

  const survivor = stack.spawnWorker();
  const done = await waitForState(stack, id, ['done', 'failed'], 120_000);
  assert.equal(done.state_name, 'done', done.state_reason);
  assert.deepEqual(composeDirs(id), [`odcs-${id}`], 'exactly one compose directory, no leftovers');
  const packages = path.join(stack.config.composeRoot, `odcs-${id}`, 'compose', 'Temporary', 'x86_64', 'os', 'Packages');
  const rpms = fs.readdirSync(packages, { recursive: true }).filter((f) => String(f).endsWith('.rpm'));
  assert.equal(rpms.length, 60);
  const history = await stack.temporal.client.workflow.getHandle(`compose-${id}`).fetchHistory();
  const attempts = (history.events ?? [])
    .map((e) => e.activityTaskStartedEventAttributes?.attempt ?? 0)
    .reduce((a, b) => Math.max(a, b), 0);
  assert.ok(attempts >= 2, `the generation was retried after the kill (attempt ${attempts})`);
  survivor.kill('SIGTERM');
});
