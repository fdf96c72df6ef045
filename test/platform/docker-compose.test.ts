// No Docker engine exists here: check that the production topology at least parses and is whole.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { ROOT } from '../harness/stack.js';

test('docker-compose.yml parses and names every service of the production topology', () => {
  const doc = parse(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true });
  const services = doc.services as Record<string, any>;
  for (const name of ['postgres', 'temporal', 'temporal-ui', 'api', 'worker', 'migrate']) assert.ok(services[name], name);
  assert.match(services.postgres.image, /^postgres:/);
  assert.match(services.temporal.image, /^temporalio\//);
  assert.match(services['temporal-ui'].image, /^temporalio\/ui:/);
  for (const name of ['api', 'worker', 'migrate']) {
    assert.equal(services[name].build, '.', `${name} is built from the project's Dockerfile`);
    assert.match(services[name].environment.DATABASE_URL, /^postgres:\/\/.*@postgres:5432\//);
  }
  assert.equal(services.api.environment.TEMPORAL_ADDRESS, 'temporal:7233');
  assert.equal(services.worker.environment.TEMPORAL_ADDRESS, 'temporal:7233');
  assert.ok(fs.existsSync(path.join(ROOT, 'Dockerfile')));
  for (const cmd of [services.api.command, services.worker.command, services.migrate.command]) {
    const script = cmd.find((arg: string) => /\.(ts|mjs)$/.test(arg));
    assert.ok(script && fs.existsSync(path.join(ROOT, script)), `${script} exists`);
  }
});
