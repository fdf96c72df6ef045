#!/usr/bin/env node
// Installs what is missing, and nothing else: npm dependencies, Debian tools, the Temporal CLI.
// Used by both `npm start` and `npm test`; a second run only checks and takes a second or two.
// With --cluster (`npm run cluster`) also the Temporal server, temporal-sql-tool, the UI server and
// the compiled build in dist/.
import { spawnSync } from 'node:child_process';
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

function mtime(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function ensureNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 11)) fail(`Node.js >= 20.11 is required, this is ${process.version}`);
}

// `npm install` rather than `npm ci`: npm 11 writes lockfiles without some platform-specific
// optional packages, which `npm ci` then rejects as out of sync. `npm install` still honours the
// lockfile's versions.
function ensureNpmDependencies() {
  const marker = path.join(root, 'node_modules', '.package-lock.json');
  const installedAt = mtime(marker);
  const wanted = Math.max(mtime(path.join(root, 'package.json')), mtime(path.join(root, 'package-lock.json')));
  if (installedAt && installedAt >= wanted && fs.existsSync(path.join(root, 'node_modules', '.bin', 'tsx'))) return;
  log('installing npm dependencies');
  const r = run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error']);
  if (!r.ok) fail(`npm install failed (${r.why}); run it by hand to see why`);
  fs.utimesSync(marker, new Date(), new Date());
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
