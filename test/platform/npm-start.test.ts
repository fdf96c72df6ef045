// `npm start`'s supervisor as a user runs it: it comes up with no configuration, survives being
// killed with SIGKILL (the next start cleans up and loses nothing), stops cleanly on Ctrl-C, and
// names a taken port.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { freePort, portIsFree } from '../../scripts/services/process-utils.js';
import { NpmStart } from './npm-start-harness.js';

let stack: NpmStart;
let base: string;
const startSupervisor = () => stack.start();

async function api(method: string, p: string, body?: unknown) {
  const res = await fetch(`${base}${p}`, { method, body: body ? JSON.stringify(body) : undefined, signal: AbortSignal.timeout(20_000) });
  return { status: res.status, body: await res.json() };
}

async function waitDone(id: number) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const c = (await api('GET', `/api/1/composes/${id}`)).body;
    if (c.state_name === 'done' || c.state_name === 'failed') return c;
    if (Date.now() > deadline) throw new Error(`compose ${id}: ${JSON.stringify(c)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

before(async () => {
  stack = await NpmStart.create('npm-start');
  base = stack.base;
});

after(async () => {
  await stack.stopAll();
});

test('start, SIGKILL, start again: nothing lost, no manual clean-up; Ctrl-C stops everything', async () => {
  const first = startSupervisor();
  await first.ready;
  assert.match(first.output(), /Temporal UI +http:\/\/localhost:\d+/);
  assert.equal((await api('GET', '/readyz')).status, 200);
  const created = await api('POST', '/api/1/composes/', { source: { type: 'tag', source: 'demo', packages: ['odcs-demo-app'] } });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  assert.equal((await waitDone(created.body.id)).state_name, 'done');

  first.proc.kill('SIGKILL'); // children are orphaned, pid files and postmaster.pid stay behind
  await first.exited;
  // The API and the worker notice their supervisor is gone and stop; the servers wait to be reaped.
  const apiGone = Date.now() + 30_000;
  while (await fetch(`${base}/healthz`).then(() => true, () => false)) {
    if (Date.now() > apiGone) throw new Error('the orphaned API did not stop');
    await new Promise((r) => setTimeout(r, 250));
  }

  const second = startSupervisor();
  await second.ready;
  assert.equal((await api('GET', '/readyz')).status, 200);
  const kept = (await api('GET', `/api/1/composes/${created.body.id}`)).body;
  assert.equal(kept.state_name, 'done', 'the compose made before the kill is still there');
  const again = await api('POST', '/api/1/composes/', { source: { type: 'tag', source: 'demo', packages: ['odcs-demo-data'] } });
  assert.equal((await waitDone(again.body.id)).state_name, 'done', 'the restarted service works');
  assert.ok(again.body.id > created.body.id);

  second.proc.kill('SIGINT');
  assert.equal(await second.exited, 0);
  assert.deepEqual(stack.leftovers(), [], 'no child outlives Ctrl-C');
  for (const port of stack.ports) assert.ok(await portIsFree(port), `port ${port} is free again`);
});

test('a taken port is named in the error and the exit status is non-zero', async () => {
  const port = await freePort();
  stack.env.PORT = String(port);
  const blocker = net.createServer().listen(port, '127.0.0.1');
  await new Promise((r) => blocker.once('listening', r));
  try {
    const run = startSupervisor();
    run.ready.catch(() => undefined);
    const code = await run.exited;
    assert.notEqual(code, 0);
    assert.match(run.output(), new RegExp(`port ${port} \\(API, PORT\\) is already in use`));
    assert.deepEqual(stack.leftovers(), []);
  } finally {
    blocker.close();
  }
});
