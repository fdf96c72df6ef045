// The `odcs-flow` commands run as a user runs them: spawned processes against a real API (noauth,
// and openidc for the bearer token from --token, --token-file or ODCS_FLOW_TOKEN), and `migrate`
// against an empty database.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import pg from 'pg';
import { buildRepo } from '../../scripts/rpm-fixtures.js';
import { requireEnv, ROOT, startStack, testTmpDir, type Stack } from '../harness/stack.js';

let stack: Stack;
let repos: string;

/** The command with only the given environment on top of ours (no ODCS_FLOW_* from the caller). */
function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ODCS_FLOW_')));
  return new Promise((resolve) => {
    execFile(path.join(ROOT, 'bin', 'odcs-flow.mjs'), args, { cwd: ROOT, timeout: 120_000, env: { ...base, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(['--server', stack.baseUrl, ...args]);
}

before(async () => {
  repos = testTmpDir('repos');
  await buildRepo(path.join(repos, 'r'), [{ name: 'cli-app', requires: ['cli-lib'] }, { name: 'cli-lib' }]);
  stack = await startStack({ env: { REPO_ROOTS: repos }, settings: { tags: { t: { repos: [path.join(repos, 'r')] } } } });
});

after(async () => {
  await stack?.stop();
});

test('create --wait, get, list, extend, renew, delete', async () => {
  const created = await cli('compose', 'create', '-s', 't', '-p', 'cli-app', '--flag', 'no_reuse', '--seconds-to-live', '600', '--wait');
  assert.equal(created.code, 0, created.stderr);
  const c = JSON.parse(created.stdout);
  assert.equal(c.state_name, 'done');
  assert.equal(c.packages, 'cli-app');
  assert.match(created.stderr, new RegExp(`compose ${c.id}: done`));

  const got = await cli('compose', 'get', String(c.id));
  assert.equal(JSON.parse(got.stdout).id, c.id);

  const list = await cli('compose', 'list', '--state', 'done');
  assert.equal(list.code, 0);
  assert.match(list.stdout, /^ID\s+STATE\s+OWNER\s+SOURCE/);
  assert.match(list.stdout, new RegExp(`^${c.id}\\s+done\\s+unknown\\s+1:t\\s+cli-app`, 'm'));
  const listJson = JSON.parse((await cli('compose', 'list', '--json', '--per-page', '1')).stdout);
  assert.equal(listJson.meta.per_page, 1);

  const extended = JSON.parse((await cli('compose', 'extend', String(c.id), '--seconds-to-live', '7200')).stdout);
  assert.ok(Date.parse(extended.time_to_expire) > Date.parse(c.time_to_expire));

  const deleted = await cli('compose', 'delete', String(c.id));
  assert.equal(deleted.code, 0);
  assert.equal(JSON.parse(deleted.stdout).status, 202);
  const waited = await cli('compose', 'wait', String(c.id), '--quiet');
  assert.equal(waited.code, 0);

  const renewed = JSON.parse((await cli('compose', 'renew', String(c.id))).stdout);
  assert.notEqual(renewed.id, c.id, 'a removed compose is renewed as a new one');
});

test('wait: exit 1 for a failed compose, 2 on timeout; errors are one line from the server', async () => {
  const failing = JSON.parse((await cli('compose', 'create', '-s', 't', '-p', 'no-such-package')).stdout);
  const failed = await cli('compose', 'wait', String(failing.id));
  assert.equal(failed.code, 1);
  assert.equal(JSON.parse(failed.stdout).state_name, 'failed');

  await stack.stopWorkers();
  await stack.startWorkers({ generate: false });
  try {
    const stuck = JSON.parse((await cli('compose', 'create', '-s', 't', '-p', 'cli-lib', '--flag', 'no_reuse')).stdout);
    const timedOut = await cli('compose', 'wait', String(stuck.id), '--timeout', '2');
    assert.equal(timedOut.code, 2);
    assert.match(timedOut.stderr, /still not finished after 2 s/);
  } finally {
    await stack.stopWorkers();
    await stack.startWorkers();
  }

  const missing = await cli('compose', 'get', '999999999');
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr.trim(), 'odcs-flow: 404 Not Found: No such compose found.');
  const bad = await cli('compose', 'create', '-s', 't', '--flag', 'bogus');
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
  assert.match(bad.stderr, /400 Bad Request: \('Unknown flag %s', 'bogus'\)/);
});

test('ODCS_FLOW_SERVER names the server when --server is not given', async () => {
  const created = JSON.parse((await cli('compose', 'create', '-s', 't', '-p', 'cli-lib')).stdout);
  const viaEnv = await run(['compose', 'get', String(created.id)], { ODCS_FLOW_SERVER: stack.baseUrl });
  assert.equal(viaEnv.code, 0, viaEnv.stderr);
  assert.equal(JSON.parse(viaEnv.stdout).id, created.id);
  // Without either, the default http://127.0.0.1:8080 is asked, where this stack is not.
  if (!stack.baseUrl.endsWith(':8080')) {
    const none = await run(['compose', 'get', String(created.id)]);
    assert.notEqual(none.code, 0);
  }
});

test('the bearer token comes from --token, --token-file or ODCS_FLOW_TOKEN', async () => {
  const issuer = 'https://id.example.test/openidc';
  const keys = await generateKeyPair('RS256');
  const oidc = await startStack({
    workers: false,
    env: { REPO_ROOTS: repos },
    settings: {
      auth_backend: 'openidc',
      oidc_issuer: issuer,
      oidc_audience: 'odcs-flow',
      oidc_public_key_pem: await exportSPKI(keys.publicKey),
      allowed_clients: { users: { alice: {}, bob: {}, carol: {} } },
      tags: { t: { repos: [path.join(repos, 'r')] } },
    },
  });
  try {
    const token = (user: string) =>
      new SignJWT({ preferred_username: user, scope: 'openid https://pagure.io/odcs/new-compose' })
        .setProtectedHeader({ alg: 'RS256' })
        .setIssuer(issuer)
        .setAudience('odcs-flow')
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(keys.privateKey);
    const create = ['--server', oidc.baseUrl, 'compose', 'create', '-s', 't', '-p', 'cli-lib'];
    const anonymous = await run(create);
    assert.equal(anonymous.code, 1);
    assert.match(anonymous.stderr, /^odcs-flow: 401 Unauthorized: No OIDC access token/);

    const file = path.join(testTmpDir('token'), 'token');
    fs.writeFileSync(file, `${await token('bob')}\n`);
    const owner = (res: { code: number; stdout: string; stderr: string }) => (res.code === 0 ? JSON.parse(res.stdout).owner : res.stderr.trim());
    assert.deepEqual(
      {
        '--token': owner(await run(['--token', await token('alice'), ...create])),
        '--token-file': owner(await run(['--token-file', file, ...create])),
        ODCS_FLOW_TOKEN: owner(await run(create, { ODCS_FLOW_TOKEN: await token('carol') })),
      },
      { '--token': 'alice', '--token-file': 'bob', ODCS_FLOW_TOKEN: 'carol' },
    );
  } finally {
    await oidc.stop();
  }
});

test('migrate applies the migrations to an empty database, then has nothing to do', async () => {
  const admin = requireEnv('ODCS_TEST_DATABASE_URL');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  try {
    const first = await run(['migrate'], { DATABASE_URL: url.toString() });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^applied: .*composes/);
    const db = new pg.Client({ connectionString: url.toString() });
    await db.connect();
    try {
      const { rows } = await db.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`);
      const tables = rows.map((r) => r.tablename);
      for (const t of ['cached_data', 'compose_events', 'composes']) assert.ok(tables.includes(t), `${t} in ${tables}`);
    } finally {
      await db.end();
    }
    const again = await run(['migrate'], { DATABASE_URL: url.toString() });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, 'database is up to date\n');
  } finally {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.end();
  }
});
