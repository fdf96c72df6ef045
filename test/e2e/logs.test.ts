// Structured logs: the API and worker processes write pino JSON lines; request lines carry the
// request id, and lines about a compose carry its id.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { after, before, test } from 'node:test';
import { buildRepo } from '../../scripts/rpm-fixtures.js';
import { freePort } from '../../scripts/services/process-utils.js';
import { ROOT, startStack, testTmpDir, waitForState, http, type Stack } from '../harness/stack.js';

let stack: Stack;
let api: ChildProcess;
let worker: ChildProcess;
const lines: Array<Record<string, any>> = [];
const raw: string[] = [];
let base: string;

function capture(child: ChildProcess) {
  for (const stream of [child.stdout!, child.stderr!]) {
    readline.createInterface({ input: stream }).on('line', (line) => {
      raw.push(line);
      try {
        lines.push(JSON.parse(line));
      } catch {
        /* not JSON: counted below */
      }
    });
  }
}

before(async () => {
  const repos = testTmpDir('repos');
  await buildRepo(path.join(repos, 'r'), [{ name: 'logged' }]);
  stack = await startStack({ workers: false, env: { REPO_ROOTS: repos }, settings: { tags: { t: { repos: [path.join(repos, 'r')] } } } });
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const env = { ...process.env, ...stack.env, PORT: String(port), LOG_LEVEL: 'info' };
  api = spawn(process.execPath, ['--import', 'tsx', 'api/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  worker = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  capture(api);
  capture(worker);
  const deadline = Date.now() + 60_000;
  while (!(await fetch(`${base}/healthz`).then((r) => r.ok, () => false))) {
    if (Date.now() > deadline) throw new Error('API did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
});

after(async () => {
  api?.kill('SIGTERM');
  worker?.kill('SIGTERM');
  await stack?.stop();
});

test('JSON lines with request ids and compose ids', async () => {
  const res = await fetch(`${base}/api/1/composes/`, { method: 'POST', body: JSON.stringify({ source: { type: 'tag', source: 't', packages: ['nope'] } }) });
  const created = await res.json();
  const reqId = res.headers.get('x-request-id');
  assert.ok(reqId);
  await waitForState({ ...stack, baseUrl: base }, created.id, ['failed'], 60_000);
  await http({ baseUrl: base }, 'GET', `/api/1/composes/${created.id}`);
  await new Promise((r) => setTimeout(r, 500));
  const nonJson = raw.filter((l) => l.trim() && !l.trim().startsWith('{'));
  assert.deepEqual(nonJson, [], 'every line is JSON');
  const postLine = lines.find((l) => l.msg === 'request' && l.method === 'POST');
  assert.equal(postLine?.reqId, reqId);
  assert.equal(postLine?.composeId, created.id);
  assert.ok(lines.some((l) => l.msg === 'request' && l.method === 'GET' && l.composeId === created.id));
  assert.ok(lines.some((l) => l.service === 'worker' && l.composeId === created.id), 'the worker names the compose');
});
