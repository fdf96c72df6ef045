// The reusable supervisor (scripts/supervisor.ts) on real processes: a component that dies is
// started again and counted; one that keeps failing at start-up makes it give up with its name;
// stop() ends everything, last started first, and nothing is restarted after it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { isAlive } from '../../scripts/services/process-utils.js';
import { nodeProgram, Supervisor } from '../../scripts/supervisor.js';
import { ROOT, testTmpDir } from '../harness/stack.js';

async function until(what: string, fn: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function program(dir: string, name: string, source: string, opts: { healthy?: () => Promise<boolean> } = {}) {
  const script = path.join(dir, `${name}.mjs`);
  fs.writeFileSync(script, source);
  return nodeProgram({ name, script, cwd: ROOT, env: process.env, pidFile: path.join(dir, `${name}.pid`), onLine: () => undefined, ...opts });
}

test('a component that dies is restarted with one line each way, and counted in the restarts file', async () => {
  const dir = testTmpDir('supervisor');
  const lines: string[] = [];
  const restartsFile = path.join(dir, 'restarts.json');
  const sup = new Supervisor({ say: (l) => lines.push(l), onGiveUp: (r) => assert.fail(r), restartsFile, initialBackoffMs: 100 });
  const marker = path.join(dir, 'up');
  const first = await sup.start(
    program(dir, 'sleeper', `import fs from 'node:fs'; fs.writeFileSync(${JSON.stringify(marker)}, String(process.pid)); setInterval(() => {}, 1000);`, {
      healthy: async () => fs.existsSync(marker) && Number(fs.readFileSync(marker, 'utf8')) > 0,
    }),
  );
  await sup.start(program(dir, 'other', 'setInterval(() => {}, 1000);'));
  assert.deepEqual(JSON.parse(fs.readFileSync(restartsFile, 'utf8')), { sleeper: 0, other: 0 });

  fs.rmSync(marker);
  process.kill(first.pid, 'SIGKILL');
  await until('sleeper restarted', () => sup.restarts().sleeper === 1);
  assert.match(lines.join('\n'), /sleeper died \(signal SIGKILL\) at \d\d:\d\d:\d\d; restarting it/);
  assert.match(lines.join('\n'), /sleeper is back at \d\d:\d\d:\d\d \(down [\d.]+ s, restart 1\)/);
  assert.deepEqual(JSON.parse(fs.readFileSync(restartsFile, 'utf8')), { sleeper: 1, other: 0 });
  const second = Number(fs.readFileSync(path.join(dir, 'sleeper.pid'), 'utf8'));
  assert.notEqual(second, first.pid);
  assert.ok(isAlive(second));

  await sup.stop();
  assert.ok(!isAlive(second), 'stop() ends the components');
  assert.equal(sup.restarts().sleeper, 1, 'nothing is restarted after stop()');
});

test('a crash loop at start-up makes the supervisor give up, naming the component', async () => {
  const dir = testTmpDir('supervisor');
  const lines: string[] = [];
  let gaveUp = '';
  const sup = new Supervisor({ say: (l) => lines.push(l), onGiveUp: (r) => (gaveUp = r), initialBackoffMs: 50, maxStartFailures: 3 });
  await sup.start(program(dir, 'crasher', 'setTimeout(() => process.exit(3), 100);'));
  await until('the supervisor gives up', () => gaveUp !== '');
  assert.match(gaveUp, /crasher keeps failing \(3 times in a row, last: status 3\); stopping everything/);
  assert.equal(lines.filter((l) => l.startsWith('crasher died (status 3)')).length, 3);
  await sup.stop();
});

test('a component that cannot start fails start() with its reason', async () => {
  const dir = testTmpDir('supervisor');
  const sup = new Supervisor({ say: () => undefined, onGiveUp: (r) => assert.fail(r) });
  await assert.rejects(sup.start(program(dir, 'broken', 'process.exit(2);', { healthy: async () => false })), /broken exited during start-up \(status 2\)/);
  await sup.stop();
});
