// The API process under auth_backend "noauth" (the default): it refuses to listen on a non-loopback
// HOST, naming NOAUTH_ALLOW_PUBLIC, and listens there when NOAUTH_ALLOW_PUBLIC=true.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import { freePort } from '../../scripts/services/process-utils.js';
import { createTestDatabase, requireEnv, ROOT, testTmpDir } from '../harness/stack.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
const children: ChildProcess[] = [];

function api(env: Record<string, string>): { child: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'api/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: requireEnv('ODCS_TEST_TEMPORAL_ADDRESS'),
      DATA_DIR: testTmpDir('noauth-host'),
      LOG_LEVEL: 'warn',
      ODCS_CONFIG: '',
      NOAUTH_ALLOW_PUBLIC: '',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stderr: () => stderr, exited };
}

/** Waits until the API answers /healthz (true) or exits (false). */
async function healthy(port: number, p: ReturnType<typeof api>): Promise<boolean> {
  let exited = false;
  void p.exited.then(() => (exited = true));
  while (!exited) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

before(async () => {
  db = await createTestDatabase();
});

after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await db?.drop();
});

test('noauth refuses a non-loopback HOST, naming NOAUTH_ALLOW_PUBLIC', async () => {
  const port = await freePort();
  const p = api({ HOST: '0.0.0.0', PORT: String(port) });
  assert.equal(await healthy(port, p), false, 'the API must not listen');
  assert.equal(await p.exited, 1);
  assert.match(p.stderr(), /invalid configuration: HOST=0\.0\.0\.0: auth_backend "noauth" listens on loopback only \(set NOAUTH_ALLOW_PUBLIC=true to force\)/);
  await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`), 'nothing listens');
});

test('NOAUTH_ALLOW_PUBLIC=true lets noauth listen on every address', async () => {
  const port = await freePort();
  const p = api({ HOST: '0.0.0.0', PORT: String(port), NOAUTH_ALLOW_PUBLIC: 'true' });
  assert.ok(await healthy(port, p), `the API exited: ${p.stderr()}`);
  const about = await (await fetch(`http://127.0.0.1:${port}/api/1/about/`)).json();
  assert.equal(about.auth_backend, 'noauth');
  p.child.kill('SIGTERM');
  assert.equal(await p.exited, 0);
});

test('noauth on loopback needs no NOAUTH_ALLOW_PUBLIC', async () => {
  const port = await freePort();
  const p = api({ HOST: '127.0.0.1', PORT: String(port) });
  assert.ok(await healthy(port, p), `the API exited: ${p.stderr()}`);
  p.child.kill('SIGTERM');
  await p.exited;
});
