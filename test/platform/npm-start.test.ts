// `npm start`'s supervisor as a user runs it: it comes up with no configuration, survives being
// killed with SIGKILL (the next start cleans up and loses nothing), stops cleanly on Ctrl-C, and
// names a taken port.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { freePort, portIsFree } from '../../scripts/services/process-utils.js';
import { ROOT, testTmpDir } from '../harness/stack.js';

let dataDir: string;
let env: NodeJS.ProcessEnv;
let base: string;
let ports: number[];
const running = new Set<ChildProcess>();

function startSupervisor(): { proc: ChildProcess; output: () => string; ready: Promise<void>; exited: Promise<number | null> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(proc);
  let out = '';
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => (running.delete(proc), resolve(code))));
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ctrl-C stops everything')) resolve(); // the last line of the banner
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`start exited with ${code}:\n${out}`)));
  });
  return { proc, output: () => out, ready, exited };
}

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

/** Processes whose command line mentions our private data directory (postgres, temporal, children). */
function leftovers(): string[] {
  const out = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes(dataDir) && !l.includes('ps -eo'));
}

before(async () => {
  dataDir = testTmpDir('npm-start');
  ports = [await freePort(), await freePort(), await freePort(), await freePort()];
  const [port, pgPort, temporalPort, uiPort] = ports;
  base = `http://127.0.0.1:${port}`;
  env = { ...process.env, DATA_DIR: dataDir, PORT: String(port), ODCS_POSTGRES_PORT: String(pgPort), ODCS_TEMPORAL_PORT: String(temporalPort), TEMPORAL_UI_PORT: String(uiPort), LOG_LEVEL: 'warn' };
  for (const k of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'ODCS_CONFIG', 'TASK_QUEUE', 'GENERATE_TASK_QUEUE']) delete env[k];
});

after(async () => {
  // A supervisor still running after a failed assertion: stop it properly, children included.
  for (const p of running) {
    p.kill('SIGINT');
    const exited = new Promise((r) => p.once('exit', r));
    await Promise.race([exited, new Promise((r) => setTimeout(r, 60_000))]);
    p.kill('SIGKILL');
  }
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
  assert.deepEqual(leftovers(), [], 'no child outlives Ctrl-C');
  for (const port of ports) assert.ok(await portIsFree(port), `port ${port} is free again`);
});

test('a taken port is named in the error and the exit status is non-zero', async () => {
  ports[0] = await freePort();
  env.PORT = String(ports[0]);
  const blocker = net.createServer().listen(ports[0], '127.0.0.1');
  await new Promise((r) => blocker.once('listening', r));
  try {
    const run = startSupervisor();
    run.ready.catch(() => undefined);
    const code = await run.exited;
    assert.notEqual(code, 0);
    assert.match(run.output(), new RegExp(`port ${ports[0]} \\(API, PORT\\) is already in use`));
    assert.deepEqual(leftovers(), []);
  } finally {
    blocker.close();
  }
});
