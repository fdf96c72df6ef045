#!/usr/bin/env node
// Installs what is missing, and nothing else: npm dependencies, Debian tools, the Temporal CLI.
// Used by both `npm start` and `npm test`; a second run only checks and takes a second or two.
// With --cluster (`npm run cluster`) also the Temporal server, temporal-sql-tool, the UI server and
// the compiled build in dist/.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEBIAN_TOOLS, TEMPORAL_CLI_VERSION, temporalCliPath } from './lib/tools.mjs';
import { goInstall } from './lib/go-install.mjs';
import { ensureClusterTools } from './lib/cluster-bootstrap.mjs';
import { ensureBuild } from './build.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const started = Date.now();
const log = (msg) => process.stderr.write(`[bootstrap] ${msg}\n`);

function fail(msg) {
  process.stderr.write(`[bootstrap] error: ${msg}\n`);
  process.exit(1);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.error) return { ok: false, why: r.error.message };
  return { ok: r.status === 0, why: `exit status ${r.status}` };
}

function onPath(command) {
  return (process.env.PATH || '').split(path.delimiter).some((dir) => {
    try {
      fs.accessSync(path.join(dir, command), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function ensureNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 11)) fail(`Node.js >= 20.11 is required, this is ${process.version}`);
}

/** What the installed node_modules was made from: package.json and the lock, hashed. */
function manifestHash() {
  const h = createHash('sha256');
  for (const f of ['package.json', 'package-lock.json']) {
    try {
      h.update(fs.readFileSync(path.join(root, f)));
    } catch {
      h.update('absent');
    }
  }
  return h.digest('hex');
}

// `npm ci` installs exactly the committed lock (reproducible, and it never writes the lock, so a
// fresh clone stays clean). Only when package.json was changed without updating the lock (a
// developer adding a dependency) does `npm install` run, and it updates the lock as expected.
// A hash of both files, kept in node_modules, says whether anything changed since the last install.
function ensureNpmDependencies() {
  const stamp = path.join(root, 'node_modules', '.odcs-flow-installed');
  const wanted = manifestHash();
  let installed = '';
  try {
    installed = fs.readFileSync(stamp, 'utf8').trim();
  } catch {
    /* never installed by us */
  }
  if (installed === wanted && fs.existsSync(path.join(root, 'node_modules', '.bin', 'tsx'))) return;
  log('installing npm dependencies (npm ci)');
  const args = ['--no-audit', '--no-fund', '--loglevel=error'];
  const ci = spawnSync('npm', ['ci', ...args], { cwd: root, stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  if (ci.error) fail(`npm ci could not run (${ci.error.message})`);
  if (ci.status !== 0) {
    if (!/in sync/.test(ci.stderr)) {
      process.stderr.write(ci.stderr);
      fail(`npm ci failed (exit status ${ci.status})`);
    }
    log('package.json and package-lock.json are out of sync: npm install (it updates package-lock.json)');
    const r = run('npm', ['install', ...args]);
    if (!r.ok) fail(`npm install failed (${r.why}); run it by hand to see why`);
  }
  fs.writeFileSync(stamp, `${manifestHash()}\n`); // node_modules exists now: npm made it
}

function missingDebianPackages() {
  const missing = new Set();
  for (const tool of DEBIAN_TOOLS) {
    const present = tool.command ? onPath(tool.command) : fs.existsSync(tool.file);
    if (!present) missing.add(tool.pkg);
  }
  return [...missing];
}

function ensureDebianPackages() {
  let missing = missingDebianPackages();
  if (missing.length === 0) return;
  const canApt = onPath('apt-get') && process.getuid?.() === 0;
  if (!canApt) {
    fail(`missing Debian packages: ${missing.join(' ')} (install them with: sudo apt-get install ${missing.join(' ')})`);
  }
  log(`installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], { env });
  // Try with the current package lists first; refresh them only if that fails.
  if (!install().ok) {
    run('apt-get', ['update', '-q'], { env });
    const r = install();
    if (!r.ok) fail(`apt-get install ${missing.join(' ')} failed (${r.why})`);
  }
  missing = missingDebianPackages();
  if (missing.length) fail(`still missing after apt-get: ${missing.join(' ')}`);
}

function ensureTemporalCli() {
  const target = temporalCliPath();
  if (fs.existsSync(target)) return;
  if (process.env.TEMPORAL_CLI) fail(`TEMPORAL_CLI=${process.env.TEMPORAL_CLI} does not exist`);
  if (!onPath('go')) fail('the Temporal CLI is missing and Go is not installed to build it (or set TEMPORAL_CLI to a temporal binary)');
  log(`building the Temporal CLI v${TEMPORAL_CLI_VERSION} with go install (a few minutes, once per machine)`);
  const why = goInstall({
    pkg: 'github.com/temporalio/cli/cmd/temporal',
    version: TEMPORAL_CLI_VERSION,
    target,
    binary: 'temporal',
    ldflags: `-s -w -X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`,
    cwd: root,
  });
  if (why) fail(why);
}

ensureNode();
ensureNpmDependencies();
ensureDebianPackages();
ensureTemporalCli();
if (process.argv.includes('--cluster')) {
  const why = ensureClusterTools({ log, hasGo: onPath('go') });
  if (why) fail(why);
  const buildFailed = ensureBuild({ log });
  if (buildFailed) fail(buildFailed);
}
log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
