import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError, CONFIG_DOC, loadConfig } from '../../core/config.js';

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

test('every variable the schema reads is documented', () => {
  const documented = new Set(CONFIG_DOC.map(([name]) => name));
  for (const name of ['PORT', 'HOST', 'DATABASE_URL', 'TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TASK_QUEUE', 'GENERATE_TASK_QUEUE', 'DATA_DIR', 'COMPOSE_ROOT', 'TARGET_DIR_URL', 'REPO_ROOTS', 'ODCS_CONFIG', 'BODY_LIMIT', 'LOG_LEVEL', 'GENERATE_HEARTBEAT_TIMEOUT', 'NOAUTH_ALLOW_PUBLIC']) {
    assert.ok(documented.has(name), name);
  }
});
