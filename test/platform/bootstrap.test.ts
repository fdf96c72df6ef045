// The bootstrap as a new user meets it: a fresh clone and a home directory with nothing in it. It
// must install everything (npm ci, the Temporal CLI built under the new home), leave the clone
// clean, and the committed lockfile must be in sync with package.json.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { TEMPORAL_CLI_VERSION } from '../../scripts/lib/tools.mjs';
import { ROOT, testTmpDir } from '../harness/stack.js';

function run(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

test('the committed package-lock.json is in sync with package.json (npm ci accepts it)', async () => {
  const r = await run('npm', ['ci', '--dry-run', '--no-audit', '--no-fund'], { cwd: ROOT });
  assert.equal(r.code, 0, r.output);
});

test('bootstrap from nothing: an empty HOME and a fresh clone; the clone stays clean; a second run only checks', async () => {
  const tmp = testTmpDir('bootstrap');
  const home = path.join(tmp, 'home');
  const clone = path.join(tmp, 'clone');
  fs.mkdirSync(home);
  execFileSync('git', ['clone', '--quiet', ROOT, clone]);
  // Go's module and build caches and npm's download cache are shared, so that this takes a minute
  // or two rather than a cold build: they hold downloads and compiled objects, not results.
  const go = (name: string) => execFileSync('go', ['env', name], { encoding: 'utf8' }).trim();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    GOMODCACHE: go('GOMODCACHE'),
    GOCACHE: go('GOCACHE'),
    npm_config_cache: execFileSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8', cwd: ROOT }).trim(),
  };
  for (const k of Object.keys(env)) if (/^(XDG_CACHE_HOME|TEMPORAL_CLI|GOPATH|GOBIN|npm_config_userconfig)$/i.test(k)) delete env[k];

  const first = await run(process.execPath, ['scripts/bootstrap.mjs'], { cwd: clone, env });
  assert.equal(first.code, 0, first.output);
  assert.match(first.output, /installing npm dependencies/);
  assert.match(first.output, /building the Temporal CLI/);
  const cli = path.join(home, '.cache', 'odcs-flow', `temporal-cli-${TEMPORAL_CLI_VERSION}`, 'temporal');
  assert.ok(fs.existsSync(cli), `${cli} was built under the new HOME`);
  assert.match(execFileSync(cli, ['--version'], { encoding: 'utf8' }), new RegExp(TEMPORAL_CLI_VERSION.replace(/\./g, '\\.')));
  assert.deepEqual(fs.readdirSync(path.dirname(path.dirname(cli))), [path.basename(path.dirname(cli))], 'no staging directory is left');
  assert.ok(fs.existsSync(path.join(clone, 'node_modules', '.bin', 'tsx')));
  assert.equal(execFileSync('git', ['status', '--porcelain'], { cwd: clone, encoding: 'utf8' }), '', 'the clone is clean');

  const second = await run(process.execPath, ['scripts/bootstrap.mjs'], { cwd: clone, env });
  assert.equal(second.code, 0, second.output);
  assert.doesNotMatch(second.output, /installing|building/, 'a second run installs nothing');
  assert.match(second.output, /ready in/);
  assert.equal(execFileSync('git', ['status', '--porcelain'], { cwd: clone, encoding: 'utf8' }), '');
});
