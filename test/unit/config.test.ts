import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { ConfigError, CONFIG_DOC, CONFIG_VARIABLES, loadConfig } from '../../core/config.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

test('defaults need no configuration', () => {
  const c = loadConfig({}, '/srv/app');
  assert.equal(c.port, 8080);
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.databaseUrl, undefined);
  assert.equal(c.temporalAddress, '127.0.0.1:7233');
  assert.equal(c.dataDir, '/srv/app/.data');
  assert.equal(c.composeRoot, '/srv/app/.data/composes');
  assert.deepEqual(c.repoRoots, ['/srv/app/.data/repos']);
  assert.equal(c.targetDirUrl, 'http://127.0.0.1:8080/composes');
  assert.equal(c.generateVerify, 'header');
  assert.equal(loadConfig({ GENERATE_VERIFY: 'full' }, '/').generateVerify, 'full');
});

test('a bad value is one error naming the variable', () => {
  for (const [name, value] of [
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x'],
    ['TEMPORAL_ADDRESS', 'nohostport'],
    ['LOG_LEVEL', 'loud'],
    ['TARGET_DIR_URL', 'not a url'],
    ['BODY_LIMIT', '-5'],
    ['GENERATE_VERIFY', 'sha256'],
  ]) {
    assert.throws(
      () => loadConfig({ [name]: value }, '/'),
      (err: Error) => err instanceof ConfigError && err.message.startsWith(`invalid configuration: ${name}=`),
      `${name}=${value}`,
    );
  }
});

test('empty values count as unset; paths resolve against the working directory', () => {
  const c = loadConfig({ PORT: '', DATA_DIR: 'state', REPO_ROOTS: '/a:b,/c', TARGET_DIR_URL: 'https://x.example/odcs/' }, '/w');
  assert.equal(c.port, 8080);
  assert.equal(c.dataDir, path.resolve('/w/state'));
  assert.deepEqual(c.repoRoots, ['/a', '/w/b', '/c']);
  assert.equal(c.targetDirUrl, 'https://x.example/odcs');
});

test('every variable the schema reads is documented, in CONFIG_DOC and in the README tables', () => {
  assert.ok(CONFIG_VARIABLES.length >= 40 && CONFIG_VARIABLES.includes('PORT'), `the schema's variables: ${CONFIG_VARIABLES}`);
  const documented = new Set(CONFIG_DOC.map(([name]) => name));
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  // First cells of the README's table rows, e.g. "| `UPSTREAM_TIMEOUT_MS` / `UPSTREAM_ATTEMPTS` | ...".
  const inReadme = new Set(
    readme
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .flatMap((line) => [...line.split('|')[1].matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1])),
  );
  assert.deepEqual(CONFIG_VARIABLES.filter((name) => !documented.has(name)), [], 'missing from CONFIG_DOC');
  assert.deepEqual(CONFIG_VARIABLES.filter((name) => !inReadme.has(name)), [], 'missing from the README configuration tables');
  // And nothing documented that no process reads: the launchers (npm start, npm run cluster, the
  // supervisor that hands the API its restart counts) read these themselves.
  const launchers = [
    'TEMPORAL_CLI', 'ODCS_POSTGRES_PORT', 'ODCS_TEMPORAL_PORT', 'TEMPORAL_UI_PORT', 'ODCS_COMPONENT_RESTARTS_FILE',
    'ODCS_CLUSTER_PORT_BASE', 'TEMPORAL_SERVER', 'TEMPORAL_SQL_TOOL', 'TEMPORAL_UI_SERVER', 'TEMPORAL_SCHEMA_DIR',
  ];
  const sources = ['scripts/start.ts', 'scripts/cluster.ts', 'scripts/cluster/topology.ts', 'scripts/lib/tools.mjs', 'scripts/lib/cluster-tools.mjs', 'api/metrics.ts']
    .map((f) => fs.readFileSync(path.join(ROOT, f), 'utf8'))
    .join('\n');
  assert.deepEqual(launchers.filter((name) => !sources.includes(name)), [], 'a launcher variable nothing reads');
  assert.deepEqual([...documented].filter((name) => !CONFIG_VARIABLES.includes(name) && !launchers.includes(name)), [], 'CONFIG_DOC names no such variable');
  assert.deepEqual([...inReadme].filter((name) => !CONFIG_VARIABLES.includes(name) && !launchers.includes(name)), [], 'the README names no such variable');
});
